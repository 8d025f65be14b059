import type { DhcpMessage } from '../protocol/index.ts';

/**
 * RFC 3074 §6: the load-balancing hash. A Pearson hash over the client's key with this permutation table
 * (the RFC's "MixTable"), seeded with the key's length and walked from the last byte to the first. Kea's HA
 * hook computes the same, so a leasekeeper and a Kea server agree on which of them answers a client.
 */
// prettier-ignore
const MIX_TABLE = new Uint8Array([
  251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232,
  31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223,
  59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65,
  180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97, 16,
  40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67,
  207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5,
  20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245,
  230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241, 73, 88, 105,
  39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84,
  82, 163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239,
  195, 42, 106, 198, 118, 112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253,
  137, 185, 99, 164, 102, 147, 45, 66, 231, 52, 141, 211, 194, 206, 246, 238,
  56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50,
  33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213,
  96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4,
  216, 131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
]);

/** RFC 3074 §6 hash of a key: 0..255. */
export function loadBalanceHash(key: Uint8Array): number {
  let hash = key.length & 0xff;
  for (let i = key.length; i > 0;) hash = MIX_TABLE[hash ^ key[--i]!]!;
  return hash;
}

/**
 * The key Kea hashes (RFC 3074 §3): the client identifier (option 61) when present and non-empty, else
 * chaddr's first `hlen` bytes; undefined when the message has neither.
 */
export function loadBalanceKey(msg: DhcpMessage): Uint8Array | undefined {
  const id = msg.options.getRaw(61);
  if (id !== undefined && id.length > 0) return id;
  const hlen = Math.min(msg.hlen, 16);
  return hlen > 0 ? msg.chaddr.subarray(0, hlen) : undefined;
}

/** The index of the active server (0 = primary, 1 = secondary) that answers this client, or -1. */
export function loadBalanceServer(msg: DhcpMessage, activeServers: number): number {
  const key = loadBalanceKey(msg);
  if (key === undefined || activeServers <= 0) return -1;
  return loadBalanceHash(key) % activeServers;
}
