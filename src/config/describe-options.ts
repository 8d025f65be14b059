/** A decoded message's options shown with a configuration's own definitions (`leasekeeper decode --config`). */
import type { DhcpMessage } from '../protocol/index.ts';
import { definitionByCode } from '../protocol/option-table.ts';
import { decodeByDef, type OptionDefs } from './option-defs.ts';

const VIVSO = 125;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A TLV list's options by the definitions of `space`: `{ name: text }`, unknown ones as `option-N` hex. */
function subOptions(b: Uint8Array, space: string, defs: OptionDefs): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let pos = 0;
  while (pos < b.length) {
    if (pos + 2 > b.length) return undefined;
    const code = b[pos]!;
    const len = b[pos + 1]!;
    if (pos + 2 + len > b.length) return undefined;
    const data = b.subarray(pos + 2, pos + 2 + len);
    const d = defs.byCode(space, code);
    const text = d === undefined ? undefined : decodeByDef(d, data);
    out[d?.name ?? `option-${code}`] = text ?? hex(data);
    pos += 2 + len;
  }
  return out;
}

function vendorBlocks(b: Uint8Array, defs: OptionDefs): unknown[] | undefined {
  const out: unknown[] = [];
  let pos = 0;
  while (pos + 5 <= b.length) {
    const enterprise = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
    const end = pos + 5 + b[pos + 4]!;
    if (end > b.length) return undefined;
    const options = subOptions(b.subarray(pos + 5, end), `vendor-${enterprise}`, defs);
    if (options === undefined) return undefined;
    out.push({ enterprise, options });
    pos = end;
  }
  return pos === b.length ? out : undefined;
}

/**
 * Rewrites `options` (messageToJSON's) in place: custom dhcp4 options under their defined names with Kea's
 * text form, the sub-options of an encapsulating option (43) and of option 125's vendor blocks by their
 * spaces' names. What the definitions do not describe is left as it was.
 */
export function describeOptions(options: Record<string, unknown>, msg: DhcpMessage, defs: OptionDefs): void {
  for (const code of msg.options.codes()) {
    const b = msg.options.getRaw(code);
    if (b === undefined) continue;
    const key = definitionByCode(code)?.name ?? `option-${code}`;
    if (code === VIVSO) {
      const blocks = vendorBlocks(b, defs);
      if (blocks !== undefined) options[key] = blocks;
      continue;
    }
    const d = defs.byCode('dhcp4', code);
    if (d === undefined) continue;
    if (d.encapsulate !== undefined) {
      const inner = subOptions(b, d.encapsulate, defs);
      if (inner !== undefined) {
        delete options[key];
        options[d.name] = inner;
      }
      continue;
    }
    if (definitionByCode(code) !== undefined) continue;
    const text = decodeByDef(d, b);
    if (text === undefined) continue;
    delete options[key];
    options[d.name] = text;
  }
}
