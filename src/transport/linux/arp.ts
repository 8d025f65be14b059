/** RFC 5227 probe and announce on a Linux interface, through a short-lived ARP packet socket. */
import { requireIp } from '../addr.ts';
import { arpProbeOn, buildArpAnnounce, parseArpFrame, type ArpPacket } from '../arp.ts';
import { TransportError } from '../errors.ts';
import type { ArpProbeResult } from '../types.ts';
import { arpFilter, ETH_P_ARP, PACKET_OUTGOING } from './bpf.ts';
import { toTransportError } from './errno.ts';
import { listInterfaces } from './interfaces.ts';
import { FRAME_META_WORDS, requireNative, type NativePacketSocket } from './native.ts';

export interface ArpOptions {
  netns?: string;
  /** Number of probes spread over the timeout; default 3 (RFC 5227 PROBE_NUM). */
  probes?: number;
}

/**
 * RFC 5227 address conflict detection on `ifname`: sends ARP probes for `ip` and reports whether another
 * host answered or claimed it. Used by a server before offering an address and by a client before
 * accepting one (a conflict leads to DHCPDECLINE, RFC 2131 §3.1 step 5).
 */
export async function arpProbe(
  ifname: string,
  ip: string,
  timeoutMs: number,
  opts: ArpOptions = {},
): Promise<ArpProbeResult> {
  const ipn = requireIp(ip);
  const { sock, mac, listeners } = openArpSocket(ifname, opts);
  try {
    return await arpProbeOn(
      {
        mac,
        send: (f) => void sock.send(f),
        onArp: (l) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
      },
      ipn,
      ip,
      timeoutMs,
      { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      opts.probes,
    );
  } catch (e) {
    throw toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', ifname);
  } finally {
    sock.close();
  }
}

export async function arpAnnounce(ifname: string, ip: string, opts: ArpOptions = {}): Promise<void> {
  const ipn = requireIp(ip);
  const { sock, mac } = openArpSocket(ifname, opts);
  try {
    sock.send(buildArpAnnounce(mac, ipn));
  } catch (e) {
    throw toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED', ifname);
  } finally {
    sock.close();
  }
}

function openArpSocket(
  ifname: string,
  opts: ArpOptions,
): {
  sock: NativePacketSocket;
  mac: string;
  listeners: Set<(p: ArpPacket) => void>;
} {
  const native = requireNative();
  const netns = opts.netns === undefined ? {} : { netns: opts.netns };
  const info = listInterfaces(netns).find((i) => i.name === ifname);
  if (!info)
    throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', `no interface '${ifname}'`, { interface: ifname });
  if (!info.up)
    throw new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${ifname} is down`, { interface: ifname });
  const listeners = new Set<(p: ArpPacket) => void>();
  let sock: NativePacketSocket;
  try {
    sock = new native.PacketSocket(
      { ifname, protocol: ETH_P_ARP, filter: arpFilter(), ...netns },
      (err, frames, meta) => {
        if (err || !frames || !meta) return;
        for (let i = 0; i < meta.length; i += FRAME_META_WORDS) {
          if (meta[i + 2] === PACKET_OUTGOING) continue;
          const p = parseArpFrame(frames.subarray(meta[i]!, meta[i]! + meta[i + 1]!));
          if (p) for (const l of [...listeners]) l(p);
        }
      },
    );
  } catch (e) {
    throw toTransportError(e, 'ERR_TRANSPORT_BIND_FAILED', ifname);
  }
  return { sock, mac: info.mac, listeners };
}
