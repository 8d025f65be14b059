import {
  HOST_IDENTIFIERS,
  normalizeClientId,
  normalizeHwAddress,
  normalizeOpaqueId,
} from '../config/index.ts';
import { CommandArgumentError, ControlConflictError } from '../control/index.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../control/index.ts';
import type {
  HostSelector,
  OperationTarget,
  ReservationAccess,
  ReservationQuery,
  ReservationJson,
  StoredReservation,
} from '../control/index.ts';
import type { ConfigHolder } from './config-holder.ts';
import { RuntimeError } from './errors.ts';

/**
 * Host reservations kept in the running configuration (Kea's `reservations` lists; subnet id 0 is the
 * global list): every change is a new configuration, compiled and swapped in like `config-set`, so the
 * engine serves it at once and `config-get`/`config-write` show it.
 */
export class ConfigReservations implements ReservationAccess {
  readonly #holder: ConfigHolder;

  constructor(holder: ConfigHolder) {
    this.#holder = holder;
  }

  async add(subnetId: number, host: ReservationJson, target?: OperationTarget): Promise<void> {
    noDatabase(target, 'add');
    const json = this.#holder.json();
    const list = hostList(json, subnetId, true);
    const clash = list.some((h) =>
      [...HOST_IDENTIFIERS, 'ip-address'].some((k) => host[k] !== undefined && same(k, h[k], host[k])),
    );
    if (clash) throw new ControlConflictError('Host already exists.');
    list.push(host);
    const outcome = this.#holder.apply(json);
    if (!outcome.ok) throw new CommandArgumentError(`reservation rejected: ${outcome.error}`);
  }

  async get(
    subnetId: number,
    selector: HostSelector,
    target?: OperationTarget,
  ): Promise<ReservationJson | undefined> {
    if (target === 'database') return undefined;
    return hostList(this.#holder.json(), subnetId, false).find((h) => matches(h, selector));
  }

  async all(
    subnetId: number | undefined,
    where: ReservationQuery = {},
  ): Promise<readonly StoredReservation[]> {
    if (where.target === 'database' || (where.source ?? 0) !== 0) return [];
    const json = this.#holder.json();
    const ids = subnetId === undefined ? [0, ...subnetIds(json)] : [subnetId];
    return ids.flatMap((id) => hostList(json, id, false).map((host) => ({ subnetId: id, host })));
  }

  async del(subnetId: number, selector: HostSelector, target?: OperationTarget): Promise<boolean> {
    noDatabase(target, 'delete');
    const json = this.#holder.json();
    const list = hostList(json, subnetId, false);
    const i = list.findIndex((h) => matches(h, selector));
    if (i < 0) return false;
    list.splice(i, 1);
    const outcome = this.#holder.apply(json);
    if (!outcome.ok) throw new CommandArgumentError(`reservation removal rejected: ${outcome.error}`);
    return true;
  }
}

/** Kea's answer to a write aimed at host databases when there are none. */
function noDatabase(target: OperationTarget | undefined, what: 'add' | 'delete'): void {
  if (target === 'database')
    throw new CommandArgumentError(
      `Unable to ${what} a host because there is no hosts-databases configured.`,
    );
}

type MutableObject = { [key: string]: JsonValue };

function dhcp4(json: JsonObject): MutableObject {
  const d = json['Dhcp4'];
  if (!isJsonObject(d))
    throw new RuntimeError('ERR_SERVER_CONFIG_SHAPE', 'the running configuration has no Dhcp4 map');
  return d as MutableObject;
}

/** Every subnet map: the top-level `subnet4` ones, then those inside `shared-networks`. */
function subnetMaps(json: JsonObject): MutableObject[] {
  const d = dhcp4(json);
  const lists: JsonValue[] = [d['subnet4'] ?? []];
  const networks = d['shared-networks'];
  if (Array.isArray(networks)) for (const n of networks) if (isJsonObject(n)) lists.push(n['subnet4'] ?? []);
  return lists.flatMap((l) => (Array.isArray(l) ? l.filter(isJsonObject) : [])) as MutableObject[];
}

function subnetIds(json: JsonObject): number[] {
  return subnetMaps(json).flatMap((s) => (typeof s['id'] === 'number' ? [s['id']] : []));
}

/** The mutable reservation list of subnet `id` (0: global) inside `json`; created when `create`. */
function hostList(json: JsonObject, id: number, create: boolean): JsonObject[] {
  let owner: MutableObject | undefined = dhcp4(json);
  if (id !== 0) {
    owner = subnetMaps(json).find((s) => s['id'] === id);
    if (owner === undefined) {
      if (create) throw new CommandArgumentError(`Subnet with SUBNET_ID=${id} does not exist`);
      return [];
    }
  }
  const list = owner['reservations'];
  if (Array.isArray(list)) return list as JsonObject[];
  const fresh: JsonObject[] = [];
  if (create) owner['reservations'] = fresh;
  return fresh;
}

function matches(host: JsonObject, selector: HostSelector): boolean {
  if (selector.kind === 'address') return host['ip-address'] === selector.address;
  return same(selector.type, host[selector.type], selector.value);
}

function same(key: string, a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  if (key === 'hw-address') return normalizeHwAddress(a) === normalizeHwAddress(b);
  if (key === 'client-id') return normalizeClientId(a) === normalizeClientId(b);
  if (key === 'duid' || key === 'circuit-id' || key === 'flex-id') {
    const na = normalizeOpaqueId(a, 1);
    return na !== undefined && na === normalizeOpaqueId(b, 1);
  }
  return a.toLowerCase() === b.toLowerCase();
}
