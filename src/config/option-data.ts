import { optionCode, optionDefinition } from '../protocol/index.ts';
import type { OptionDataJson } from './schema.ts';
import type { CompiledOption } from './types.ts';

export type OptionDataResult = { ok: true; option: CompiledOption } | { ok: false; message: string };

/** Options the engine writes itself; configuring them would be a mistake Kea also refuses. */
const SERVER_OWNED = new Set([50, 51, 52, 53, 55, 57, 58, 59, 61, 82]);

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
    default:
      return undefined;
  }
}

/**
 * Turns one Kea `option-data` entry into wire bytes through the codec's option table: the Kea name (or
 * code) picks the definition, `data` is Kea's comma-separated text, or hex when `csv-format` is false.
 */
export function encodeOptionData(entry: OptionDataJson): OptionDataResult {
  const byName = entry.name === undefined ? undefined : optionCode(entry.name);
  if (entry.name !== undefined && byName === undefined)
    return { ok: false, message: `unknown option name "${entry.name}"` };
  if (byName !== undefined && entry.code !== undefined && byName !== entry.code)
    return { ok: false, message: `name "${entry.name}" is option ${byName}, not code ${entry.code}` };
  const code = byName ?? entry.code;
  if (code === undefined) return { ok: false, message: 'an option needs a name or a code' };
  if (SERVER_OWNED.has(code)) return { ok: false, message: `option ${code} is set by the server itself` };
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
  const value = textValue(def.type, data);
  if (value === undefined)
    return {
      ok: false,
      message: `${name}: values of type ${def.type} must be given as hex with "csv-format": false`,
    };
  try {
    const bytes = def.codec.encode(value);
    if (bytes === null) return { ok: false, message: `${name}: "${data}" encodes to nothing` };
    return { ok: true, option: { code, name, data: bytes, ...flags } };
  } catch (err) {
    return { ok: false, message: `${name}: "${data}": ${err instanceof Error ? err.message : String(err)}` };
  }
}
