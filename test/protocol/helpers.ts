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

/** The fixed header's scalar fields (chaddr, sname and file aside), compared one by one after a round trip. */
export const HEADER_FIELDS = [
  'op',
  'htype',
  'hlen',
  'hops',
  'xid',
  'secs',
  'flags',
  'ciaddr',
  'yiaddr',
  'siaddr',
  'giaddr',
] as const;

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

/**
 * `payload` as UDP `sport` -> `dport` in IPv4 198.18.0.1 -> 198.18.0.2 in a broadcast Ethernet frame from
 * 02:00:00:00:00:01, IP and UDP checksums zero (neither our pcap reader nor tshark checks them). `cut` drops
 * that many bytes from the end, as a capture's snap length would.
 */
export function ethernetUdp(sport: number, dport: number, payload: Uint8Array, cut = 0): Uint8Array {
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const f = new Uint8Array(14 + ipLen);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  // IPv4: version 4 with a 20-byte header, total length, no fragmenting, TTL 64, protocol 17 (UDP).
  f.set([0x45, 0, ipLen >> 8, ipLen & 255, 0, 0, 0, 0, 64, 17, 0, 0], 14);
  f.set([198, 18, 0, 1, 198, 18, 0, 2], 26);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, udpLen >> 8, udpLen & 255, 0, 0], 34);
  f.set(payload, 42);
  return f.subarray(0, f.length - cut);
}
