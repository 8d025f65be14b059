/** Builds raw packets for the codec tests: a zeroed BOOTP header, the magic cookie, then `options` bytes. */
export function rawPacket(options: readonly number[], patch?: (header: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(240 + options.length);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff], 28);
  b.set([99, 130, 83, 99], 236);
  b.set(options, 240);
  patch?.(b);
  return b;
}

export function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** Decoded options written back out through encodeMessage land at offset 240 onwards. */
export function optionBytes(wire: Uint8Array): number[] {
  return Array.from(wire.subarray(240));
}

/** The option codes of one field as written, in order, up to END: a walker independent of the decoder. */
export function fieldCodes(wire: Uint8Array, start: number, end: number): number[] {
  const codes: number[] = [];
  for (let i = start; i < end && wire[i] !== 255;) {
    if (wire[i] === 0) {
      i++;
      continue;
    }
    codes.push(wire[i]!);
    i += 2 + wire[i + 1]!;
  }
  return codes;
}
