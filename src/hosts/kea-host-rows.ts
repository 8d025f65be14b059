import { intToIpv4, ipv4ToInt, isIpv4 } from '../config/index.ts';
import { normalizeClientId, normalizeHwAddress, normalizeOpaqueId } from '../config/index.ts';
import type { HostIdentifierType } from '../config/index.ts';

/** A host in Kea's JSON, the shape the control channel carries (this module sits below it). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Kea's `host_identifier_type` table: the code stored in `hosts.dhcp_identifier_type`. */
export const IDENTIFIER_CODES: Readonly<Record<HostIdentifierType, number>> = {
  'hw-address': 0,
  duid: 1,
  'circuit-id': 2,
  'client-id': 3,
  'flex-id': 4,
};
const IDENTIFIER_TYPES = Object.keys(IDENTIFIER_CODES) as HostIdentifierType[];

/** Limits on what one row may carry: a bad or hostile row is refused, never loaded whole. */
export const ROW_LIMITS = {
  identifierBytes: 128,
  optionValueBytes: 4096,
  formattedValueChars: 4096,
  userContextChars: 65536,
  optionsPerHost: 64,
} as const;

/** `hosts` as the loader selects it (node-postgres gives `bigint` columns as strings). */
export interface KeaHostRow {
  readonly host_id: number;
  /** NULL when longer than `ROW_LIMITS.identifierBytes` (`identifier_length` says how long). */
  readonly dhcp_identifier: Buffer | null;
  readonly identifier_length: number;
  readonly dhcp_identifier_type: number;
  readonly dhcp4_subnet_id: string | number | null;
  readonly ipv4_address: string | number | null;
  readonly hostname: string | null;
  readonly dhcp4_client_classes: string | null;
  readonly dhcp4_next_server: string | number | null;
  readonly dhcp4_server_hostname: string | null;
  readonly dhcp4_boot_file_name: string | null;
  /** Cut after `ROW_LIMITS.userContextChars + 1` characters. */
  readonly user_context: string | null;
}

/** `dhcp4_options` rows of host scope (3). */
export interface KeaOptionRow {
  readonly host_id: number;
  readonly code: number;
  /** NULL when absent or longer than `ROW_LIMITS.optionValueBytes` (`value_length` tells which). */
  readonly value: Buffer | null;
  readonly value_length: number | null;
  /** Cut after `ROW_LIMITS.formattedValueChars + 1` characters. */
  readonly formatted_value: string | null;
  readonly space: string | null;
  readonly persistent: boolean;
}

/** A host of the database in Kea's JSON shape (what `reservation-get` answers), with its subnet. */
export interface DatabaseHost {
  readonly hostId: number;
  /** 0: a global reservation. */
  readonly subnetId: number;
  readonly host: JsonObject;
}

export type RowOutcome =
  { readonly ok: true; readonly host: DatabaseHost } | { readonly ok: false; readonly error: string };

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');

function uint32(value: string | number | null, what: string): number | undefined | string {
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    return `${what} ${String(value)} is not a 32-bit unsigned number`;
  return n;
}

/**
 * One Kea `hosts` row and its options as a reservation in Kea's JSON. Empty strings, address 0 and an empty
 * class list are Kea's "not set". The JSON is checked again by the config compiler before it is served.
 */
export function hostFromRows(row: KeaHostRow, options: readonly KeaOptionRow[]): RowOutcome {
  const bad = (error: string): RowOutcome => ({ ok: false, error: `host_id ${row.host_id}: ${error}` });
  const type = IDENTIFIER_TYPES.find((t) => IDENTIFIER_CODES[t] === row.dhcp_identifier_type);
  if (type === undefined) return bad(`unknown dhcp_identifier_type ${row.dhcp_identifier_type}`);
  if (row.dhcp_identifier === null || row.dhcp_identifier.length === 0)
    return bad(`dhcp_identifier of ${row.identifier_length} bytes (1 to ${ROW_LIMITS.identifierBytes})`);
  const subnetId = uint32(row.dhcp4_subnet_id, 'dhcp4_subnet_id');
  if (typeof subnetId === 'string') return bad(subnetId);
  if (subnetId === undefined) return bad('no dhcp4_subnet_id (a DHCPv6 host)');
  const host: Record<string, JsonValue> = { [type]: hex(row.dhcp_identifier) };
  const address = uint32(row.ipv4_address, 'ipv4_address');
  if (typeof address === 'string') return bad(address);
  if (address !== undefined && address !== 0) host['ip-address'] = intToIpv4(address);
  if (row.hostname) host['hostname'] = row.hostname;
  const classes = (row.dhcp4_client_classes ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (classes.length > 0) host['client-classes'] = classes;
  const nextServer = uint32(row.dhcp4_next_server, 'dhcp4_next_server');
  if (typeof nextServer === 'string') return bad(nextServer);
  if (nextServer !== undefined && nextServer !== 0) host['next-server'] = intToIpv4(nextServer);
  if (row.dhcp4_server_hostname) host['server-hostname'] = row.dhcp4_server_hostname;
  if (row.dhcp4_boot_file_name) host['boot-file-name'] = row.dhcp4_boot_file_name;
  if (row.user_context !== null && row.user_context !== '') {
    if (row.user_context.length > ROW_LIMITS.userContextChars)
      return bad(`user_context longer than ${ROW_LIMITS.userContextChars} characters`);
    let context: unknown;
    try {
      context = JSON.parse(row.user_context);
    } catch {
      return bad('user_context is not JSON');
    }
    if (typeof context !== 'object' || context === null || Array.isArray(context))
      return bad('user_context is not a JSON map');
    // Kea keeps a host's `comment` in its user context and gives it back as `comment`.
    const { comment, ...rest } = context as JsonObject;
    if (typeof comment === 'string') host['comment'] = comment;
    if (Object.keys(rest).length > 0) host['user-context'] = rest;
  }
  if (options.length > ROW_LIMITS.optionsPerHost)
    return bad(`${options.length} options (at most ${ROW_LIMITS.optionsPerHost})`);
  const data: JsonObject[] = [];
  for (const o of options) {
    const option = optionJson(o);
    if (typeof option === 'string') return bad(option);
    data.push(option);
  }
  if (data.length > 0) host['option-data'] = data;
  return { ok: true, host: { hostId: row.host_id, subnetId, host } };
}

/** Kea: a non-empty `formatted_value` is the option's text (csv-format), else `value` its binary data. */
function optionJson(o: KeaOptionRow): JsonObject | string {
  const at = `option ${o.space ?? 'dhcp4'}/${o.code}`;
  if (o.code < 1 || o.code > 254) return `${at}: code out of 1-254`;
  const space = o.space === null || o.space === '' ? 'dhcp4' : o.space;
  const out: Record<string, JsonValue> = { code: o.code, space };
  if (o.formatted_value !== null && o.formatted_value !== '') {
    if (o.formatted_value.length > ROW_LIMITS.formattedValueChars)
      return `${at}: formatted_value longer than ${ROW_LIMITS.formattedValueChars} characters`;
    out['data'] = o.formatted_value;
    out['csv-format'] = true;
  } else {
    if (o.value === null && (o.value_length ?? 0) > 0)
      return `${at}: value of ${o.value_length} bytes (at most ${ROW_LIMITS.optionValueBytes})`;
    out['data'] = o.value === null ? '' : [...o.value].map((x) => x.toString(16).padStart(2, '0')).join('');
    out['csv-format'] = false;
  }
  if (o.persistent) out['always-send'] = true;
  return out;
}

/** The parameters of one `hosts` insert, in Kea's column order, and its options. */
export interface HostInsert {
  readonly identifier: Buffer;
  readonly identifierType: number;
  readonly subnetId: number;
  readonly ipv4Address: number;
  readonly hostname: string;
  readonly clientClasses: string;
  readonly nextServer: number;
  readonly serverHostname: string;
  readonly bootFileName: string;
  readonly userContext: string | null;
  readonly options: readonly OptionInsert[];
}

export interface OptionInsert {
  readonly code: number;
  readonly value: Buffer | null;
  readonly formattedValue: string | null;
  readonly space: string;
  readonly persistent: boolean;
}

/** How option names become codes: the running configuration's option definitions. */
export type OptionCodeOf = (space: string, name: string) => number | undefined;

/** The identifier type and bytes of a reservation in Kea's JSON (exactly one identifier). */
export function identifierOf(host: JsonObject): { type: HostIdentifierType; bytes: Buffer } | string {
  const present = IDENTIFIER_TYPES.filter((t) => host[t] !== undefined);
  if (present.length !== 1) return 'exactly one host identifier must be specified';
  const type = present[0]!;
  const value = host[type];
  if (typeof value !== 'string') return `'${type}' must be a string`;
  return identifierBytes(type, value) ?? `'${value}' is not a valid ${type}`;
}

/** Kea's identifier text (hex with or without colons, or 'quoted text') as bytes. */
export function identifierBytes(
  type: HostIdentifierType,
  value: string,
): { type: HostIdentifierType; bytes: Buffer } | undefined {
  const normalized =
    type === 'hw-address'
      ? normalizeHwAddress(value)
      : type === 'client-id'
        ? normalizeClientId(value)
        : normalizeOpaqueId(value, type === 'duid' ? 3 : 1);
  return normalized === undefined
    ? undefined
    : { type, bytes: Buffer.from(normalized.replace(/:/g, ''), 'hex') };
}

/**
 * A reservation in Kea's JSON as the rows Kea's PostgreSQL host backend writes: empty strings and 0 for
 * what is not set, option text in `formatted_value` (csv-format, the default) or bytes in `value`.
 */
export function hostInsert(subnetId: number, host: JsonObject, codeOf: OptionCodeOf): HostInsert | string {
  const id = identifierOf(host);
  if (typeof id === 'string') return id;
  const text = (key: string): string => (typeof host[key] === 'string' ? (host[key] as string) : '');
  const ip = (key: string): number => {
    const v = host[key];
    return typeof v === 'string' && isIpv4(v) ? ipv4ToInt(v) : 0;
  };
  const classes = Array.isArray(host['client-classes'])
    ? host['client-classes'].filter((c) => typeof c === 'string')
    : [];
  const given = host['user-context'];
  const comment = host['comment'];
  const context = {
    ...(typeof given === 'object' && given !== null && !Array.isArray(given) ? (given as JsonObject) : {}),
    ...(typeof comment === 'string' ? { comment } : {}),
  };
  const contextText = Object.keys(context).length > 0 ? JSON.stringify(context) : null;
  if (contextText !== null && contextText.length > ROW_LIMITS.userContextChars)
    return `user-context longer than ${ROW_LIMITS.userContextChars} characters`;
  const options: OptionInsert[] = [];
  const list = Array.isArray(host['option-data']) ? host['option-data'] : [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return 'option-data entries must be maps';
    const o = entry as JsonObject;
    const space = typeof o['space'] === 'string' ? o['space'] : 'dhcp4';
    const code =
      typeof o['code'] === 'number'
        ? o['code']
        : typeof o['name'] === 'string'
          ? codeOf(space, o['name'])
          : undefined;
    if (code === undefined)
      return `option ${JSON.stringify(o['name'] ?? null)} of space ${space} has no known code`;
    const data = typeof o['data'] === 'string' ? o['data'] : '';
    const csv = o['csv-format'] !== false;
    options.push({
      code,
      space,
      persistent: o['always-send'] === true,
      formattedValue: csv && data !== '' ? data : null,
      value: !csv && data !== '' ? Buffer.from(data.replace(/[\s:]/g, '').replace(/^0x/i, ''), 'hex') : null,
    });
  }
  return {
    identifier: id.bytes,
    identifierType: IDENTIFIER_CODES[id.type],
    subnetId,
    ipv4Address: ip('ip-address'),
    hostname: text('hostname'),
    clientClasses: classes.join(','),
    nextServer: ip('next-server'),
    serverHostname: text('server-hostname'),
    bootFileName: text('boot-file-name'),
    userContext: contextText,
    options,
  };
}
