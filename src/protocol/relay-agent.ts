import type { SubOption } from './codecs.ts';
import { readIp, parseIp, writeU32 } from './ip.ts';
import { DhcpEncodeError, describeValue } from './errors.ts';

/** The sub-options of option 82 leasekeeper reads, by meaning. */
export interface RelayAgentInfo {
  /** 1, RFC 3046 §3.1. */
  circuitId?: Uint8Array;
  /** 2, RFC 3046 §3.2. */
  remoteId?: Uint8Array;
  /** 5, RFC 3527: the subnet to allocate from, instead of giaddr. */
  linkSelection?: string;
  /** 9, RFC 4243: vendor-specific information, raw. */
  vendorSpecific?: Uint8Array;
  /** 11, RFC 5107: the address the client should see as the server identifier. */
  serverIdOverride?: string;
  /** 12, RFC 6925. */
  relayId?: Uint8Array;
}

/** Reads the known sub-options of an option 82 list; the first occurrence of a code wins. */
export function relayAgentInfo(list: readonly SubOption[]): RelayAgentInfo {
  const info: RelayAgentInfo = {};
  for (const { code, data } of list) {
    if (code === 1) info.circuitId ??= data;
    else if (code === 2) info.remoteId ??= data;
    else if (code === 5 && data.length === 4) info.linkSelection ??= readIp(data, 0);
    else if (code === 9) info.vendorSpecific ??= data;
    else if (code === 11 && data.length === 4) info.serverIdOverride ??= readIp(data, 0);
    else if (code === 12) info.relayId ??= data;
  }
  return info;
}

function ipData(ip: string): Uint8Array {
  const n = parseIp(ip);
  if (n < 0)
    throw new DhcpEncodeError('ERR_ENCODE_BAD_OPTION_VALUE', `not an IPv4 address: ${describeValue(ip)}`);
  const out = new Uint8Array(4);
  writeU32(out, 0, n);
  return out;
}

/** The inverse of relayAgentInfo, for relays and tests: sub-options in code order. */
export function relayAgentSubOptions(info: RelayAgentInfo): SubOption[] {
  const out: SubOption[] = [];
  if (info.circuitId) out.push({ code: 1, data: info.circuitId });
  if (info.remoteId) out.push({ code: 2, data: info.remoteId });
  if (info.linkSelection !== undefined) out.push({ code: 5, data: ipData(info.linkSelection) });
  if (info.vendorSpecific) out.push({ code: 9, data: info.vendorSpecific });
  if (info.serverIdOverride !== undefined) out.push({ code: 11, data: ipData(info.serverIdOverride) });
  if (info.relayId) out.push({ code: 12, data: info.relayId });
  return out;
}
