import { el } from './dom.ts';

/** One subnet of Kea's `subnet4-list`. */
export interface SubnetListing {
  readonly id: number;
  readonly subnet: string;
  readonly 'shared-network-name': string | null;
}

interface Usage {
  readonly total: number;
  readonly assigned: number;
  readonly declined: number;
}

/** A utilisation bar with its head line: `label  assigned / total (pct%)`. */
function meter(
  kind: 'pool' | 'network',
  attrs: Record<string, string>,
  label: string,
  u: Usage,
): HTMLElement {
  const pct = u.total === 0 ? 0 : Math.min(100, (u.assigned / u.total) * 100);
  const bar = el('div', {
    class: 'bar',
    role: 'meter',
    'aria-label': label,
    'aria-valuemin': '0',
    'aria-valuemax': String(u.total),
    'aria-valuenow': String(u.assigned),
  });
  const fill = el('div', { class: 'fill' });
  fill.style.width = `${pct.toFixed(1)}%`; // CSSOM, allowed by the page's CSP (style attributes are not)
  bar.append(fill);
  return el(
    'div',
    { class: kind, ...attrs },
    el(
      'div',
      { class: `${kind}-head` },
      el('span', { class: 'name' }, label),
      el('span', { class: 'usage' }, `${u.assigned} / ${u.total} (${pct.toFixed(0)}%)`),
    ),
    bar,
    u.declined > 0 ? el('div', { class: 'muted' }, `${u.declined} declined`) : '',
  );
}

/**
 * Utilisation per subnet from `statistic-get-all`, the subnets of a shared network grouped under its name
 * with the network's totals (the server's `shared-network[NAME].*` sums), in `subnet4-list` order. Without
 * a listing (an older server) the subnets are listed by id, ungrouped.
 */
export function renderPools(
  host: HTMLElement,
  value: (name: string) => number | undefined,
  ids: readonly number[],
  listing: readonly SubnetListing[] | undefined,
): void {
  if (ids.length === 0) {
    host.replaceChildren(el('p', { class: 'muted' }, 'No subnets with pools.'));
    return;
  }
  const usage = (prefix: string): Usage => ({
    total: value(`${prefix}.total-addresses`) ?? 0,
    assigned: value(`${prefix}.assigned-addresses`) ?? 0,
    declined: value(`${prefix}.declined-addresses`) ?? 0,
  });
  const shown = new Set(ids);
  const subnetMeter = (id: number, prefix?: string): HTMLElement =>
    meter(
      'pool',
      { 'data-subnet': String(id) },
      `Subnet ${id}${prefix === undefined ? '' : ` ${prefix}`}`,
      usage(`subnet[${id}]`),
    );
  if (listing === undefined) {
    host.replaceChildren(...ids.map((id) => subnetMeter(id)));
    return;
  }
  const out: HTMLElement[] = [];
  const groups = new Map<string, HTMLElement>();
  for (const s of listing) {
    if (!shown.has(s.id)) continue;
    shown.delete(s.id);
    const network = s['shared-network-name'];
    if (network === null) {
      out.push(subnetMeter(s.id, s.subnet));
      continue;
    }
    let group = groups.get(network);
    if (group === undefined) {
      const members = listing.filter((x) => x['shared-network-name'] === network).map((x) => x.id);
      const sum = (stat: keyof Usage): number =>
        members.reduce((n, id) => n + usage(`subnet[${id}]`)[stat], 0);
      // The server's sums; summed here too for a server that has none.
      const prefix = `shared-network[${network}]`;
      const totals: Usage = {
        total: value(`${prefix}.total-addresses`) ?? sum('total'),
        assigned: value(`${prefix}.assigned-addresses`) ?? sum('assigned'),
        declined: value(`${prefix}.declined-addresses`) ?? sum('declined'),
      };
      group = el('section', { class: 'network-group', 'data-network': network });
      group.append(meter('network', {}, network, totals));
      groups.set(network, group);
      out.push(group);
    }
    group.append(subnetMeter(s.id, s.subnet));
  }
  // Subnets the listing does not know yet (a configuration change between the two answers).
  for (const id of shown) out.push(subnetMeter(id));
  host.replaceChildren(...out);
}
