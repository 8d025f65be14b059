import { optionCode, optionDefinition } from '../protocol/index.ts';
import { parseDnrText } from './dnr-text.ts';
import type { OptionDataJson } from './schema.ts';
import type { CompiledOption } from './types.ts';

export type OptionDataResult =
  { ok: true; option: CompiledOption; warning?: string } | { ok: false; message: string };

/** Options the engine writes itself; configuring them would be a mistake leasekeeper refuses. */
const SERVER_OWNED = new Set([50, 51, 53, 55, 58, 59, 61, 82]);

/**
 * Options Kea 2.2 accepts in option-data and sends when asked for; leasekeeper accepts them too but never
 * sends them, for the reason given.
 */
const ACCEPTED_NEVER_SENT: ReadonlyMap<number, string> = new Map([
  [
    52,
    'the encoder writes option 52 itself when it overloads sname/file (RFC 2131 §4.1); a configured value would make clients read those fields as options',
  ],
  [
    56,
    "the engine writes option 56 itself, with a DHCPNAK's reason; RFC 2131 §4.3.1 table 3: not in a DHCPOFFER (MUST NOT) nor a DHCPACK (SHOULD NOT)",
  ],
  [57, "RFC 2131 §4.3.1 table 3: a server MUST NOT send the maximum message size; it is the client's"],
]);

/** Kea's binary form: hex digits, optionally separated by ':', ' ' or '-', optional 0x prefix. */
export function parseHex(s: string): Uint8Array | undefined {
  const hex = s
    .trim()
    .replace(/^0x/i, '')
    .replace(/[:\s-]/g, '');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Kea splits on commas not escaped as `\,`; the escape stands for a literal comma. */
function csv(s: string): string[] {
  return s
    .split(/(?<!\\),/)
    .map((x) => x.replace(/\\,/g, ',').trim())
    .filter((x) => x !== '');
}

function integer(s: string): number {
  const t = s.trim();
  return /^-?(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
}

function boolean(s: string): boolean | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return undefined;
}

/** Kea's `classless-static-route` text: `10.0.0.0/8 - 10.0.0.1, 192.0.2.0/24 - 10.0.0.2`. */
function routesOf(s: string): unknown {
  return csv(s).map((item) => {
    const m = /^([\d.]+)\/(\d{1,2})\s*-\s*([\d.]+)$/.exec(item);
    if (!m) return item; // the codec rejects it with its own message
    return { destination: m[1], prefixLength: Number(m[2]), router: m[3] };
  });
}

/** Kea's text (csv-format) form of a value of the given codec kind, as the typed value the codec encodes. */
function textValue(kind: string, data: string): unknown {
  switch (kind) {
    case 'ip':
    case 'fqdn':
      return data.trim();
    case 'string':
      return data.replace(/\\,/g, ',');
    case 'ips':
    case 'ip-pairs':
    case 'fqdn-list':
      return csv(data);
    case 'u8':
    case 'u16':
    case 'u32':
    case 'i32':
      return integer(data);
    case 'bool':
    case 'flag':
      return boolean(data);
    case 'u8-list':
    case 'u16-list':
      return csv(data).map(integer);
    case 'routes':
      return routesOf(data);
    case 'dnr':
      return parseDnrText(data);
    default:
      return undefined;
  }
}

/**
 * Turns one Kea `option-data` entry into wire bytes through the codec's option table: the Kea name (or
 * code) picks the definition, `data` is Kea's comma-separated text, or hex when `csv-format` is false.
 */
export function encodeOptionData(entry: OptionDataJson): OptionDataResult {
  const id = optionIdentity(entry);
  if (typeof id === 'string') return { ok: false, message: id };
  const { code, warning } = id;
  if (SERVER_OWNED.has(code)) return { ok: false, message: `option ${code} is set by the server itself` };
  const r = encodeValue(entry, code);
  if (!r.ok) return r;
  const neverSent = ACCEPTED_NEVER_SENT.get(code);
  if (neverSent !== undefined)
    return { ...r, warning: `${r.option.name} (${code}) accepted and never sent: ${neverSent}` };
  return warning === undefined ? r : { ...r, warning };
}

/**
 * The code an entry names, as Kea 2.2's option-data parser finds it: by code when both are given, and
 * the name must then be that code's definition's; a code without a definition takes hex (csv-format
 * false) and its name is ignored. A string is the reason the entry is refused.
 */
function optionIdentity(entry: OptionDataJson): { code: number; warning?: string } | string {
  const { name, code } = entry;
  if (code === undefined) {
    if (name === undefined) return 'an option needs a name or a code';
    const byName = optionCode(name);
    return byName === undefined ? `unknown option name "${name}"` : { code: byName };
  }
  if (name === undefined || name === `option-${code}`) return { code };
  const def = optionDefinition(code);
  if (def !== undefined)
    return def.name === name ? { code } : `name "${name}" does not match option ${code} ("${def.name}")`;
  if (entry['csv-format'] !== false)
    return `option ${code} has no definition named "${name}": define it in option-def, or give its data as hex with "csv-format": false`;
  return { code, warning: `name "${name}" has no definition; Kea ignores it and sends option ${code}` };
}

function encodeValue(entry: OptionDataJson, code: number): OptionDataResult {
  const def = optionDefinition(code);
  const name = def?.name ?? `option-${code}`;
  const flags = { alwaysSend: entry['always-send'] ?? false, neverSend: entry['never-send'] ?? false };
  // Kea: an entry without `data` is an empty option (e.g. one that only flags always-send).
  if (entry.data === undefined)
    return { ok: true, option: { code, name, data: new Uint8Array(0), ...flags } };
  const data = entry.data;
  const wantsHex = entry['csv-format'] === false || def === undefined || def.type === 'bytes';
  if (wantsHex) {
    const bytes = parseHex(data);
    if (!bytes) return { ok: false, message: `${name}: "${data}" is not hex (csv-format is false)` };
    if (def && def.codec.decode(bytes) === undefined)
      return { ok: false, message: `${name}: ${bytes.length} byte(s) is not a valid ${def.type} value` };
    return { ok: true, option: { code, name, data: bytes, ...flags } };
  }
  try {
    const value = textValue(def.type, data);
    if (value === undefined)
      return {
        ok: false,
        message: `${name}: values of type ${def.type} must be given as hex with "csv-format": false`,
      };
    const bytes = def.codec.encode(value);
    if (bytes === null) return { ok: false, message: `${name}: "${data}" encodes to nothing` };
    return { ok: true, option: { code, name, data: bytes, ...flags } };
  } catch (err) {
    return { ok: false, message: `${name}: "${data}": ${err instanceof Error ? err.message : String(err)}` };
  }
}
