import type { Lease, LeaseState } from '../../leases/index.ts';
import { fail, identifierArgs, isIPv4, isInteger } from '../args.ts';
import { parseClientId, parseHwAddress } from '../hex.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import type { CommandContext } from '../registry.ts';

const STATES: readonly LeaseState[] = ['default', 'declined', 'expired-reclaimed'];

/** Kea's config-parser style: "missing parameter 'x'" and "invalid type specified for parameter 'x'". */
function typed<T>(map: JsonObject, key: string, check: (v: unknown) => v is T): T | undefined {
  const value = map[key];
  if (value === undefined) return undefined;
  if (!check(value)) fail(`invalid type specified for parameter '${key}'`);
  return value;
}

function required<T>(map: JsonObject, key: string, check: (v: unknown) => v is T): T {
  const value = typed(map, key, check);
  if (value === undefined) fail(`missing parameter '${key}'`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** Parses the arguments of lease4-add and lease4-update into a Lease, as Kea's Lease4Parser does. */
export function parseLease(map: JsonObject, ctx: CommandContext): Lease {
  const address = required(map, 'ip-address', isString);
  if (!isIPv4(address)) {
    fail(
      `Failed to convert '${address}' to address: Failed to convert string to address '${address}': Invalid argument`,
    );
  }
  const hwAddress = parseHwAddress(required(map, 'hw-address', isString));
  const subnetId = resolveSubnet(address, typed(map, 'subnet-id', isInteger), ctx);
  const subnet = ctx.target.subnets.list().find((s) => s.id === subnetId);
  const validLifetime = typed(map, 'valid-lft', isInteger) ?? subnet?.validLifetime ?? 0;
  const expire = typed(map, 'expire', isInteger);
  // fqdn-fwd/rev are checked for Kea compatibility but not kept: leasekeeper does no DNS updates.
  typed(map, 'fqdn-fwd', isBool);
  typed(map, 'fqdn-rev', isBool);
  const hostname = typed(map, 'hostname', isString);
  const clientIdText = typed(map, 'client-id', isString);
  const stateCode = typed(map, 'state', isInteger) ?? 0;
  const state = STATES[stateCode];
  if (state === undefined) {
    fail(
      `Invalid state value: ${stateCode}, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)`,
    );
  }
  const userContext = map['user-context'];
  if (userContext !== undefined && !isJsonObject(userContext)) {
    fail(`Invalid user context '${JSON.stringify(userContext)}' is not a JSON map.`);
  }
  const cltt = expire === undefined ? ctx.now() : (expire - validLifetime) * 1000;
  return {
    address,
    hwAddress,
    clientId: clientIdText === undefined || clientIdText === '' ? null : parseClientId(clientIdText),
    subnetId,
    validLifetime,
    cltt,
    expiresAt: cltt + validLifetime * 1000,
    hostname: hostname === undefined || hostname === '' ? null : hostname,
    state,
    userContext: userContext ?? null,
  };
}

function resolveSubnet(address: string, given: number | undefined, ctx: CommandContext): number {
  const subnets = ctx.target.subnets;
  if (given === undefined || given === 0) {
    const found = subnets.forAddress(address);
    if (found === undefined)
      fail(`subnet-id not specified and failed to find a subnet for address ${address}`);
    return found.id;
  }
  if (!subnets.list().some((s) => s.id === given)) {
    fail(`Invalid subnet-id: No IPv4 subnet with subnet-id=${given} currently configured.`);
  }
  if (subnets.forAddress(address)?.id !== given) {
    fail(`The address ${address} does not belong to subnet-id=${given}`);
  }
  return given;
}

/** What lease4-get and lease4-del select by: an address, or an identifier within a subnet. */
export type LeaseQuery =
  | { readonly by: 'address'; readonly address: string }
  | { readonly by: 'hw-address' | 'client-id'; readonly id: string; readonly subnetId: number };

/** Kea's `LeaseCmdsImpl::getParameters` for IPv4. */
export function parseLeaseQuery(args: unknown): LeaseQuery {
  if (!isJsonObject(args)) fail('Parameters missing or are not a map.');
  const address = args['ip-address'];
  if (address !== undefined) {
    if (typeof address !== 'string') fail("'ip-address' is not a string.");
    if (!isIPv4(address)) fail(`Failed to convert string to address '${address}': Invalid argument`);
    return { by: 'address', address };
  }
  const subnetId = args['subnet-id'];
  if (subnetId === undefined) fail("Mandatory 'subnet-id' parameter missing.");
  if (!isInteger(subnetId)) fail("'subnet-id' parameter is not integer.");
  const { type, value: id } = identifierArgs(args);
  switch (type) {
    case 'hw-address':
      return { by: 'hw-address', id: parseHwAddress(id), subnetId };
    case 'client-id':
      return { by: 'client-id', id: parseClientId(id), subnetId };
    case 'duid':
      return fail('Query by duid is not allowed in v4.');
    default:
      return fail(
        `Incorrect identifier type: ${type}, the only supported values are: address, hw-address, duid`,
      );
  }
}
