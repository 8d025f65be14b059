/** A Transport on a VirtualHost: one UDP port, every NIC of the host, link-layer capable. */
import { BROADCAST_IP, BROADCAST_MAC_BYTES, requireIp, requireMac, requirePort } from '../addr.ts';
import { arpProbeOn, buildArpAnnounce, type ArpProbeResult } from '../arp.ts';
import { LinkLayerTransport } from '../link-layer.ts';
import { TransportError } from '../errors.ts';
import { buildUdpFrame, MAX_UDP_PAYLOAD, type ParsedUdpFrame } from '../frame.ts';
import type { InterfaceRef, LinkState, OutboundDatagram, Transport } from '../types.ts';
import type { VirtualHost, VirtualNic } from './network.ts';

export interface VirtualTransportOptions {
  port: number;
}

export class VirtualTransport extends LinkLayerTransport implements Transport {
  readonly kind = 'virtual' as const;
  readonly port: number;
  private ipId = 0;

  private readonly host: VirtualHost;
  private readonly onClose: () => void;
  constructor(host: VirtualHost, opts: VirtualTransportOptions, onClose: () => void) {
    super();
    this.host = host;
    this.onClose = onClose;
    this.port = requirePort(opts.port);
  }

  interfaces(): readonly InterfaceRef[] {
    return this.host.nics.map((n) => ({ name: n.name, index: n.index }));
  }

  send(d: OutboundDatagram): Promise<void> {
    try {
      this.sendNow(d);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(asTransportError(e));
    }
  }

  private sendNow(d: OutboundDatagram): void {
    if (this.closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    const dstIp = requireIp(d.ip);
    const dstPort = requirePort(d.port);
    const dstMacGiven = d.mac === undefined ? undefined : requireMac(d.mac);
    if (d.data.length > MAX_UDP_PAYLOAD) {
      throw new TransportError(
        'ERR_TRANSPORT_TOO_BIG',
        `${d.data.length} bytes exceed one frame (${MAX_UDP_PAYLOAD})`,
      );
    }
    const nic = this.pickNic(d, dstIp);
    if (!nic.carrierUp) {
      throw new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${nic.name} is down`, {
        interface: nic.name,
      });
    }
    const srcIp = d.sourceIp === undefined ? (nic.primaryIp() ?? 0) : requireIp(d.sourceIp);
    let dstMac = dstMacGiven;
    if (!dstMac) {
      if (d.ip === BROADCAST_IP || nic.isSubnetBroadcast(dstIp)) dstMac = BROADCAST_MAC_BYTES;
      else {
        const target = nic.link.resolve(d.ip);
        if (!target) {
          // A real stack would ARP, get no answer and drop the datagram; so do we, silently.
          this.host.network.stats.unresolved++;
          return;
        }
        dstMac = target.macBytes;
      }
    }
    this.ipId = (this.ipId + 1) & 0xffff;
    nic.send(
      buildUdpFrame({
        srcMac: nic.macBytes,
        dstMac,
        srcIp,
        dstIp,
        srcPort: this.port,
        dstPort,
        payload: d.data,
        id: this.ipId,
      }),
    );
  }

  private pickNic(d: OutboundDatagram, dstIp: number): VirtualNic {
    const nics = this.host.nics;
    if (d.interface !== undefined) {
      const n = this.host.nic(d.interface);
      if (!n)
        throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', `no interface '${d.interface}'`, {
          interface: d.interface,
        });
      return n;
    }
    if (d.mac === undefined && d.ip !== BROADCAST_IP) {
      const n = nics.find((x) => x.onLink(dstIp));
      if (n) return n;
    }
    if (nics.length === 1) return nics[0]!;
    throw new TransportError(
      'ERR_TRANSPORT_NO_ROUTE',
      nics.length === 0 ? `${this.host.name} has no interface` : `no route to ${d.ip}: name the interface`,
    );
  }

  /** RFC 5227 probe from one of the host's NICs: is `ip` held by another host on that link? */
  arpProbe(ifname: string, ip: string, timeoutMs: number): Promise<ArpProbeResult> {
    const nic = this.host.nic(ifname);
    if (!nic)
      return Promise.reject(new TransportError('ERR_TRANSPORT_NO_INTERFACE', `no interface '${ifname}'`));
    let ipn: number;
    try {
      ipn = requireIp(ip);
    } catch (e) {
      return Promise.reject(asTransportError(e));
    }
    return arpProbeOn(
      { mac: nic.mac, send: (f) => nic.send(f), onArp: (l) => nic.onArp(l) },
      ipn,
      ip,
      timeoutMs,
      this.host.network.scheduler,
    );
  }

  /** RFC 5227 §2.3 announcement of `ip` on `ifname`. */
  async arpAnnounce(ifname: string, ip: string): Promise<void> {
    const nic = this.host.nic(ifname);
    if (!nic) throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', `no interface '${ifname}'`);
    nic.send(buildArpAnnounce(nic.mac, requireIp(ip)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.emitClose();
  }

  /** @internal */
  receive(nic: VirtualNic, f: ParsedUdpFrame): void {
    this.emitFrame(
      Buffer.from(f.payload),
      { name: nic.name, index: nic.index },
      f,
      f.srcMac,
      f.linkBroadcast,
      undefined,
    );
  }

  /** @internal */
  linkChanged(s: LinkState): void {
    this.emitLink(s);
    if (!s.present) {
      this.emitError(
        new TransportError('ERR_TRANSPORT_INTERFACE_GONE', `${s.interface} vanished`, {
          interface: s.interface,
        }),
      );
    } else if (!s.carrier) {
      this.emitError(
        new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${s.interface} is down`, {
          interface: s.interface,
        }),
      );
    }
  }
}

function asTransportError(e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  return new TransportError('ERR_TRANSPORT_SEND_FAILED', e instanceof Error ? e.message : String(e), {
    cause: e,
  });
}
