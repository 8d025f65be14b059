/** What every scope of the configuration compiles the same way: its issues, its options, its addresses. */
import { definitionByCode } from '../protocol/option-table.ts';
import { encodeOptionData } from './option-data.ts';
import { BUILTIN_DEFS, encodeByDef, keaTextForm, type OptionDef, type OptionDefs } from './option-defs.ts';
import { optionCode } from '../protocol/option-table.ts';
import { ipv4ToInt, isIpv4 } from './ipv4.ts';
import type { OptionDataJson } from './schema.ts';
import type { CompiledOption, ConfigIssue, OptionSet } from './types.ts';

/** The problems found so far, each with its JSON path, and the option definitions in force. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  /** The global `option-def`s over Kea's built-in ones; set before any scope is compiled. */
  defs: OptionDefs = BUILTIN_DEFS;
  add(path: string, message: string): void {
    this.list.push({ path, message });
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

/** A dhcp4 option by a custom definition (a code the table lacks, or Kea's redefinable 43). */
function customDhcp4(entry: OptionDataJson, defs: OptionDefs): OptionDef | undefined {
  const byName = entry.name === undefined ? undefined : defs.byName(DHCP4, entry.name);
  const d = byName ?? (entry.code === undefined ? undefined : defs.byCode(DHCP4, entry.code));
  if (d === undefined) return undefined;
  if (entry.code !== undefined && entry.code !== d.code) return undefined;
  return definitionByCode(d.code) === undefined || d.encapsulate !== undefined ? d : undefined;
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
  const spaces = new Map<string, SubOption[]>();
  const enterprises: number[] = [];
  (entries ?? []).forEach((entry, i) => {
    const at = `${path}.option-data[${i}]`;
    const space = entry.space ?? DHCP4;
    const alwaysSend = entry['always-send'] ?? false;
    if (space !== DHCP4) {
      const d =
        (entry.name === undefined ? undefined : defs.byName(space, entry.name)) ??
        (entry.code === undefined ? undefined : defs.byCode(space, entry.code));
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
        list.push({ code: d?.code ?? entry.code!, data, alwaysSend, at });
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
      option = r.option;
    }
    if (out.has(option.code)) return issues.add(at, `option ${option.name} is given twice at this level`);
    out.set(option.code, option);
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
      issues.add(`${list[0]!.at}.space`, `no option encapsulates option space "${space}"`);
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
