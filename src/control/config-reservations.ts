import { normalizeHex } from './args.ts';
import { ControlConflictError } from './errors.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';
import type {
  ConfigAccess,
  HostIdentifierType,
  HostSelector,
  ReservationAccess,
  ReservationJson,
  StoredReservation,
} from './target.ts';

const IDENTIFIERS: readonly HostIdentifierType[] = [
  'hw-address',
  'duid',
  'circuit-id',
  'client-id',
  'flex-id',
];

/**
 * Reservations kept where Kea keeps them without a host database: in the configuration, under
 * `Dhcp4.subnet4[].reservations` (or `Dhcp4.reservations` for subnet-id 0). Changes go through `config.set`,
 * so they are validated and applied like any configuration change, and `config-write` makes them permanent.
 */
export class ConfigReservations implements ReservationAccess {
  readonly #config: Pick<ConfigAccess, 'get' | 'set'>;

  constructor(config: Pick<ConfigAccess, 'get' | 'set'>) {
    this.#config = config;
  }

  async add(subnetId: number, host: ReservationJson): Promise<void> {
    const config = structuredClone(await this.#config.get()) as Record<string, JsonValue>;
    const dhcp4 = config['Dhcp4'];
    if (!isJsonObject(dhcp4)) throw new Error('the configuration has no Dhcp4 map');
    const scope = scopeOf(dhcp4 as Record<string, JsonValue>, subnetId);
    if (scope === undefined)
      throw new ControlConflictError(`No IPv4 subnet with subnet-id=${subnetId} exists.`);
    const list = Array.isArray(scope['reservations']) ? (scope['reservations'] as JsonValue[]) : [];
    for (const existing of list.filter(isJsonObject)) {
      const clash = IDENTIFIERS.find(
        (t) => host[t] !== undefined && identifierOf(existing, t) === identifierOf(host, t),
      );
      if (clash !== undefined)
        throw new ControlConflictError(`Host with ${clash} ${String(host[clash])} already exists.`);
      if (host['ip-address'] !== undefined && existing['ip-address'] === host['ip-address']) {
        throw new ControlConflictError(`Host with ip-address ${String(host['ip-address'])} already exists.`);
      }
    }
    scope['reservations'] = [...list, host];
    await this.#apply(config);
  }

  async get(subnetId: number, selector: HostSelector): Promise<ReservationJson | undefined> {
    return (await this.all(subnetId)).find((r) => matches(r.host, selector))?.host;
  }

  async all(subnetId: number | undefined): Promise<readonly StoredReservation[]> {
    const dhcp4 = (await this.#config.get())['Dhcp4'];
    if (!isJsonObject(dhcp4)) return [];
    const out: StoredReservation[] = [];
    const collect = (id: number, scope: JsonObject): void => {
      const list = scope['reservations'];
      if (Array.isArray(list))
        for (const host of list) if (isJsonObject(host)) out.push({ subnetId: id, host });
    };
    collect(0, dhcp4);
    const subnets = dhcp4['subnet4'];
    if (Array.isArray(subnets)) {
      for (const s of subnets) if (isJsonObject(s) && typeof s['id'] === 'number') collect(s['id'], s);
    }
    return subnetId === undefined ? out : out.filter((r) => r.subnetId === subnetId);
  }

  async del(subnetId: number, selector: HostSelector): Promise<boolean> {
    const config = structuredClone(await this.#config.get()) as Record<string, JsonValue>;
    const dhcp4 = config['Dhcp4'];
    if (!isJsonObject(dhcp4)) return false;
    const scope = scopeOf(dhcp4 as Record<string, JsonValue>, subnetId);
    const list = scope?.['reservations'];
    if (scope === undefined || !Array.isArray(list)) return false;
    const kept = (list as JsonValue[]).filter((h) => !(isJsonObject(h) && matches(h, selector)));
    if (kept.length === list.length) return false;
    scope['reservations'] = kept;
    await this.#apply(config);
    return true;
  }

  async #apply(config: JsonObject): Promise<void> {
    const outcome = await this.#config.set(config);
    if (!outcome.ok) throw new ControlConflictError(outcome.error);
  }
}

function scopeOf(dhcp4: Record<string, JsonValue>, subnetId: number): Record<string, JsonValue> | undefined {
  if (subnetId === 0) return dhcp4;
  const subnets = dhcp4['subnet4'];
  if (!Array.isArray(subnets)) return undefined;
  return (subnets as JsonValue[]).find((s) => isJsonObject(s) && s['id'] === subnetId) as
    Record<string, JsonValue> | undefined;
}

/** Identifiers compare normalized: hex as lower-case colon bytes, as the commands normalize them. */
function identifierOf(host: JsonObject, type: HostIdentifierType): string | undefined {
  const value = host[type];
  if (typeof value !== 'string') return undefined;
  return type === 'hw-address' || type === 'client-id' ? (normalizeHex(value) ?? value) : value.toLowerCase();
}

function matches(host: JsonObject, selector: HostSelector): boolean {
  return selector.kind === 'address'
    ? host['ip-address'] === selector.address
    : identifierOf(host, selector.type) === selector.value;
}
