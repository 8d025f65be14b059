import type { ClientJson } from '../../control/websocket/protocol.ts';
import { el, formatDuration } from './dom.ts';

/** Rows drawn at most; beyond that the search narrows it down (a /16 may hold 60,000 leases). */
const MAX_ROWS = 500;

/** The leases table: searchable, the time left counting down each second. */
export class LeasesView {
  #clients: readonly ClientJson[] = [];
  #query = '';
  readonly #timers: { cell: HTMLElement; expiresAt: number; state: string }[] = [];

  private readonly body: HTMLTableSectionElement;
  private readonly summary: HTMLElement;
  constructor(body: HTMLTableSectionElement, summary: HTMLElement, search: HTMLInputElement) {
    this.body = body;
    this.summary = summary;
    search.addEventListener('input', () => {
      this.#query = search.value.trim().toLowerCase();
      this.#render();
    });
    setInterval(() => this.#tick(), 1000);
  }

  update(clients: readonly ClientJson[]): void {
    this.#clients = clients;
    this.#render();
  }

  #matches(c: ClientJson): boolean {
    if (this.#query === '') return true;
    const q = this.#query;
    return [c.address, c.mac, c.hostname ?? '', c.state, c.mac.replaceAll('-', ':')].some((f) =>
      f.toLowerCase().includes(q),
    );
  }

  #render(): void {
    const shown = this.#clients.filter((c) => this.#matches(c));
    const rows = shown.slice(0, MAX_ROWS);
    this.#timers.length = 0;
    const now = Date.now();
    this.body.replaceChildren(
      ...rows.map((c) => {
        const expiresAt = Date.parse(c.expiresAt);
        const left = el('td', { class: 'left' }, timeLeft(c.state, expiresAt, now));
        this.#timers.push({ cell: left, expiresAt, state: c.state });
        return el(
          'tr',
          { 'data-address': c.address },
          el('td', { class: 'mono' }, c.address),
          el('td', { class: 'mono' }, c.mac),
          el('td', {}, c.hostname ?? ''),
          el('td', {}, el('span', { class: `state state-${c.state.toLowerCase()}` }, c.state)),
          left,
        );
      }),
    );
    if (rows.length === 0) {
      const text = this.#clients.length === 0 ? 'No leases yet.' : 'No lease matches the search.';
      this.body.append(el('tr', { class: 'empty' }, el('td', { colspan: '5' }, text)));
    }
    const total = this.#clients.length;
    const bound = this.#clients.filter((c) => c.state === 'BOUND').length;
    let text = `${total} lease${total === 1 ? '' : 's'}, ${bound} bound`;
    if (shown.length !== total) text += ` · ${shown.length} match`;
    if (rows.length < shown.length) text += ` · first ${rows.length} shown`;
    this.summary.textContent = text;
  }

  #tick(): void {
    const now = Date.now();
    for (const t of this.#timers) t.cell.textContent = timeLeft(t.state, t.expiresAt, now);
  }
}

function timeLeft(state: string, expiresAt: number, now: number): string {
  if (state === 'RELEASED') return '—';
  return formatDuration(expiresAt - now);
}
