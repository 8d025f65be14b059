import type { ClientJson } from '../../control/websocket/protocol.ts';
import { el, formatDuration } from './dom.ts';

/** Rows drawn at most; beyond that the search narrows it down (a /16 may hold 60,000 leases). */
const MAX_ROWS = 500;
const COLUMNS = 5;

/** The `<select>` value that shows every lease, whatever its classes. */
const ANY_CLASS = '';

/**
 * The leases table: searchable, filterable by client class, the time left counting down each second. A row
 * opens (click, Enter or Space) to the lease's details, its classes among them; a class there filters by it.
 */
export class LeasesView {
  #clients: readonly ClientJson[] = [];
  #query = '';
  #classFilter = ANY_CLASS;
  /** Addresses whose details are open; kept across pushes so a live update does not close them. */
  readonly #open = new Set<string>();
  readonly #timers: { cell: HTMLElement; expiresAt: number; state: string }[] = [];

  private readonly body: HTMLTableSectionElement;
  private readonly summary: HTMLElement;
  private readonly classSelect: HTMLSelectElement;
  constructor(
    body: HTMLTableSectionElement,
    summary: HTMLElement,
    search: HTMLInputElement,
    classSelect: HTMLSelectElement,
  ) {
    this.body = body;
    this.summary = summary;
    this.classSelect = classSelect;
    search.addEventListener('input', () => {
      this.#query = search.value.trim().toLowerCase();
      this.#render();
    });
    classSelect.addEventListener('change', () => this.filterByClass(classSelect.value));
    body.addEventListener('click', (e) => this.#onActivate(e));
    body.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') this.#onActivate(e);
    });
    setInterval(() => this.#tick(), 1000);
  }

  update(clients: readonly ClientJson[]): void {
    this.#clients = clients;
    this.#render();
  }

  /** Shows only the leases granted with `name` (`''`: all). */
  filterByClass(name: string): void {
    this.#classFilter = name;
    this.#render();
  }

  #onActivate(e: Event): void {
    const target = e.target as Element;
    const chip = target.closest<HTMLElement>('button.class-chip');
    if (chip !== null) {
      e.preventDefault();
      this.filterByClass(chip.dataset['class'] ?? ANY_CLASS);
      return;
    }
    const row = target.closest<HTMLElement>('tr.lease');
    const address = row?.dataset['address'];
    if (address === undefined) return;
    e.preventDefault();
    if (!this.#open.delete(address)) this.#open.add(address);
    this.#render();
    this.body.querySelector<HTMLElement>(`tr.lease[data-address="${address}"]`)?.focus();
  }

  #matches(c: ClientJson): boolean {
    if (this.#classFilter !== ANY_CLASS && !(c.classes ?? []).includes(this.#classFilter)) return false;
    if (this.#query === '') return true;
    const q = this.#query;
    return [
      c.address,
      c.mac,
      c.hostname ?? '',
      c.state,
      c.mac.replaceAll('-', ':'),
      ...(c.classes ?? []),
    ].some((f) => f.toLowerCase().includes(q));
  }

  #render(): void {
    this.#renderClassOptions();
    const shown = this.#clients.filter((c) => this.#matches(c));
    const rows = shown.slice(0, MAX_ROWS);
    this.#timers.length = 0;
    const now = Date.now();
    this.body.replaceChildren(
      ...rows.flatMap((c) => {
        const expiresAt = Date.parse(c.expiresAt);
        const left = el('td', { class: 'left' }, timeLeft(c.state, expiresAt, now));
        this.#timers.push({ cell: left, expiresAt, state: c.state });
        const open = this.#open.has(c.address);
        const row = el(
          'tr',
          { class: 'lease', 'data-address': c.address, tabindex: '0', 'aria-expanded': String(open) },
          el('td', { class: 'mono' }, c.address),
          el('td', { class: 'mono' }, c.mac),
          el('td', {}, c.hostname ?? ''),
          el('td', {}, el('span', { class: `state state-${c.state.toLowerCase()}` }, c.state)),
          left,
        );
        return open ? [row, detailRow(c)] : [row];
      }),
    );
    if (rows.length === 0) {
      const text = this.#clients.length === 0 ? 'No leases yet.' : 'No lease matches the search.';
      this.body.append(el('tr', { class: 'empty' }, el('td', { colspan: String(COLUMNS) }, text)));
    }
    const total = this.#clients.length;
    const bound = this.#clients.filter((c) => c.state === 'BOUND').length;
    let text = `${total} lease${total === 1 ? '' : 's'}, ${bound} bound`;
    if (shown.length !== total) text += ` · ${shown.length} match`;
    if (rows.length < shown.length) text += ` · first ${rows.length} shown`;
    this.summary.textContent = text;
  }

  /** One choice per class some lease has, with its count; the chosen one stays even when no lease has it now. */
  #renderClassOptions(): void {
    const counts = new Map<string, number>();
    for (const c of this.#clients)
      for (const name of c.classes ?? []) counts.set(name, (counts.get(name) ?? 0) + 1);
    if (this.#classFilter !== ANY_CLASS && !counts.has(this.#classFilter)) counts.set(this.#classFilter, 0);
    const names = [...counts.keys()].sort((a, b) => a.localeCompare(b));
    this.classSelect.replaceChildren(
      el('option', { value: ANY_CLASS }, 'All classes'),
      ...names.map((name) => el('option', { value: name }, `${name} (${counts.get(name) ?? 0})`)),
    );
    this.classSelect.value = this.#classFilter;
    this.classSelect.hidden = names.length === 0;
  }

  #tick(): void {
    const now = Date.now();
    for (const t of this.#timers) t.cell.textContent = timeLeft(t.state, t.expiresAt, now);
  }
}

/** The lease's details under its row; each class is a button that filters the table by it. */
function detailRow(c: ClientJson): HTMLTableRowElement {
  const classes = c.classes ?? [];
  const field = (term: string, ...value: (Node | string)[]): Node[] => [
    el('dt', {}, term),
    el('dd', {}, ...value),
  ];
  return el(
    'tr',
    { class: 'lease-detail', 'data-detail-for': c.address },
    el(
      'td',
      { colspan: String(COLUMNS) },
      el(
        'dl',
        {},
        ...field(
          'Classes',
          ...(classes.length === 0
            ? [el('span', { class: 'muted' }, 'none')]
            : classes.map((name) =>
                el(
                  'button',
                  {
                    type: 'button',
                    class: 'class-chip',
                    'data-class': name,
                    title: `Show leases in ${name}`,
                  },
                  name,
                ),
              )),
        ),
        ...field('Subnet', String(c.subnetId)),
        ...field('Server', c.server),
        ...field('Lease time', `${c.leasePeriod} s`),
        ...field('Bound since', c.bindTime),
        ...field('Expires', c.expiresAt),
      ),
    ),
  );
}

function timeLeft(state: string, expiresAt: number, now: number): string {
  if (state === 'RELEASED') return '—';
  return formatDuration(expiresAt - now);
}
