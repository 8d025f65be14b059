import { empty, success } from '../answer.ts';
import { fail, isInteger } from '../args.ts';
import { isJsonObject } from '../json.ts';
import { keaTimestamp } from '../kea-time.ts';
import type { CommandRegistry } from '../registry.ts';
import type { SubnetInfo } from '../target.ts';

const COLUMNS = [
  'subnet-id',
  'total-addresses',
  'cumulative-assigned-addresses',
  'assigned-addresses',
  'declined-addresses',
];

/** stat-lease4-get of Kea's stat_cmds hook: lease counts per subnet, computed from the lease store. */
export function registerStatLeaseCommands(registry: CommandRegistry): void {
  registry.register('stat-lease4-get', async (args, ctx) => {
    const select = parseSelection(args);
    const subnets = ctx.target.subnets
      .list()
      .filter((s) => select.test(s))
      .sort((a, b) => a.id - b.id);
    if (select.missing !== undefined && subnets.length === 0) {
      return empty(`stat-lease4-get[${select.label}]: no matching data, ${select.missing}`, {});
    }
    const counts = new Map(
      (await ctx.target.leases.stats({ subnetIds: subnets.map((s) => s.id) })).map((c) => [
        c.subnetId,
        c.byState,
      ]),
    );
    const stats = ctx.target.statistics;
    const rows = subnets.map((s) => [
      s.id,
      s.totalAddresses,
      stats.get(`subnet[${s.id}].cumulative-assigned-addresses`)?.[0]?.value ?? 0,
      counts.get(s.id)?.default ?? 0,
      counts.get(s.id)?.declined ?? 0,
    ]);
    const text = `stat-lease4-get[${select.label}]: ${rows.length} rows found`;
    const resultSet = { columns: COLUMNS, rows, timestamp: keaTimestamp(ctx.now()) };
    return rows.length === 0
      ? empty(text, { 'result-set': resultSet })
      : success(text, { 'result-set': resultSet });
  });
}

interface Selection {
  readonly label: string;
  /** Kea's explanation when a named subnet does not exist. */
  readonly missing?: string;
  test(subnet: SubnetInfo): boolean;
}

function parseSelection(args: unknown): Selection {
  const map = isJsonObject(args) ? args : {};
  const id = map['subnet-id'];
  const range = map['subnet-range'];
  if (id !== undefined && range !== undefined) fail('cannot specify both subnet-id and subnet-range');
  if (id !== undefined) {
    if (!isInteger(id)) fail("'subnet-id' parameter is not integer");
    if (id <= 0) fail("'subnet-id' parameter must be > 0");
    return { label: `subnet-id=${id}`, missing: `subnet-id: ${id} does not exist`, test: (s) => s.id === id };
  }
  if (range !== undefined) {
    if (!isJsonObject(range)) fail("'subnet-range' parameter is not a map");
    const first = range['first-subnet-id'];
    const last = range['last-subnet-id'];
    if (first === undefined) fail("'first-subnet-id' parameter missing or not an integer");
    if (!isInteger(first) || first <= 0) fail("'first-subnet-id' parameter missing or not an integer");
    if (last === undefined || !isInteger(last) || last <= 0)
      fail("'last-subnet-id' parameter missing or not an integer");
    if (last < first) fail("'last-subnet-id' must be greater than 'first-subnet-id'");
    return {
      label: `subnets ${first} through ${last}`,
      missing: `selected ID range: ${first} through ${last} includes no known subnets`,
      test: (s) => s.id >= first && s.id <= last,
    };
  }
  return { label: 'all subnets', test: () => true };
}
