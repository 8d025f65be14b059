/** What every scope of the configuration compiles the same way: its issues, its options, its addresses. */
import { encodeOptionData } from './option-data.ts';
import { ipv4ToInt, isIpv4 } from './ipv4.ts';
import type { OptionDataJson } from './schema.ts';
import type { CompiledOption, ConfigIssue, OptionSet } from './types.ts';

/** The problems found so far, each with its JSON path. */
export class Issues {
  readonly list: ConfigIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export function optionSet(
  entries: readonly OptionDataJson[] | undefined,
  path: string,
  issues: Issues,
): OptionSet {
  const out = new Map<number, CompiledOption>();
  (entries ?? []).forEach((entry, i) => {
    const at = `${path}.option-data[${i}]`;
    const r = encodeOptionData(entry);
    if (!r.ok) return issues.add(at, r.message);
    if (out.has(r.option.code)) return issues.add(at, `option ${r.option.name} is given twice at this level`);
    out.set(r.option.code, r.option);
  });
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
