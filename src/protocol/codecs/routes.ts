/** Classless static routes (RFC 3442, option 121, and Microsoft's 249). */
import { prefixToMask, readIp, writeU32 } from '../ip.ts';
import { bad, checkArray, checkInt, checkIp, type ValueCodec } from './codec.ts';

export interface ClasslessRoute {
  destination: string;
  prefixLength: number;
  router: string;
}

/** RFC 3442 §2: width, the significant octets of the destination, the router; 249 has the same shape. */
export const routes: ValueCodec<ClasslessRoute[]> = {
  kind: 'routes',
  decode(b) {
    if (b.length < 5) return undefined;
    const out: ClasslessRoute[] = [];
    let pos = 0;
    while (pos < b.length) {
      const width = b[pos]!;
      if (width > 32) return undefined;
      const significant = (width + 7) >> 3;
      if (pos + 1 + significant + 4 > b.length) return undefined;
      let dest = 0;
      for (let i = 0; i < 4; i++) dest = dest * 256 + (i < significant ? b[pos + 1 + i]! : 0);
      dest = (dest & prefixToMask(width)) >>> 0;
      const tmp = new Uint8Array(4);
      writeU32(tmp, 0, dest);
      out.push({
        destination: readIp(tmp, 0),
        prefixLength: width,
        router: readIp(b, pos + 1 + significant),
      });
      pos += 1 + significant + 4;
    }
    return out;
  },
  encode(v) {
    const list = checkArray(v, 1);
    const out: number[] = [];
    for (const item of list) {
      if (typeof item !== 'object' || item === null)
        bad('expected routes as { destination, prefixLength, router }');
      const r = item as Partial<ClasslessRoute>;
      const width = checkInt(r.prefixLength, 0, 32);
      const dest = checkIp(r.destination);
      const router = checkIp(r.router);
      if ((dest & ~prefixToMask(width)) !== 0) bad(`${r.destination}/${width} has host bits set`);
      out.push(width);
      for (let i = 0; i < (width + 7) >> 3; i++) out.push((dest >>> (24 - 8 * i)) & 255);
      out.push(router >>> 24, (router >>> 16) & 255, (router >>> 8) & 255, router & 255);
    }
    return Uint8Array.from(out);
  },
  toJSON: (v) => v.map((r) => ({ ...r })),
};
