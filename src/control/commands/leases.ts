import type { Lease } from '../../leases/index.ts';
import { LeaseStoreError } from '../../leases/index.ts';
import { RESULT, answer, empty, failure, success, type Answer } from '../answer.ts';
import { fail, isIPv4, isInteger } from '../args.ts';
import { parseClientId, parseHwAddress } from '../hex.ts';
import { isJsonObject } from '../json.ts';
import { leaseListText, leaseToKea } from '../lease-json.ts';
import type { CommandContext, CommandHandler, CommandRegistry } from '../registry.ts';
import { parseLease, parseLeaseQuery, type LeaseQuery } from './lease-input.ts';

/** The lease4-* commands of Kea's lease_cmds hook, each a thin call into the LeaseStore. */
export function registerLeaseCommands(registry: CommandRegistry): void {
  const reg = (name: string, handler: CommandHandler): void => {
    registry.register(name, storeErrorsAnswered(handler));
  };

  reg('lease4-add', async (args, ctx) => {
    if (!isJsonObject(args)) fail('no parameters specified for the command');
    const lease = parseLease(args, ctx);
    const result = await ctx.target.leases.commit(lease, { mode: 'insert', now: ctx.now() });
    if (!result.ok) return failure('IPv4 lease already exists.');
    return success(`Lease for address ${lease.address}, subnet-id ${lease.subnetId} added.`);
  });

  reg('lease4-update', async (args, ctx) => {
    if (!isJsonObject(args)) fail('no parameters specified for the command');
    const force = args['force-create'];
    if (force !== undefined && typeof force !== 'boolean')
      fail("invalid type specified for parameter 'force-create'");
    const lease = parseLease(args, ctx);
    const mode = force === true ? 'upsert' : 'update';
    const result = await ctx.target.leases.commit(lease, { mode, now: ctx.now() });
    if (result.ok) return success(result.kind === 'added' ? 'IPv4 lease added.' : 'IPv4 lease updated.');
    return failure(
      `failed to update the lease with address ${lease.address} either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed`,
    );
  });

  reg('lease4-get', async (args, ctx) => {
    const lease = await findLease(parseLeaseQuery(args), ctx);
    return lease === null ? empty('Lease not found.') : success('IPv4 lease found.', leaseToKea(lease));
  });

  reg('lease4-del', async (args, ctx) => {
    const lease = await findLease(parseLeaseQuery(args), ctx);
    if (lease === null || (await ctx.target.leases.remove(lease.address)) === null) {
      return empty('IPv4 lease not found.');
    }
    return success('IPv4 lease deleted.');
  });

  reg('lease4-get-all', async (args, ctx) => {
    let subnetIds: number[] | undefined;
    if (isJsonObject(args) && args['subnets'] !== undefined) {
      const list = args['subnets'];
      if (!Array.isArray(list)) fail("'subnets' parameter must be a list");
      if (!list.every(isInteger)) fail('listed subnet identifiers must be numbers');
      subnetIds = list;
    }
    return leaseList(await ctx.target.leases.getAll(subnetIds === undefined ? undefined : { subnetIds }));
  });

  reg('lease4-get-page', async (args, ctx) => {
    if (!isJsonObject(args)) fail('Parameters missing or are not a map.');
    const from = args['from'];
    if (from === undefined) fail("'from' parameter not specified");
    if (typeof from !== 'string') fail("'from' parameter must be a string");
    if (from !== 'start' && !isIPv4(from)) {
      fail("'from' parameter value is neither 'start' keyword nor a valid IPv4 address");
    }
    const limit = args['limit'];
    if (limit === undefined) fail("'limit' parameter not specified");
    if (!isInteger(limit)) fail("'limit' parameter must be a number");
    if (limit === 0) fail('page size of retrieved leases must not be 0');
    if (limit < 0 || limit > 0xffffffff)
      fail('page size of retrieved leases must not be greater than 4294967295');
    const leases = (await ctx.target.leases.getPage(from, limit)).map(leaseToKea);
    const result = leases.length === 0 ? RESULT.empty : RESULT.success;
    return answer(result, leaseListText(leases.length), { count: leases.length, leases });
  });

  reg('lease4-get-by-hw-address', async (args, ctx) =>
    leaseList(await ctx.target.leases.getByHwAddress(parseHwAddress(byParam(args, 'hw-address')))),
  );

  reg('lease4-get-by-client-id', async (args, ctx) =>
    leaseList(await ctx.target.leases.getByClientId(parseClientId(byParam(args, 'client-id')))),
  );

  reg('lease4-get-by-hostname', async (args, ctx) => {
    const hostname = byParam(args, 'hostname');
    if (hostname === '') fail("'hostname' parameter is empty");
    return leaseList(await ctx.target.leases.getByHostname(hostname));
  });

  reg('lease4-wipe', async (args, ctx) => {
    const given = isJsonObject(args) ? args['subnet-id'] : undefined;
    if (given !== undefined && !isInteger(given)) fail("'subnet-id' parameter is not integer.");
    // Kea 2.2 wipes every subnet when no (or a zero) subnet-id is given and names them all in its text.
    const ids = given === undefined || given === 0 ? ctx.target.subnets.list().map((s) => s.id) : [given];
    const deleted = await ctx.target.leases.wipe({ subnetIds: ids });
    const text = `Deleted ${deleted} IPv4 lease(s) from subnet(s) ${ids.join(' ')}`;
    return deleted === 0 ? empty(text) : success(text);
  });
}

/** A store that rejects a lease as invalid answers result 1 with its reason, as Kea's parser would. */
function storeErrorsAnswered(handler: CommandHandler): CommandHandler {
  return async (args, ctx) => {
    try {
      return await handler(args, ctx);
    } catch (err) {
      if (
        err instanceof LeaseStoreError &&
        (err.code === 'ERR_LEASE_INVALID' || err.code === 'ERR_LEASE_QUERY_INVALID')
      ) {
        return failure(err.message);
      }
      throw err;
    }
  };
}

async function findLease(query: LeaseQuery, ctx: CommandContext): Promise<Lease | null> {
  const leases = ctx.target.leases;
  switch (query.by) {
    case 'address':
      return leases.get(query.address);
    case 'hw-address':
      return (await leases.getByHwAddress(query.id, query.subnetId))[0] ?? null;
    case 'client-id':
      return (await leases.getByClientId(query.id, query.subnetId))[0] ?? null;
  }
}

/** The single string argument of the lease4-get-by-* commands, with Kea's messages. */
function byParam(args: unknown, key: string): string {
  if (!isJsonObject(args)) fail('Command arguments missing or a not a map.');
  const value = args[key];
  if (value === undefined) fail(`'${key}' parameter not specified`);
  if (typeof value !== 'string') fail(`'${key}' parameter must be a string`);
  return value;
}

function leaseList(found: readonly Lease[]): Answer {
  const leases = found.map(leaseToKea);
  return answer(leases.length === 0 ? RESULT.empty : RESULT.success, leaseListText(leases.length), {
    leases,
  });
}
