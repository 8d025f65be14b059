/**
 * A dhcp4 option's value in Kea's text form (what `option-data`'s `data` would say), from its bytes: the
 * inverse of the option-data encoding, for showing a configured or received option as Kea writes it.
 */
import { definitionByCode, type ClasslessRoute, type DnrInstance } from '../protocol/index.ts';
import { dnrText } from './dnr-text.ts';
import { BUILTIN_DEFS, decodeByDef, keaTextForm, type OptionDefs } from './option-defs.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Kea's text of `data` as option `code`, or undefined when the bytes are not a value of its type. */
export function optionDataText(
  code: number,
  data: Uint8Array,
  defs: OptionDefs = BUILTIN_DEFS,
): string | undefined {
  const table = definitionByCode(code);
  const custom = defs.byCode('dhcp4', code);
  if (custom !== undefined && (table === undefined || custom.encapsulate !== undefined))
    return custom.encapsulate !== undefined ? hex(data) : decodeByDef(custom, data);
  const form = keaTextForm(code);
  if (form !== undefined) return decodeByDef(form, data);
  if (table === undefined) return hex(data);
  const v = table.codec.decode(data);
  if (v === undefined) return undefined;
  switch (table.type) {
    case 'string':
      return (v as string).replace(/,/g, '\\,');
    case 'ips':
    case 'ip-pairs':
    case 'fqdn-list':
    case 'u8-list':
    case 'u16-list':
      return (v as readonly unknown[]).join(', ');
    case 'routes':
      return (v as readonly ClasslessRoute[])
        .map((r) => `${r.destination}/${r.prefixLength} - ${r.router}`)
        .join(', ');
    case 'dnr':
      return dnrText(v as readonly DnrInstance[]);
    case 'bytes':
      return hex(v as Uint8Array);
    default:
      // ip, fqdn, integers, booleans; the structured kinds (82, 81, 125) have no single text form.
      return typeof v === 'object' ? undefined : String(v);
  }
}
