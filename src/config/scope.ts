/** What every scope of the configuration compiles the same way: its issues, its options, its addresses. */
import { definitionByCode } from '../protocol/index.ts';
import { encodeOptionData } from './option-data.ts';
import { BUILTIN_DEFS, encodeByDef, keaTextForm, type OptionDef, type OptionDefs } from './option-defs.ts';
import { optionCode } from '../protocol/index.ts';
import { ipv4ToInt, isIpv4 } from './ipv4.ts';
import type { OptionDataJson } from './schema.ts';
import type { CompiledOption, ConfigIssue, OptionSet } from './types.ts';

/** The problems found so far, each with its JSON path, and the option definitions in force. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  /** What loads but deserves a line at start (`path: message`), e.g. an option that is never sent. */
  readonly warnings: string[] = [];
  /** The global `option-def`s over Kea's built-in ones; set before any scope is compiled. */
  defs: OptionDefs = BUILTIN_DEFS;
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  warn(path: string, message: string): void {
    this.warnings.push(`${path}: ${message}`);
  }
}

const DHCP4 = 'dhcp4';
const VIVSO = 125;
const VENDOR_SPACE = /^vendor-(\d{1,10})$/;
/** Kea's name for the DOCSIS 3.0 space, whose options travel in option 125 for enterprise 4491 (CableLabs). */
const DOCSIS_SPACE = 'docsis3-v4';

interface SubOption {
  readonly code: number;
  readonly data: Uint8Array;
  readonly alwaysSend: boolean;
  readonly at: string;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An entry's definition in `space` as Kea finds it: by code when both are given, else by name. */
function definitionOf(entry: OptionDataJson, space: string, defs: OptionDefs): OptionDef | undefined {
  if (entry.code !== undefined) return defs.byCode(space, entry.code);
  return entry.name === undefined ? undefined : defs.byName(space, entry.name);
}

/** Kea's rule for an entry with both: the name must be that of the definition the code found. */
function nameMismatch(entry: OptionDataJson, d: OptionDef): string | undefined {
  if (entry.name === undefined || entry.name === d.name) return undefined;
  const where = d.space === DHCP4 ? '' : ` of space ${d.space}`;
  return `name "${entry.name}" does not match option ${d.code} ("${d.name}")${where}`;
}

/**
 * A dhcp4 option by a custom definition (a code the table lacks, or Kea's redefinable 43); a string is
 * the reason the entry is refused.
 */
function customDhcp4(entry: OptionDataJson, defs: OptionDefs): OptionDef | string | undefined {
  const d = definitionOf(entry, DHCP4, defs);
  if (d === undefined || (definitionByCode(d.code) !== undefined && d.encapsulate === undefined))
    return undefined;
  return nameMismatch(entry, d) ?? d;
}

function isVendorSpace(space: string): boolean {
  return space === DOCSIS_SPACE || VENDOR_SPACE.test(space);
}

/**
 * A sub-option given twice in one scope, as kea-dhcp4 2.2 sends it (checked against the server): in a
 * vendor space (option 125) the later entry, in a space encapsulated by a dhcp4 option (43) the first.
 */
function addSubOption(list: SubOption[], sub: SubOption, space: string, issues: Issues): void {
  const i = list.findIndex((s) => s.code === sub.code);
  if (i < 0) {
    list.push(sub);
    return;
  }
  const earlier = list[i]!;
  if (isVendorSpace(space)) {
    issues.warn(sub.at, `option ${sub.code} of space ${space} replaces ${earlier.at}, as in Kea`);
    list[i] = { ...sub, alwaysSend: sub.alwaysSend || earlier.alwaysSend };
  } else {
    issues.warn(
      sub.at,
      `option ${sub.code} of space ${space} is already given by ${earlier.at}: Kea sends the first`,
    );
    list[i] = { ...earlier, alwaysSend: sub.alwaysSend || earlier.alwaysSend };
  }
}

function byDef(d: OptionDef, entry: OptionDataJson): Uint8Array {
  const data = entry.data ?? '';
  // A container (an empty option carrying a space) given data takes it as its sub-options' wire bytes.
  if (d.type === 'empty' && d.encapsulate !== undefined && data.trim() !== '')
    return encodeByDef({ ...d, type: 'binary' }, data, false);
  return encodeByDef(d, data, entry['csv-format'] ?? true);
}

/** Option 125 given as an enterprise number (Kea's `vivso-suboptions` with data "4491"). */
function vendorContainer(entry: OptionDataJson): number | undefined {
  const named = entry.name === 'vivso-suboptions' || entry.code === VIVSO;
  if (!named || entry['csv-format'] === false) return undefined;
  const t = (entry.data ?? '').trim();
  return /^\d{1,10}$/.test(t) && Number(t) <= 0xffffffff ? Number(t) : undefined;
}

function tlvs(list: readonly SubOption[]): number[] {
  const out: number[] = [];
  for (const s of list) out.push(s.code, s.data.length, ...s.data);
  return out;
}

function vendorBlock(enterprise: number, body: readonly number[]): number[] {
  return [
    enterprise >>> 24,
    (enterprise >>> 16) & 255,
    (enterprise >>> 8) & 255,
    enterprise & 255,
    body.length,
    ...body,
  ];
}

/**
 * One scope's `option-data`: dhcp4 options by the option table or a custom definition, and options of
 * other spaces encapsulated, as Kea does per scope, into their container: option 125's block of
 * enterprise N for `vendor-N`, else the dhcp4 option whose definition encapsulates the space (43).
 */
export function optionSet(
  entries: readonly OptionDataJson[] | undefined,
  path: string,
  issues: Issues,
  defs: OptionDefs = issues.defs,
): OptionSet {
  const out = new Map<number, CompiledOption>();
  /** The entry that set each code, for the message when a later one replaces it. */
  const setBy = new Map<number, string>();
  const spaces = new Map<string, SubOption[]>();
  const enterprises: number[] = [];
  (entries ?? []).forEach((entry, i) => {
    const at = `${path}.option-data[${i}]`;
    const space = entry.space ?? DHCP4;
    const alwaysSend = entry['always-send'] ?? false;
    if (space !== DHCP4) {
      const d = definitionOf(entry, space, defs);
      const mismatch = d === undefined ? undefined : nameMismatch(entry, d);
      if (mismatch !== undefined) return issues.add(at, mismatch);
      if (d === undefined && (entry.code === undefined || entry['csv-format'] !== false))
        return issues.add(
          at,
          `option space "${space}" has no definition of option ${entry.name ?? entry.code}`,
        );
      try {
        const data =
          d === undefined
            ? encodeByDef(
                { ...BINARY, name: `option-${entry.code}`, code: entry.code! },
                entry.data ?? '',
                false,
              )
            : byDef(d, entry);
        if (data.length > 255) return issues.add(at, `${d?.name ?? entry.code}: longer than 255 bytes`);
        const list = spaces.get(space) ?? [];
        spaces.set(space, list);
        addSubOption(list, { code: d?.code ?? entry.code!, data, alwaysSend, at }, space, issues);
      } catch (err) {
        issues.add(at, `${d?.name ?? entry.code}: ${message(err)}`);
      }
      return;
    }
    const enterprise = vendorContainer(entry);
    if (enterprise !== undefined) {
      enterprises.push(enterprise);
      const prev = out.get(VIVSO);
      out.set(VIVSO, {
        code: VIVSO,
        name: 'vivso-suboptions',
        data: new Uint8Array(prev?.data ?? []),
        alwaysSend: (prev?.alwaysSend ?? false) || alwaysSend,
        neverSend: entry['never-send'] ?? false,
      });
      return;
    }
    const custom = customDhcp4(entry, defs);
    if (typeof custom === 'string') return issues.add(at, custom);
    const named = entry.name === undefined ? entry.code : optionCode(entry.name);
    const textForm =
      named === undefined || (entry.code !== undefined && entry.code !== named)
        ? undefined
        : keaTextForm(named);
    let option: CompiledOption;
    if (custom !== undefined) {
      try {
        option = {
          code: custom.code,
          name: custom.name,
          data: byDef(custom, entry),
          alwaysSend,
          neverSend: entry['never-send'] ?? false,
        };
      } catch (err) {
        return issues.add(at, `${custom.name}: ${message(err)}`);
      }
    } else if (textForm !== undefined && entry['csv-format'] !== false) {
      try {
        option = {
          code: textForm.code,
          name: textForm.name,
          data: encodeByDef(textForm, entry.data ?? '', true),
          alwaysSend,
          neverSend: entry['never-send'] ?? false,
        };
      } catch (err) {
        return issues.add(at, `${textForm.name}: ${message(err)}`);
      }
    } else {
      const r = encodeOptionData(entry);
      if (!r.ok) return issues.add(at, r.message);
      if (r.warning !== undefined) issues.warn(at, r.warning);
      option = r.option;
    }
    // Kea 2.2 keeps both entries of one scope and sends the later one's data (by name or by code alike);
    // an always-send on either still makes the option sent.
    const earlier = out.get(option.code);
    if (earlier !== undefined) {
      issues.warn(at, `option ${option.name} (${option.code}) replaces ${setBy.get(option.code)}, as in Kea`);
      option = { ...option, alwaysSend: option.alwaysSend || earlier.alwaysSend };
    }
    out.set(option.code, option);
    setBy.set(option.code, at);
  });
  for (const [space, list] of spaces) {
    const anySend = list.some((s) => s.alwaysSend);
    const vendor = VENDOR_SPACE.exec(space === DOCSIS_SPACE ? 'vendor-4491' : space);
    if (vendor !== null) {
      const enterprise = Number(vendor[1]);
      const prev = out.get(VIVSO);
      const block = vendorBlock(enterprise, tlvs(list));
      if (block.length - 5 > 255) {
        issues.add(list[0]!.at, `the options of space ${space} are longer than 255 bytes`);
        continue;
      }
      // The enterprise's empty block, if option 125 named it, gives way to the filled one.
      const kept = prev === undefined ? [] : [...prev.data];
      out.set(VIVSO, {
        code: VIVSO,
        name: 'vivso-suboptions',
        data: Uint8Array.from([...withoutEmptyBlock(kept, enterprise), ...block]),
        alwaysSend: (prev?.alwaysSend ?? false) || anySend,
        neverSend: prev?.neverSend ?? false,
      });
      continue;
    }
    const code = defs.encapsulating(space);
    if (code === undefined) {
      // Kea accepts options of a space no dhcp4 option carries; they are checked, and never sent.
      issues.warn(
        `${list[0]!.at}.space`,
        `no dhcp4 option encapsulates option space "${space}": its options are never sent`,
      );
      continue;
    }
    const prev = out.get(code);
    const data = Uint8Array.from([...(prev?.data ?? []), ...tlvs(list)]);
    if (data.length > 255 * 16) {
      issues.add(list[0]!.at, `the options of space ${space} are too long`);
      continue;
    }
    out.set(code, {
      code,
      name: prev?.name ?? defs.byCode(DHCP4, code)?.name ?? `option-${code}`,
      data,
      alwaysSend: (prev?.alwaysSend ?? false) || anySend,
      neverSend: prev?.neverSend ?? false,
    });
  }
  // Option 125 naming enterprises with no sub-options here: an empty block for each.
  const vivso = out.get(VIVSO);
  if (vivso !== undefined && enterprises.length > 0) {
    const data = [...vivso.data];
    for (const e of enterprises) if (!hasBlock(data, e)) data.push(...vendorBlock(e, []));
    out.set(VIVSO, { ...vivso, data: Uint8Array.from(data) });
  }
  // A container left with nothing to carry is not sent (a zero-length 43 helps no client).
  for (const [code, o] of out)
    if (o.data.length === 0 && defs.byCode(DHCP4, code)?.encapsulate !== undefined) out.delete(code);
  return out;
}

const BINARY: Omit<OptionDef, 'name' | 'code'> = {
  space: '',
  type: 'binary',
  array: false,
  recordTypes: [],
  encapsulate: undefined,
};

function blocks(data: readonly number[]): { enterprise: number; start: number; end: number }[] {
  const out: { enterprise: number; start: number; end: number }[] = [];
  let pos = 0;
  while (pos + 5 <= data.length) {
    const enterprise =
      ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    const end = pos + 5 + data[pos + 4]!;
    out.push({ enterprise, start: pos, end });
    pos = end;
  }
  return out;
}

function hasBlock(data: readonly number[], enterprise: number): boolean {
  return blocks(data).some((b) => b.enterprise === enterprise);
}

function withoutEmptyBlock(data: readonly number[], enterprise: number): number[] {
  const out: number[] = [];
  for (const b of blocks(data)) {
    if (b.enterprise === enterprise && b.end - b.start === 5) continue;
    out.push(...data.slice(b.start, b.end));
  }
  return out;
}

export function address(value: string | undefined, path: string, issues: Issues): number | undefined {
  if (value === undefined) return undefined;
  if (!isIpv4(value)) {
    issues.add(path, `"${value}" is not an IPv4 address`);
    return undefined;
  }
  return ipv4ToInt(value);
}
