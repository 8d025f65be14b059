/**
 * `VENDOR_CLASS_<option 60>` names, made once per distinct option 60 value: clients of one model send the
 * same bytes in every packet, and making the name (a string from bytes, then a hash for the trie's
 * lookup) would otherwise be the largest cost of classifying a request that carries option 60.
 */
import { VENDOR_CLASS_PREFIX } from './builtin.ts';
import { binary } from './packet.ts';

/** Distinct values kept; past it the table starts over (option 60 is the client's to invent). */
const MAX_NAMES = 1024;

interface Entry {
  readonly bytes: Uint8Array;
  readonly name: string;
}

export class VendorNames {
  private readonly byHash = new Map<number, Entry>();

  /** The class name for option 60's bytes (not empty). */
  nameOf(b: Uint8Array): string {
    // FNV-1a: cheap, and a collision only costs making the name again.
    let h = 0x811c9dc5;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const hit = this.byHash.get(h);
    if (hit !== undefined && sameBytes(hit.bytes, b)) return hit.name;
    const name = VENDOR_CLASS_PREFIX + binary(b);
    if (this.byHash.size >= MAX_NAMES) this.byHash.clear();
    // A copy: `b` is a view of the packet's buffer, which the transport reuses.
    this.byHash.set(h, { bytes: b.slice(), name });
    return name;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
