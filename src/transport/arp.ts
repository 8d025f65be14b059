/**
 * ARP frames (RFC 826) and the RFC 5227 probe/announce logic, written against a small link interface so
 * that the Linux packet socket and the virtual network share it.
 */
import { readIp, writeU32 } from '../protocol/index.ts';
import { formatMac } from './addr.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './frame.ts';
import type { ArpProbeResult } from './types.ts';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_FRAME_LEN = 14 + 28;

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function buildArpFrame(p: {
  op: number;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}): Buffer {
  // 42 bytes; the NIC pads to the 60-byte minimum.
  const b = Buffer.alloc(ARP_FRAME_LEN);
  b.set(p.dstMac.subarray(0, 6), 0);
  b.set(p.srcMac.subarray(0, 6), 6);
  b.writeUInt16BE(ETHERTYPE_ARP, 12);
  b.writeUInt16BE(1, 14); // htype Ethernet
  b.writeUInt16BE(ETHERTYPE_IPV4, 16);
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(p.op, 20);
  b.set(p.srcMac.subarray(0, 6), 22);
  writeU32(b, 28, p.senderIp);
  b.set(p.targetMac.subarray(0, 6), 32);
  writeU32(b, 38, p.targetIp);
  return b;
}

export function parseArpFrame(frame: Buffer): ArpPacket | undefined {
  if (frame.length < ARP_FRAME_LEN || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return undefined;
  if (frame.readUInt16BE(14) !== 1 || frame.readUInt16BE(16) !== ETHERTYPE_IPV4) return undefined;
  if (frame[18] !== 6 || frame[19] !== 4) return undefined;
  return {
    op: frame.readUInt16BE(20),
    senderMac: formatMac(frame, 22),
    senderIp: readIp(frame, 28),
    targetMac: formatMac(frame, 32),
    targetIp: readIp(frame, 38),
  };
}

export type { ArpProbeResult } from './types.ts';

/** What probing needs from a link: send a raw frame, see ARP frames, and our own MAC. */
export interface ArpLink {
  readonly mac: string;
  send(frame: Buffer): void;
  /** Returns an unsubscribe function. */
  onArp(listener: (p: ArpPacket) => void): () => void;
}

export interface ArpTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * RFC 5227 §2.1.1: probes are ARP requests with sender IP 0.0.0.0 and target IP the candidate. The
 * address is in use if any ARP packet has it as sender IP, or another host probes for it at the same
 * time (target IP = candidate, sender IP 0, sender MAC not ours). PROBE_NUM (3) probes are spread over
 * `timeoutMs` instead of the RFC's 1-2 s gaps, so the caller chooses the cost of the check.
 */
export function arpProbeOn(
  link: ArpLink,
  ip: number,
  ipText: string,
  timeoutMs: number,
  timer: ArpTimer,
  probes = 3,
): Promise<ArpProbeResult> {
  return new Promise((resolve, reject) => {
    const mac = link.mac;
    const srcMac = macBytes(mac);
    const bcast = new Uint8Array([255, 255, 255, 255, 255, 255]);
    const zero = new Uint8Array(6);
    const handles: unknown[] = [];
    let done = false;
    const finish = (r: ArpProbeResult | Error): void => {
      if (done) return;
      done = true;
      unsubscribe();
      for (const h of handles) timer.clearTimeout(h);
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const unsubscribe = link.onArp((p) => {
      if (p.senderMac === mac) return;
      if (p.senderIp === ipText) finish({ inUse: true, mac: p.senderMac });
      else if (p.op === ARP_REQUEST && p.senderIp === '0.0.0.0' && p.targetIp === ipText) {
        finish({ inUse: true, mac: p.senderMac });
      }
    });
    const probe = (): void => {
      if (done) return;
      try {
        link.send(
          buildArpFrame({
            op: ARP_REQUEST,
            srcMac,
            dstMac: bcast,
            senderIp: 0,
            targetMac: zero,
            targetIp: ip,
          }),
        );
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const n = Math.max(1, probes);
    const gap = Math.max(1, Math.floor(timeoutMs / (n + 1)));
    probe();
    for (let i = 1; i < n; i++) handles.push(timer.setTimeout(probe, gap * i));
    handles.push(timer.setTimeout(() => finish({ inUse: false }), Math.max(1, timeoutMs)));
  });
}

/** RFC 5227 §2.3: an ARP request with sender IP = target IP = the address being claimed. */
export function buildArpAnnounce(mac: string, ip: number): Buffer {
  const srcMac = macBytes(mac);
  return buildArpFrame({
    op: ARP_REQUEST,
    srcMac,
    dstMac: new Uint8Array([255, 255, 255, 255, 255, 255]),
    senderIp: ip,
    targetMac: new Uint8Array(6),
    targetIp: ip,
  });
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}
