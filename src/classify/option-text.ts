/**
 * `option[N].text` as Kea 2.2 gives it: Kea pushes the option object's `toString()`, which only its
 * string options override; every other option gives its `toText()`, a debug form with the code and
 * length (`type=054, len=004: 198.18.0.1 (ipv4-address)`). The forms below were read from kea-dhcp4
 * 2.2.0's evaluation log for one request carrying each type. Bytes Kea would refuse to parse as the
 * option's type fail the evaluation (the class is not assigned).
 */
import { definitionByCode } from '../protocol/index.ts';
import { EvaluationError } from './errors.ts';
import { vivsoEnterprise, type EvalPacket } from './packet.ts';

type Form = (code: number, b: Uint8Array) => string;

/** An option's `.text` from its bytes (and, for `vendor[*]`, the request: which enterprise it is). */
export type TextForm = (b: Uint8Array, p: EvalPacket) => string;

/** Kea's Option::headerToText for DHCPv4: the code and data length, each at least three digits. */
function header(code: number, length: number): string {
  return `type=${String(code).padStart(3, '0')}, len=${String(length).padStart(3, '0')}`;
}

function refuse(code: number, why: string): never {
  throw new EvaluationError(`option[${code}].text: ${why}`);
}

function dotted(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function readUint(b: Uint8Array, at: number, size: number): number {
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + b[at + i]!;
  return n;
}

/** Kea's OptionInt: one integer and its type name. */
function integer(size: number, signed: boolean): Form {
  const name = `${signed ? 'int' : 'uint'}${size * 8}`;
  return (code, b) => {
    if (b.length !== size) refuse(code, `${b.length} byte(s) is not one ${name}`);
    let n = readUint(b, 0, size);
    if (signed && n >= 2 ** (size * 8 - 1)) n -= 2 ** (size * 8);
    return `${header(code, size)}: ${n} (${name})`;
  };
}

/** Kea's OptionIntArray: each integer followed by its type name, no space between. */
function integers(size: number): Form {
  const name = `uint${size * 8}`;
  return (code, b) => {
    if (b.length % size !== 0) refuse(code, `${b.length} byte(s) is not a list of ${name}`);
    let out = `${header(code, b.length)}:`;
    for (let at = 0; at < b.length; at += size) out += ` ${readUint(b, at, size)}(${name})`;
    return out;
  };
}

/** Kea's Option4AddrLst: the addresses, space-separated. */
const addresses: Form = (code, b) => {
  if (b.length % 4 !== 0) refuse(code, `${b.length} byte(s) is not a list of addresses`);
  let out = `${header(code, b.length)}:`;
  for (let at = 0; at < b.length; at += 4) out += ` ${dotted(b, at)}`;
  return out;
};

/** Kea's OptionCustom with one address. */
const address: Form = (code, b) => {
  if (b.length !== 4) refuse(code, `${b.length} byte(s) is not an address`);
  return `${header(code, 4)}: ${dotted(b, 0)} (ipv4-address)`;
};

/** Kea's OptionCustom with one boolean (0 or 1; Kea refuses other values). */
const boolean: Form = (code, b) => {
  if (b.length !== 1 || b[0]! > 1) refuse(code, 'not a boolean');
  return `${header(code, 1)}: ${b[0] === 1 ? 'true' : 'false'} (boolean)`;
};

/** Kea's generic Option (binary types): the bytes as colon-separated lower-case hex. */
const generic: Form = (code, b) => {
  let out = `${header(code, b.length)}: `;
  for (let i = 0; i < b.length; i++) out += (i === 0 ? '' : ':') + b[i]!.toString(16).padStart(2, '0');
  return out;
};

/** A label character as a DNS name's text form shows it (isc::dns::Name::toText), lower-cased as Kea. */
function labelChar(c: number): string {
  if (c >= 0x41 && c <= 0x5a) return String.fromCharCode(c + 32);
  // RFC 1035 §5.1 master-file specials are escaped with a backslash, the rest of non-printables as \DDD.
  if (
    c === 0x2e ||
    c === 0x3b ||
    c === 0x5c ||
    c === 0x22 ||
    c === 0x28 ||
    c === 0x29 ||
    c === 0x40 ||
    c === 0x24
  )
    return `\\${String.fromCharCode(c)}`;
  if (c > 0x20 && c < 0x7f) return String.fromCharCode(c);
  return `\\${String(c).padStart(3, '0')}`;
}

/**
 * The domain name of option 81 as Kea's Option4ClientFqdn prints it: with the E flag, wire-format labels
 * (full when they end with the root label); without it, the deprecated ASCII form read as a name's text
 * (full when it ends with a dot).
 */
function fqdnName(code: number, b: Uint8Array, wire: boolean): { name: string; full: boolean } {
  if (b.length === 0) return { name: '', full: false };
  const labels: string[] = [];
  if (wire) {
    let at = 0;
    while (at < b.length) {
      const len = b[at]!;
      if (len === 0) {
        if (at !== b.length - 1) refuse(code, 'data after the root label');
        return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, full: true };
      }
      if (len > 63 || at + 1 + len > b.length) refuse(code, 'malformed domain name');
      let label = '';
      for (let i = at + 1; i <= at + len; i++) label += labelChar(b[i]!);
      labels.push(label);
      at += 1 + len;
    }
    return { name: labels.join('.'), full: false };
  }
  let label = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 0x2e) {
      label += labelChar(c);
      continue;
    }
    if (label === '' && !(i === b.length - 1 && labels.length === 0)) refuse(code, 'empty label');
    labels.push(label);
    label = '';
  }
  if (label === '') return { name: `${labels.join('.')}.`, full: true };
  labels.push(label);
  return { name: labels.join('.'), full: false };
}

/** Kea's Option4ClientFqdn (RFC 4702 §2): flags, then the name; flags Kea refuses fail. */
const clientFqdn: Form = (code, b) => {
  if (b.length < 3) refuse(code, 'shorter than its three fixed bytes');
  const flags = b[0]!;
  // RFC 4702 §2.1: the MBZ bits are zero, and N set with S set is invalid (Kea refuses both).
  if ((flags & 0xf0) !== 0 || (flags & 0x09) === 0x09) refuse(code, 'invalid flags');
  const bit = (mask: number): string => ((flags & mask) !== 0 ? '1' : '0');
  const { name, full } = fqdnName(code, b.subarray(3), (flags & 0x04) !== 0);
  return (
    `type=${code} (CLIENT_FQDN), flags: (N=${bit(0x08)}, E=${bit(0x04)}, O=${bit(0x02)}, S=${bit(0x01)}), ` +
    `domain-name='${name}' (${full ? 'full' : 'partial'})`
  );
};

/** The text form of each codec type whose Kea form is known; other types give their bytes. */
const BY_TYPE: Readonly<Record<string, Form>> = {
  ip: address,
  ips: addresses,
  'ip-pairs': addresses,
  u8: integer(1, false),
  u16: integer(2, false),
  u32: integer(4, false),
  i32: integer(4, true),
  bool: boolean,
  'u8-list': integers(1),
  'u16-list': integers(2),
  'client-fqdn': clientFqdn,
};

/** Options Kea 2.2 defines as binary (or leaves generic, as 43 before a class defines its space). */
const GENERIC = new Set([43, 61, 63, 77, 90, 99, 121]);

/**
 * `option[code].text` as a function of the option's bytes, or undefined when it is the bytes themselves
 * (string options, and types whose Kea form is not reproduced: records, FQDN lists, 82, 124, 125, codes
 * without a standard definition, which a configuration's `option-def` may give any type).
 */
export function optionTextForm(code: number): TextForm | undefined {
  const form = GENERIC.has(code) ? generic : BY_TYPE[definitionByCode(code)?.type ?? ''];
  return form === undefined ? undefined : (b) => form(code, b);
}

/** Kea's text of a sub-option it keeps as a generic option (option 82's, as kea-dhcp4 2.2.0 shows). */
export function genericTextForm(code: number): TextForm {
  return (b) => generic(code, b);
}

/** Kea 2.2's definitions of DOCSIS 3 vendor sub-options (enterprise 4491); others are generic. */
const DOCSIS = 4491;
const DOCSIS_FORMS: Readonly<Record<number, Form>> = { 1: integers(1), 2: addresses };

function vendorForm(enterprise: number, code: number): Form {
  return (enterprise === DOCSIS ? DOCSIS_FORMS[code] : undefined) ?? generic;
}

/**
 * Kea's text of `vendor[E].option[N]` (as kea-dhcp4 2.2.0 shows it): by Kea's definition for DOCSIS,
 * else the generic hex form. `enterprise` 0 is `[*]`: the request's first block says which.
 */
export function vendorTextForm(enterprise: number, code: number): TextForm {
  if (enterprise !== 0) {
    const form = vendorForm(enterprise, code);
    return (b) => form(code, b);
  }
  return (b, p) => vendorForm(vivsoEnterprise(p.msg.options.getRaw(125)), code)(code, b);
}
