/**
 * Kea's `option-def` (ARM "Custom DHCPv4 Options") and option spaces: the definitions a configuration
 * adds, the vendor spaces Kea knows (`vendor-4491`, DOCSIS), and the value encoder for their types.
 */
import { decodeName, encodeName, parseIp, definitionByCode } from '../protocol/index.ts';
import { formatIpv6, parseIpv6 } from './ipv6.ts';
import { parseHex } from './option-data.ts';
import { OPTION_TYPES, type OptionType } from './option-types.ts';
import type { OptionDefJson } from './schema.ts';
import type { Issues } from './scope.ts';
import { OptionDataError } from './types.ts';

/**
 * A field of a value: the option-def types, and `tuple16`, the tuple with a 2-byte length that Kea uses
 * only for option 143's URIs (RFC 8572 §8.3).
 */
type FieldType = Exclude<OptionType, 'record' | 'empty'> | 'tuple16';

export interface OptionDef {
  readonly name: string;
  readonly code: number;
  readonly space: string;
  readonly type: OptionType | 'tuple16';
  readonly array: boolean;
  /** For `record`: the field types in order. */
  readonly recordTypes: readonly FieldType[];
  /** The option space whose options this option carries (Kea's `encapsulate`). */
  readonly encapsulate: string | undefined;
}

/** Definitions by space, then by code and by name. */
export interface OptionDefs {
  byCode(space: string, code: number): OptionDef | undefined;
  byName(space: string, name: string): OptionDef | undefined;
  /** The dhcp4 option (code) whose definition encapsulates `space`, if any. */
  encapsulating(space: string): number | undefined;
}

/** The vendor spaces Kea defines itself (src/lib/dhcp/std_option_defs.h): DOCSIS 3.0, enterprise 4491. */
const BUILTIN: readonly OptionDef[] = [
  def('oro', 1, 'vendor-4491', 'uint8', true),
  def('tftp-servers', 2, 'vendor-4491', 'ipv4-address', true),
  // Kea's own name for the same DOCSIS space.
  def('oro', 1, 'docsis3-v4', 'uint8', true),
  def('tftp-servers', 2, 'docsis3-v4', 'ipv4-address', true),
  // Kea's standard option 43 carries the (empty unless defined) vendor-encapsulated-options-space.
  {
    ...def('vendor-encapsulated-options', 43, 'dhcp4', 'empty', false),
    encapsulate: 'vendor-encapsulated-options-space',
  },
];

function def(name: string, code: number, space: string, type: OptionDef['type'], array: boolean): OptionDef {
  return { name, code, space, type, array, recordTypes: [], encapsulate: undefined };
}

class DefTable implements OptionDefs {
  private readonly codes = new Map<string, OptionDef>();
  private readonly names = new Map<string, OptionDef>();
  private readonly parent: OptionDefs | undefined;

  constructor(defs: readonly OptionDef[], parent?: OptionDefs) {
    this.parent = parent;
    for (const d of defs) {
      this.codes.set(`${d.space}/${d.code}`, d);
      this.names.set(`${d.space}/${d.name}`, d);
    }
  }

  byCode(space: string, code: number): OptionDef | undefined {
    return this.codes.get(`${space}/${code}`) ?? this.parent?.byCode(space, code);
  }

  byName(space: string, name: string): OptionDef | undefined {
    return this.names.get(`${space}/${name}`) ?? this.parent?.byName(space, name);
  }

  encapsulating(space: string): number | undefined {
    for (const d of this.codes.values()) if (d.space === 'dhcp4' && d.encapsulate === space) return d.code;
    return this.parent?.encapsulating(space);
  }
}

export const BUILTIN_DEFS: OptionDefs = new DefTable(BUILTIN);

/**
 * Standard options whose text form Kea defines as a record (src/lib/dhcp/std_option_defs.h): their
 * `data` is read by these definitions rather than by the codec's own type.
 */
const KEA_TEXT_FORMS: readonly OptionDef[] = [
  def('user-class', 77, 'dhcp4', 'binary', false),
  { ...def('slp-directory-agent', 78, 'dhcp4', 'record', true), recordTypes: ['boolean', 'ipv4-address'] },
  { ...def('slp-service-scope', 79, 'dhcp4', 'record', false), recordTypes: ['boolean', 'string'] },
  { ...def('client-ndi', 94, 'dhcp4', 'record', false), recordTypes: ['uint8', 'uint8', 'uint8'] },
  { ...def('uuid-guid', 97, 'dhcp4', 'record', false), recordTypes: ['uint8', 'binary'] },
  { ...def('vivco-suboptions', 124, 'dhcp4', 'record', false), recordTypes: ['uint32', 'binary'] },
  def('v4-sztp-redirect', 143, 'dhcp4', 'tuple16', true),
  {
    ...def('rdnss-selection', 146, 'dhcp4', 'record', true),
    recordTypes: ['uint8', 'ipv4-address', 'ipv4-address', 'fqdn'],
  },
  { ...def('v4-portparams', 159, 'dhcp4', 'record', false), recordTypes: ['uint8', 'psid'] },
  {
    ...def('option-6rd', 212, 'dhcp4', 'record', true),
    recordTypes: ['uint8', 'uint8', 'ipv6-address', 'ipv4-address'],
  },
];

/** Kea's text-form definition of a standard option, for the few the codec's types do not read. */
export function keaTextForm(code: number): OptionDef | undefined {
  return KEA_TEXT_FORMS.find((d) => d.code === code);
}

/** A dhcp4 code the option table defines (only 43 of them may be redefined). */
export function isStandardOption(code: number): boolean {
  return definitionByCode(code) !== undefined;
}

/** Standard dhcp4 codes Kea lets a configuration redefine: only 43, whose content is vendor-specific. */
const REDEFINABLE = new Set([43]);

/**
 * Compiles `option-def` entries at `path` on top of `parent`. `isStandard(code)` tells the dhcp4 codes
 * the option table defines, which only 43 may redefine (Kea refuses the others).
 */
export function compileOptionDefs(
  list: readonly OptionDefJson[] | undefined,
  path: string,
  parent: OptionDefs,
  isStandard: (code: number) => boolean,
  issues: Issues,
): OptionDefs {
  if (list === undefined || list.length === 0) return parent;
  const out: OptionDef[] = [];
  list.forEach((j, i) => {
    const at = `${path}.option-def[${i}]`;
    const space = j.space ?? 'dhcp4';
    if (space === 'dhcp4' && isStandard(j.code) && !REDEFINABLE.has(j.code))
      return issues.add(`${at}.code`, `option ${j.code} is a standard option and cannot be redefined`);
    if (out.some((d) => d.space === space && (d.code === j.code || d.name === j.name)))
      return issues.add(at, `option "${j.name}" (${j.code}) is defined twice in space ${space}`);
    let recordTypes: FieldType[] = [];
    if (j.type === 'record') {
      const fields = (j['record-types'] ?? '').split(',').map((t) => t.trim());
      const bad = fields.find(
        (t) => !(OPTION_TYPES as readonly string[]).includes(t) || t === 'record' || t === 'empty',
      );
      if (fields.length === 0 || fields[0] === '' || bad !== undefined)
        return issues.add(`${at}.record-types`, `"${j['record-types'] ?? ''}" is not a list of field types`);
      recordTypes = fields as FieldType[];
    } else if (j['record-types'] !== undefined && j['record-types'] !== '') {
      return issues.add(`${at}.record-types`, 'record-types belongs to type "record"');
    }
    if (j.array === true && (j.type === 'empty' || j.type === 'string' || j.type === 'binary'))
      return issues.add(`${at}.array`, `an option of type ${j.type} cannot be an array`);
    out.push({
      name: j.name,
      code: j.code,
      space,
      type: j.type,
      array: j.array ?? false,
      recordTypes,
      encapsulate: j.encapsulate === undefined || j.encapsulate === '' ? undefined : j.encapsulate,
    });
  });
  return new DefTable(out, parent);
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Reads one field at `pos`; returns its text and the next position, or undefined when it does not fit. */
function readField(type: FieldType, b: Uint8Array, pos: number, last: boolean): [string, number] | undefined {
  const rest = b.length - pos;
  switch (type) {
    case 'binary':
      return last ? [hexOf(b.subarray(pos)), b.length] : undefined;
    case 'string':
      return last ? [Buffer.from(b.subarray(pos)).toString('utf8'), b.length] : undefined;
    case 'fqdn': {
      const r = decodeName(b, pos, false);
      return r === undefined ? undefined : [r.name, r.next];
    }
    case 'ipv6-address':
      return rest >= 16 ? [formatIpv6(b.subarray(pos, pos + 16)), pos + 16] : undefined;
    case 'boolean':
      return rest >= 1 ? [b[pos] === 0 ? 'false' : 'true', pos + 1] : undefined;
    case 'ipv4-address':
      return rest >= 4 ? [`${b[pos]}.${b[pos + 1]}.${b[pos + 2]}.${b[pos + 3]}`, pos + 4] : undefined;
    case 'tuple':
    case 'tuple16': {
      const size = type === 'tuple' ? 1 : 2;
      if (rest < size) return undefined;
      const len = size === 1 ? b[pos]! : (b[pos]! << 8) | b[pos + 1]!;
      if (rest < size + len) return undefined;
      const end = pos + size + len;
      return [Buffer.from(b.subarray(pos + size, end)).toString('utf8'), end];
    }
    case 'psid': {
      if (rest < 3) return undefined;
      const len = b[pos]!;
      const v = (b[pos + 1]! << 8) | b[pos + 2]!;
      return [`${len === 0 ? 0 : v >> (16 - len)}/${len}`, pos + 3];
    }
    default: {
      const size = type.endsWith('8') ? 1 : type.endsWith('16') ? 2 : 4;
      if (rest < size) return undefined;
      let n = 0;
      for (let i = 0; i < size; i++) n = n * 256 + b[pos + i]!;
      if (!type.startsWith('u') && n >= 2 ** (size * 8 - 1)) n -= 2 ** (size * 8);
      return [String(n), pos + size];
    }
  }
}

/** A value of `d` in Kea's text form (the inverse of encodeByDef), or undefined when the bytes do not fit. */
export function decodeByDef(d: OptionDef, b: Uint8Array): string | undefined {
  if (d.type === 'empty') return b.length === 0 ? '' : undefined;
  const types: FieldType[] = d.type === 'record' ? [...d.recordTypes] : [d.type];
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < types.length; i++) {
    const r = readField(types[i]!, b, pos, i === types.length - 1 && !d.array);
    if (r === undefined) return undefined;
    out.push(r[0]);
    pos = r[1];
  }
  while (d.array && pos < b.length) {
    const r = readField(types[types.length - 1]!, b, pos, false);
    if (r === undefined) return undefined;
    out.push(r[0]);
    pos = r[1];
  }
  return pos === b.length ? out.join(', ') : undefined;
}

/** Kea splits CSV data on commas not escaped as `\,`. */
function csvFields(s: string): string[] {
  return s.split(/(?<!\\),/).map((x) => x.replace(/\\,/g, ',').trim());
}

function intField(type: FieldType, text: string): number[] {
  const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  const size = type.endsWith('8') ? 1 : type.endsWith('16') ? 2 : 4;
  const signed = !type.startsWith('u');
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  if (!Number.isInteger(n) || n < min || n > max) throw new OptionDataError(`"${text}" is not a ${type}`);
  const v = n < 0 ? n + 2 ** (size * 8) : n;
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Math.floor(v / 2 ** (8 * i)) & 255);
  return out;
}

/** Kea's `psid/psid-len` (RFC 7597 §5.1 port set id): the length, then the PSID left-aligned in 16 bits. */
function psid(text: string): number[] {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const value = m === null ? NaN : Number(m[1]);
  const len = m === null ? NaN : Number(m[2]);
  if (!(len >= 0 && len <= 16) || !(value >= 0 && (len === 0 ? value === 0 : value < 2 ** len)))
    throw new OptionDataError(`"${text}" is not a psid/psid-len`);
  const shifted = len === 0 ? 0 : (value << (16 - len)) & 0xffff;
  return [len, shifted >> 8, shifted & 255];
}

/** One field of a value in Kea's text form. */
function field(type: FieldType, text: string): number[] {
  switch (type) {
    case 'binary': {
      const b = parseHex(text);
      if (b === undefined) throw new OptionDataError(`"${text}" is not hex`);
      return [...b];
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t === 'true' || t === '1') return [1];
      if (t === 'false' || t === '0') return [0];
      throw new OptionDataError(`"${text}" is not a boolean`);
    }
    case 'ipv4-address': {
      const n = parseIp(text);
      if (n < 0) throw new OptionDataError(`"${text}" is not an IPv4 address`);
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    }
    case 'fqdn':
      try {
        return [...encodeName(text, true)];
      } catch (err) {
        throw new OptionDataError(`"${text}" is not a domain name: ${(err as Error).message}`);
      }
    case 'ipv6-address': {
      const b = parseIpv6(text);
      if (b === undefined) throw new OptionDataError(`"${text}" is not an IPv6 address`);
      return [...b];
    }
    case 'string':
      return [...Buffer.from(text, 'utf8')];
    case 'psid':
      return psid(text);
    case 'tuple': {
      const b = Buffer.from(text, 'utf8');
      if (b.length > 255) throw new OptionDataError('a tuple is at most 255 bytes');
      return [b.length, ...b];
    }
    case 'tuple16': {
      const b = Buffer.from(text, 'utf8');
      if (b.length > 0xffff) throw new OptionDataError('a tuple is at most 65535 bytes');
      return [b.length >> 8, b.length & 255, ...b];
    }
    default:
      return intField(type, text);
  }
}

/**
 * A value of `d` from `data`: Kea's comma-separated text (records field by field, arrays repeated; a
 * trailing string or binary field takes the rest), or hex when `csv` is false. Throws with the reason.
 */
export function encodeByDef(d: OptionDef, data: string, csv: boolean): Uint8Array {
  if (d.type === 'empty') {
    if (data.trim() !== '') throw new OptionDataError(`option ${d.name} is of type empty and takes no data`);
    return new Uint8Array(0);
  }
  if (!csv) {
    const b = parseHex(data);
    if (b === undefined) throw new OptionDataError(`"${data}" is not hex (csv-format is false)`);
    return b;
  }
  if (d.type === 'string' || d.type === 'binary') return Uint8Array.from(field(d.type, data.trim()));
  const values = csvFields(data);
  const types: FieldType[] = d.type === 'record' ? [...d.recordTypes] : [d.type];
  const out: number[] = [];
  if (d.type !== 'record' && !d.array) {
    if (values.length !== 1) throw new OptionDataError(`expected one ${d.type} value, got ${values.length}`);
    return Uint8Array.from(field(d.type, values[0]!));
  }
  let i = 0;
  for (; i < types.length; i++) {
    const t = types[i]!;
    const last = i === types.length - 1;
    if (i >= values.length)
      throw new OptionDataError(`expected ${types.length} fields, got ${values.length}`);
    if (last && (t === 'string' || t === 'binary') && !d.array) {
      out.push(...field(t, values.slice(i).join(',')));
      return Uint8Array.from(out);
    }
    out.push(...field(t, values[i]!));
  }
  // An array repeats the record's last field (or the scalar) for every remaining value.
  const repeat = types[types.length - 1]!;
  for (; i < values.length; i++) {
    if (!d.array) throw new OptionDataError(`expected ${types.length} fields, got ${values.length}`);
    out.push(...field(repeat, values[i]!));
  }
  return Uint8Array.from(out);
}
