import {
  type FieldError,
  type OptionsField,
  type OptionsJson,
  type OptionsOutcome,
} from '../../control/websocket/protocol.ts';
import { el } from './dom.ts';
import type { ApiSocket } from './socket.ts';

/** Every field of the form, in the order shown: its label and the keyboard a phone should offer. */
const FIELDS: Readonly<Record<OptionsField, { label: string; inputmode: 'decimal' | 'numeric' }>> = {
  ip: { label: 'Server IP', inputmode: 'decimal' },
  mask: { label: 'Netmask', inputmode: 'decimal' },
  rangeStart: { label: 'Range start', inputmode: 'decimal' },
  rangeEnd: { label: 'Range end', inputmode: 'decimal' },
  gateway: { label: 'Gateway', inputmode: 'decimal' },
  dns1: { label: 'DNS 1', inputmode: 'decimal' },
  dns2: { label: 'DNS 2', inputmode: 'decimal' },
  leasePeriod: { label: 'Lease time (s)', inputmode: 'numeric' },
};

/**
 * The options form: filled from the `options` event (unless the user is editing), sent as the seed's
 * `options` request; the server's per-field validation errors appear next to their fields.
 */
export class OptionsForm {
  #dirty = false;
  readonly #inputs = new Map<OptionsField, HTMLInputElement>();

  private readonly form: HTMLFormElement;
  private readonly status: HTMLElement;
  private readonly socket: ApiSocket;
  constructor(form: HTMLFormElement, status: HTMLElement, socket: ApiSocket) {
    this.form = form;
    this.status = status;
    this.socket = socket;
    // Each field: a label holding its input and the slot for the server's error about it, before the buttons.
    const actions = form.querySelector('.actions');
    for (const field of Object.keys(FIELDS) as OptionsField[]) {
      const { label, inputmode } = FIELDS[field];
      const input = el('input', { name: field, inputmode, autocomplete: 'off' });
      form.insertBefore(
        el('label', {}, `${label} `, input, el('span', { class: 'error', 'data-error-for': field })),
        actions,
      );
      this.#inputs.set(field, input);
      input.addEventListener('input', () => {
        this.#dirty = true;
        this.#fieldError(field, '');
      });
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.#submit();
    });
    form.addEventListener('reset', () => {
      // Let the browser clear the fields first, then show the server's values again.
      setTimeout(() => {
        this.#dirty = false;
        this.#clearErrors();
        if (this.#last !== undefined) this.fill(this.#last);
      });
    });
  }

  #last: OptionsJson | undefined;

  fill(options: OptionsJson): void {
    this.#last = options;
    if (this.#dirty) return;
    const values: Record<OptionsField, string> = {
      ip: options.server,
      rangeStart: options.range[0] ?? '',
      rangeEnd: options.range[1] ?? '',
      mask: options.netmask,
      gateway: options.router[0] ?? '',
      dns1: options.dns[0] ?? '',
      dns2: options.dns[1] ?? '',
      leasePeriod: String(options.leaseTime),
    };
    for (const [field, input] of this.#inputs) input.value = values[field];
  }

  outcome(body: OptionsOutcome, errors: readonly FieldError[] | undefined): void {
    this.#clearErrors();
    if (body === 'OPTIONS SET') {
      this.#dirty = false;
      if (this.#last !== undefined) this.fill(this.#last);
      this.#status('Options saved.', 'ok');
    } else if (body === 'STOP DHCP SERVER FIRST') {
      this.#status('Stop the DHCP server first, then save the options.', 'error');
    } else {
      const general: string[] = [];
      for (const e of errors ?? []) {
        if (e.field === null) general.push(e.message);
        else this.#fieldError(e.field, e.message);
      }
      this.#status(['Some options are not valid.', ...general].join(' '), 'error');
    }
  }

  #submit(): void {
    const body: Record<string, string | number> = {};
    for (const [field, input] of this.#inputs) body[field] = input.value.trim();
    const lp = String(body['leasePeriod']);
    if (/^\d+$/.test(lp)) body['leasePeriod'] = Number(lp);
    if (this.socket.send('options', body)) this.#status('Saving…', 'pending');
    else this.#status('Not connected.', 'error');
  }

  #fieldError(field: OptionsField, message: string): void {
    const input = this.#inputs.get(field);
    const slot = this.form.querySelector<HTMLElement>(`[data-error-for="${field}"]`);
    if (slot !== null) slot.textContent = message;
    input?.setAttribute('aria-invalid', message === '' ? 'false' : 'true');
  }

  #clearErrors(): void {
    for (const field of this.#inputs.keys()) this.#fieldError(field, '');
    this.#status('', 'ok');
  }

  #status(text: string, kind: 'ok' | 'error' | 'pending'): void {
    this.status.textContent = text;
    this.status.dataset['kind'] = kind;
  }
}
