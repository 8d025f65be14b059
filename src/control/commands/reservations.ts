import { HOST_IDENTIFIERS } from '../../config/index.ts';
import { RESULT, answer, empty, failure, success } from '../answer.ts';
import { fail, identifierArgs, isIPv4, isInteger, normalizeHex } from '../args.ts';
import { ControlConflictError } from '../errors.ts';
import { parseClientId, parseHwAddress } from '../hex.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import type { CommandRegistry } from '../registry.ts';
import type { HostIdentifierType, HostSelector, OperationTarget, StoredReservation } from '../target.ts';

const OPERATION_TARGETS: readonly OperationTarget[] = ['memory', 'database', 'all', 'default'];

/** reservation-add/-get/-get-all/-get-page/-del, in the shape of Kea's host_cmds hook. */
export function registerReservationCommands(registry: CommandRegistry): void {
  registry.register('reservation-add', async (args, ctx) => {
    const map = argsMap(args);
    const host = map['reservation'];
    if (host === undefined) fail("Mandatory 'reservation' parameter missing.");
    if (!isJsonObject(host)) fail("'reservation' parameter must be a map.");
    const subnetId = host['subnet-id'];
    if (subnetId === undefined) fail("Mandatory 'subnet-id' parameter missing.");
    if (!isInteger(subnetId) || subnetId < 0) fail("'subnet-id' parameter must be a non-negative integer.");
    const normalized = normalizeHost(host);
    const target = operationTarget(map);
    try {
      await ctx.target.reservations.add(subnetId, normalized, target);
    } catch (err) {
      if (err instanceof ControlConflictError) return failure(err.message);
      throw err;
    }
    return success('Host added.');
  });

  registry.register('reservation-get', async (args, ctx) => {
    const map = argsMap(args);
    const subnetId = mandatorySubnet(map);
    const host = await ctx.target.reservations.get(subnetId, parseSelector(map), operationTarget(map));
    return host === undefined
      ? empty('Host not found.')
      : success('Host found.', { ...keaHostShape(host), 'subnet-id': subnetId });
  });

  registry.register('reservation-get-all', async (args, ctx) => {
    const map = argsMap(args);
    const subnetId = mandatorySubnet(map);
    const hosts = (await ctx.target.reservations.all(subnetId, { target: operationTarget(map) })).map(
      withSubnet,
    );
    return answer(hosts.length === 0 ? RESULT.empty : RESULT.success, hostsText(hosts.length), { hosts });
  });

  registry.register('reservation-get-by-hostname', async (args, ctx) => {
    const map = argsMap(args);
    const hostname = map['hostname'];
    if (hostname === undefined) fail("Mandatory 'hostname' parameter missing.");
    if (typeof hostname !== 'string') fail("'hostname' parameter must be a string.");
    const subnetId = map['subnet-id'];
    if (subnetId !== undefined && (!isInteger(subnetId) || subnetId < 0))
      fail("'subnet-id' parameter is not integer.");
    // Kea compares host names case-insensitively (its hosts_by_hostname index is on lower(hostname)).
    const wanted = hostname.toLowerCase();
    const hosts = (await ctx.target.reservations.all(subnetId, { target: operationTarget(map), hostname }))
      .filter((r) => typeof r.host['hostname'] === 'string' && r.host['hostname'].toLowerCase() === wanted)
      .map(withSubnet);
    return answer(hosts.length === 0 ? RESULT.empty : RESULT.success, hostsText(hosts.length), { hosts });
  });

  registry.register('reservation-get-by-id', async (args, ctx) => {
    const map = argsMap(args);
    const selector = parseSelector({
      'identifier-type': map['identifier-type'] ?? null,
      identifier: map['identifier'] ?? null,
    });
    if (selector.kind !== 'identifier') fail("'identifier-type' and 'identifier' are required.");
    const hosts = (
      await ctx.target.reservations.all(undefined, { target: operationTarget(map), identifier: selector })
    )
      .filter((r) => hostIdentifier(r.host, selector.type) === comparable(selector.type, selector.value))
      .map(withSubnet);
    return answer(hosts.length === 0 ? RESULT.empty : RESULT.success, hostsText(hosts.length), { hosts });
  });

  registry.register('reservation-get-page', async (args, ctx) => {
    const map = argsMap(args);
    const subnetId = map['subnet-id'];
    if (subnetId !== undefined && !isInteger(subnetId)) fail("'subnet-id' parameter is not integer.");
    const limit = map['limit'];
    if (limit === undefined) fail("Mandatory 'limit' parameter missing.");
    if (!isInteger(limit)) fail("'limit' parameter is not integer.");
    if (limit <= 0) fail("'limit' parameter must be greater than 0.");
    const sourceIndex = map['source-index'] ?? 0;
    if (!isInteger(sourceIndex)) fail("'source-index' parameter is not integer.");
    const from = map['from'] ?? 0;
    if (!isInteger(from) || from < 0) fail("'from' parameter is not integer.");
    // Source 0 is the configuration, 1.. the host databases in order; `from` is where the last page of
    // the source ended. An exhausted source moves the walk on to the next one.
    const access = ctx.target.reservations;
    const sources = access.sourceCount?.() ?? 1;
    for (let source = sourceIndex, start = from; source < sources; source++, start = 0) {
      const got =
        access.page === undefined
          ? await access.all(subnetId, { source }).then((all) => ({
              hosts: all.slice(start, start + limit),
              next: start + Math.min(limit, Math.max(0, all.length - start)),
            }))
          : await access.page(subnetId, source, start, limit);
      const page = got.hosts.map(withSubnet);
      if (page.length === 0) continue;
      return success(hostsText(page.length), {
        count: page.length,
        hosts: page,
        next: { from: got.next, 'source-index': source },
      });
    }
    return empty(hostsText(0), { count: 0, hosts: [] });
  });

  registry.register('reservation-del', async (args, ctx) => {
    const map = argsMap(args);
    const subnetId = mandatorySubnet(map);
    return (await ctx.target.reservations.del(subnetId, parseSelector(map), operationTarget(map)))
      ? success('Host deleted.')
      : failure('Host not deleted (not found).');
  });
}

function argsMap(args: unknown): JsonObject {
  if (!isJsonObject(args)) fail('Parameters missing or are not a map.');
  return args;
}

function operationTarget(map: JsonObject): OperationTarget {
  const value = map['operation-target'];
  if (value === undefined) return 'default';
  const known = OPERATION_TARGETS.find((t) => t === value);
  if (known === undefined)
    fail(
      `The 'operation-target' value (${JSON.stringify(value)}) is not within expected set: (memory, database, all, default)`,
    );
  return known;
}

/** A host's identifier of this type, normalized as selectors are, or undefined when it has another. */
function hostIdentifier(host: JsonObject, type: HostIdentifierType): string | undefined {
  const value = host[type];
  return typeof value === 'string' ? comparable(type, value) : undefined;
}

/** Hex in any of Kea's spellings as colon hex; quoted text as given. */
function comparable(type: HostIdentifierType, value: string): string | undefined {
  if (type === 'hw-address' || type === 'client-id') return normalizeHex(value.replace(/[-. ]/g, ':'));
  return normalizeHex(value) ?? value;
}

function mandatorySubnet(map: JsonObject): number {
  const id = map['subnet-id'];
  if (id === undefined) fail("Mandatory 'subnet-id' parameter missing.");
  if (!isInteger(id) || id < 0) fail("'subnet-id' parameter is not integer.");
  return id;
}

/** (`ip-address`) or (`identifier-type`, `identifier`), as Kea's host_cmds accepts them. */
export function parseSelector(map: JsonObject): HostSelector {
  const address = map['ip-address'];
  if (address !== undefined) {
    if (typeof address !== 'string' || !isIPv4(address))
      fail(`Failed to convert string to address '${String(address)}'`);
    return { kind: 'address', address };
  }
  const { type, value } = identifierArgs(map);
  const known = HOST_IDENTIFIERS.find((t) => t === type);
  if (known === undefined) {
    fail(`Incorrect identifier type: ${type}, the only supported values are: ${HOST_IDENTIFIERS.join(', ')}`);
  }
  return { kind: 'identifier', type: known, value: normalizeIdentifier(known, value) };
}

function normalizeIdentifier(type: HostIdentifierType, value: string): string {
  if (type === 'hw-address') return parseHwAddress(value);
  if (type === 'client-id') return parseClientId(value);
  return value.toLowerCase();
}

/** Normalizes identifiers so lookups compare like with like; the rest of the host is kept as given. */
function normalizeHost(host: JsonObject): JsonObject {
  const out: Record<string, JsonObject[string]> = {};
  let identifiers = 0;
  for (const [key, value] of Object.entries(host)) {
    if (key === 'subnet-id') continue;
    if ((HOST_IDENTIFIERS as readonly string[]).includes(key)) {
      if (typeof value !== 'string') fail(`'${key}' parameter must be a string.`);
      identifiers += 1;
      out[key] = normalizeIdentifier(key as HostIdentifierType, value);
    } else {
      out[key] = value;
    }
  }
  if (identifiers !== 1) fail('exactly one host identifier must be specified');
  const address = out['ip-address'];
  if (address !== undefined && (typeof address !== 'string' || !isIPv4(address))) {
    fail(`Failed to convert string to address '${String(address)}'`);
  }
  return out;
}

function withSubnet(r: StoredReservation): JsonObject {
  return { ...keaHostShape(r.host), 'subnet-id': r.subnetId };
}

/**
 * A host as Kea's host_cmds answers it (`Host::toElement4`): the fields a host may leave empty are always
 * there, with their empty values, whatever the host's source (configuration, `reservation-add`, a host
 * database). `ip-address` is the exception Kea makes too: absent when nothing is reserved.
 */
export function keaHostShape(host: JsonObject): JsonObject {
  const identifiers: Record<string, string> = {};
  for (const type of HOST_IDENTIFIERS) {
    const value = host[type];
    if (typeof value === 'string') identifiers[type] = keaIdentifierText(type, value);
  }
  return {
    ...host,
    ...identifiers,
    hostname: host['hostname'] ?? '',
    'next-server': host['next-server'] ?? '0.0.0.0',
    'server-hostname': host['server-hostname'] ?? '',
    'boot-file-name': host['boot-file-name'] ?? '',
    'client-classes': host['client-classes'] ?? [],
    'option-data': host['option-data'] ?? [],
  };
}

/**
 * An identifier as Kea prints it: hardware addresses and DUIDs as lowercase colon hex, the others (client
 * id, circuit id, flex id) as uppercase hex without separators; quoted text (`'abc'`) as the hex of its bytes.
 */
function keaIdentifierText(type: HostIdentifierType, value: string): string {
  const quoted = /^'(.*)'$/s.exec(value);
  if (quoted !== null && type !== 'hw-address' && type !== 'duid')
    return Buffer.from(quoted[1]!, 'utf8').toString('hex').toUpperCase();
  const hex = comparable(type, value);
  if (hex === undefined) return value;
  return type === 'hw-address' || type === 'duid' ? hex : hex.replaceAll(':', '').toUpperCase();
}

function hostsText(count: number): string {
  return `${count} IPv4 host(s) found.`;
}
