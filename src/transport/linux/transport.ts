/**
 * The Linux transport: for each interface, a UDP socket bound to it (SO_BINDTODEVICE, handed to
 * node:dgram) and an AF_PACKET socket bound to it. Frames are received on the packet socket, which knows
 * the interface, the source MAC and the destination IP and works before the interface has an address;
 * the UDP socket then only holds the port (a BPF filter drops everything it would receive), so the
 * kernel sends no ICMP port-unreachable. Sends to a MAC, to a broadcast or from a chosen source IP are
 * built here and written to the packet socket; other unicasts go through the UDP socket, where the kernel
 * routes and ARPs (relays, clients that have an address: RFC 2131 §4.1).
 *
 * With `receive: 'udp'` datagrams are read from the UDP sockets instead (no MAC, no destination IP).
 *
 * Link state is watched through rtnetlink and polled as a backstop (getifaddrs, cheap); when an interface goes down the transport emits `link` and an
 * ERR_TRANSPORT_INTERFACE_DOWN error; when it returns (or reappears with a new index) both sockets are reopened
 * before `link` reports it up.
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import type { RateLimitedLog } from '../../log/index.ts';
import { prefixToMask } from '../../protocol/index.ts';
import {
  BROADCAST_IP,
  BROADCAST_MAC_BYTES,
  formatMac,
  isBroadcastMac,
  requireIp,
  requireMac,
  requirePort,
} from '../addr.ts';
import { LinkLayerTransport } from '../link-layer.ts';
import { TransportError } from '../errors.ts';
import { buildUdpFrame, MAX_UDP_PAYLOAD, udpDatagramAt } from '../frame.ts';
import { udpMeta } from '../udp.ts';
import type { ArpProbeResult, InterfaceRef, LinkState, OutboundDatagram, Transport } from '../types.ts';
import {
  dropAllFilter,
  ETH_P_IP,
  PACKET_OTHERHOST,
  PACKET_OUTGOING,
  TP_STATUS_CSUMNOTREADY,
  udpDstPortFilter,
} from './bpf.ts';
import { arpAnnounce, arpProbe } from './arp.ts';
import { toTransportError } from './errno.ts';
import { listInterfaces, type InterfaceInfo } from './interfaces.ts';
import { LinkMonitor } from './link-monitor.ts';
import {
  FRAME_META_WORDS,
  isNativeError,
  requireNative,
  type NativeError,
  type NativePacketSocket,
} from './native.ts';
import { overflowReporter, type SendQueueLimits, type SendQueueOverflow } from '../send-backlog.ts';
import {
  SendBatcher,
  portWord,
  segmentRefusalReporter,
  sendQueue,
  type SegmentRefusal,
  type SendFailed,
  type SendQueue,
} from './send-batch.ts';

export interface LinuxTransportOptions {
  /** Interfaces to serve, by name; at least one. */
  interfaces: readonly string[];
  /** UDP port to receive on (67 server, 68 client). */
  port: number;
  /** Network namespace name (under /var/run/netns) to open the sockets in; needs root. */
  netns?: string;
  /** Where datagrams are read from; default 'packet'. */
  receive?: 'packet' | 'udp';
  /** Link-state poll period; default 1000 ms. */
  linkPollMs?: number;
  /** Packet socket receive buffer (or ring) in bytes; default 4 MiB (a burst of clients must not overflow it). */
  receiveBufferBytes?: number;
  /**
   * How the packet sockets read. true: through a TPACKET_V3 ring shared with the kernel (one wake-up per
   * 1 ms block instead of one per frame, no system call per read, but up to 1 ms of added latency per
   * frame). false: with recvmmsg. 'adaptive' (the default): recvmmsg while an interface receives fewer
   * than 4,000 frames a second, the ring above that, back below 2,500. Where the kernel refuses the ring,
   * frames are read with recvmmsg.
   */
  receiveRing?: boolean | 'adaptive';
  /** Adaptive only: onto the ring at this many frames a second or more (default 4,000). */
  ringAboveFps?: number;
  /** Adaptive only: back to recvmmsg below this many frames a second (default 2,500, at most `ringAboveFps`). */
  ringBelowFps?: number;
  /** Adaptive only: the window the rate is measured over (default 200 ms). */
  ringWindowMs?: number;
  /** Bounds of node:dgram's queue, used when a UDP socket's kernel buffer is full. */
  sendQueue?: SendQueueLimits;
  /** Repeated drops are reported once per interval with a count; default 5000 ms. */
  logIntervalMs?: number;
  /**
   * Unicasts through the UDP sockets that go to one destination in one batch leave as one UDP GSO send
   * (Linux 4.18), shorter ones padded with zeros to one size where their `padUpTo` allows (docs/transport.md,
   * "UDP GSO").
   * `auto` (the default, unless the environment has `LEASEKEEPER_UDP_GSO=on` or `off`): on for an interface
   * that is a network device (`/sys/class/net/IF/device`: a NIC, physical or paravirtual, where the kernel or
   * the card cuts a run into datagrams before the wire), off for a software one (veth, bridge, tap, macvlan)
   * and for interfaces of another network namespace (`netns`). Through a software device a run reaches a peer
   * on the same host uncut: a peer that reads through a UDP socket gets each datagram, but one that reads
   * through a packet socket (ISC dhcrelay) sees the run as one large datagram and relays only its first reply.
   */
  udpSegmentation?: boolean | 'auto';
}

/** `LEASEKEEPER_UDP_GSO=on` or `off` (also 1/0, true/false, yes/no) decides where the options do not say. */
function udpSegmentationFromEnvironment(): boolean | 'auto' {
  const v = process.env['LEASEKEEPER_UDP_GSO']?.trim().toLowerCase();
  if (v === 'off' || v === '0' || v === 'false' || v === 'no') return false;
  if (v === 'on' || v === '1' || v === 'true' || v === 'yes') return true;
  return 'auto';
}

/** `auto`: whether IF is a network device of this namespace, whose runs are cut into datagrams before the wire. */
export function udpSegmentationAuto(ifname: string, netns: string | undefined): boolean {
  if (netns !== undefined || ifname.includes('/') || ifname.startsWith('.')) return false;
  return existsSync(`/sys/class/net/${ifname}/device`);
}

interface Port {
  name: string;
  info: InterfaceInfo | undefined;
  /** `{ name, index }` of `info`, handed up with every frame: one object while the index stays. */
  ref: InterfaceRef | undefined;
  udp: dgram.Socket | undefined;
  /** The UDP socket's descriptor (owned by `udp`), -1 when closed; written to directly by sendBatch. */
  udpFd: number;
  packet: NativePacketSocket | undefined;
  /** Unicasts through the kernel's UDP stack, waiting for this turn's flush. */
  udpQueue: SendQueue;
  /** Whole frames for the packet socket, waiting for this turn's flush. */
  packetQueue: SendQueue;
  /** Runs to one destination leave as UDP GSO sends on the current UDP socket. */
  udpSegment: boolean;
  /** The packet socket's kernel drops already added to `drops`. */
  kernelDrops: number;
  /** Kernel drops on this interface since the transport opened, across reopened sockets. */
  kernelDropsTotal: number;
  /** Path switches of this interface's sockets closed before the current one. */
  closedSwitches: number;
}

export { SEND_BATCH_MAX } from './send-batch.ts';
export type { SendQueueLimits } from '../send-backlog.ts';

export class LinuxTransport extends LinkLayerTransport implements Transport {
  readonly kind = 'linux' as const;
  /**
   * Frames refused on receive, by reason (bad checksums, truncation, ...); 'queue full' counts those the
   * kernel dropped because a packet socket's ring or queue was full, as of the last link poll.
   */
  readonly drops = new Map<string, number>();
  private readonly ports: Port[];
  private readonly receiveMode: 'packet' | 'udp';
  private readonly netns: string | undefined;
  private readonly rcvbuf: number;
  private readonly ring: boolean | 'adaptive';
  private readonly ringThresholds: { ringAboveFps?: number; ringBelowFps?: number; ringWindowMs?: number };
  /** setReceiveRing's last choice, applied to adaptive sockets opened later too; null: their own policy. */
  private forcedRing: boolean | null = null;
  private links: LinkMonitor | undefined;
  private ipId = 0;
  private readonly sends: SendBatcher;
  private readonly overflows: RateLimitedLog<SendQueueOverflow>;
  private readonly segmentRefusals: RateLimitedLog<SegmentRefusal>;
  private readonly udpSegmentation: boolean | 'auto';

  readonly port: number;
  private constructor(port: number, opts: LinuxTransportOptions) {
    super();
    this.port = port;
    this.receiveMode = opts.receive ?? 'packet';
    this.netns = opts.netns;
    this.rcvbuf = opts.receiveBufferBytes ?? 4 * 1024 * 1024;
    this.ring = opts.receiveRing ?? 'adaptive';
    this.udpSegmentation = opts.udpSegmentation ?? udpSegmentationFromEnvironment();
    this.ringThresholds = {
      ...(opts.ringAboveFps === undefined ? {} : { ringAboveFps: opts.ringAboveFps }),
      ...(opts.ringBelowFps === undefined ? {} : { ringBelowFps: opts.ringBelowFps }),
      ...(opts.ringWindowMs === undefined ? {} : { ringWindowMs: opts.ringWindowMs }),
    };
    this.ports = opts.interfaces.map((name) => ({
      name,
      info: undefined,
      ref: undefined,
      udp: undefined,
      udpFd: -1,
      packet: undefined,
      udpQueue: sendQueue(),
      packetQueue: sendQueue(),
      udpSegment: false,
      kernelDrops: 0,
      kernelDropsTotal: 0,
      closedSwitches: 0,
    }));
    // Reported through `error` (which the runtime logs), once per interval with a count: a relay that
    // stopped answering ARP would otherwise produce a line per reply.
    this.overflows = overflowReporter((e) => this.emitError(e), opts.logIntervalMs);
    this.segmentRefusals = segmentRefusalReporter((e) => this.emitError(e), opts.logIntervalMs);
    this.sends = new SendBatcher(
      requireNative(),
      () => this.ports,
      opts.sendQueue,
      (o) => this.overflows.hit(o),
      (r) => this.segmentRefusals.hit(r),
    );
  }

  /** Opens every interface's sockets. Rejects with ERR_TRANSPORT_NO_INTERFACE, ERR_TRANSPORT_BIND_FAILED or ERR_TRANSPORT_NATIVE_UNAVAILABLE. */
  static async open(opts: LinuxTransportOptions): Promise<LinuxTransport> {
    requireNative();
    const port = requirePort(opts.port);
    if (opts.interfaces.length === 0)
      throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', 'no interface given');
    const t = new LinuxTransport(port, opts);
    const all = listInterfaces(t.netns === undefined ? {} : { netns: t.netns });
    for (const p of t.ports) {
      p.info = all.find((i) => i.name === p.name);
      if (!p.info)
        throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', `no interface '${p.name}'`, {
          interface: p.name,
        });
    }
    try {
      for (const p of t.ports) await t.openPort(p);
    } catch (e) {
      await t.close();
      throw e;
    }
    t.links = new LinkMonitor({
      native: requireNative(),
      netns: t.netns,
      pollMs: opts.linkPollMs ?? 1000,
      look: () => t.lookAtLinks(),
    });
    return t;
  }

  interfaces(): readonly InterfaceRef[] {
    return this.ports.filter((p) => p.info).map((p) => ({ name: p.name, index: p.info!.index }));
  }

  /** The last-seen state of one of this transport's interfaces (addresses, MAC, link). */
  interfaceInfo(name: string): InterfaceInfo | undefined {
    return this.ports.find((p) => p.name === name)?.info;
  }

  /**
   * How `ifname`'s packet socket reads frames: 'ring' (TPACKET_V3), 'recvmmsg', 'adaptive' (recvmmsg or
   * the ring with the arrival rate: receiveStats() says which now), or undefined while the interface's
   * sockets are closed (or in `receive: 'udp'` mode, where the packet socket only sends).
   */
  receivePath(ifname: string): 'ring' | 'recvmmsg' | 'adaptive' | undefined {
    const p = this.ports.find((x) => x.name === ifname);
    if (!p?.packet || this.receiveMode !== 'packet') return undefined;
    if (p.packet.adaptive === true) return 'adaptive';
    return p.packet.ring === true ? 'ring' : 'recvmmsg';
  }

  /**
   * Per open packet socket: whether it reads the ring now, how often an adaptive one has switched between
   * recvmmsg and the ring, and the frames the kernel dropped (full ring or queue); both counts since the
   * transport opened, across sockets reopened after a link change.
   */
  receiveStats(): {
    ifname: string;
    path: 'ring' | 'recvmmsg';
    adaptive: boolean;
    switches: number;
    kernelDrops: number;
    /** `udpSegmentationActive`: whether relayed replies leave as UDP GSO runs now. */
    udpGso: boolean;
  }[] {
    if (this.receiveMode !== 'packet') return [];
    return this.ports.flatMap((p) => {
      if (!p.packet) return [];
      this.countKernelDrops(p);
      return [
        {
          ifname: p.name,
          path: p.packet.ring === true ? ('ring' as const) : ('recvmmsg' as const),
          adaptive: p.packet.adaptive === true,
          switches: p.closedSwitches + (p.packet.ringSwitches ?? 0),
          kernelDrops: p.kernelDropsTotal,
          udpGso: this.udpSegmentationActive(p.name),
        },
      ];
    });
  }

  /**
   * Whether `ifname`'s unicasts through its UDP socket leave in UDP GSO runs now: false when turned off,
   * where the kernel lacks UDP_SEGMENT, after the kernel refused a run on this socket (until it is
   * reopened), and while the interface's sockets are closed.
   */
  udpSegmentationActive(ifname: string): boolean {
    const p = this.ports.find((x) => x.name === ifname);
    return p?.udp !== undefined && p.udpSegment;
  }

  /** GSO runs the kernel refused, each turning GSO off on its socket, since the transport opened. */
  get udpSegmentRefusals(): number {
    return this.segmentRefusals.total;
  }

  /**
   * Forces every adaptive packet socket onto the ring (true) or recvmmsg (false), now and for sockets
   * reopened later, or hands them back to their frame-rate policy (null). No effect on other sockets.
   */
  setReceiveRing(on: boolean | null): void {
    this.forcedRing = on;
    for (const p of this.ports) p.packet?.setRing?.(on);
  }

  private async openPort(p: Port): Promise<void> {
    const native = requireNative();
    const netns = this.netns === undefined ? {} : { netns: this.netns };
    try {
      const sock: NativePacketSocket = new native.PacketSocket(
        {
          ifname: p.name,
          protocol: ETH_P_IP,
          filter: this.receiveMode === 'packet' ? udpDstPortFilter(this.port) : dropAllFilter(),
          rcvbuf: this.receiveMode === 'packet' ? this.rcvbuf : 4096,
          ring: this.receiveMode === 'packet' && this.ring,
          ...this.ringThresholds,
          ...netns,
        },
        (err, frames, meta) => this.onFrames(p, sock, err, frames, meta),
      );
      p.packet = sock;
      if (this.forcedRing !== null) sock.setRing?.(this.forcedRing);
      p.kernelDrops = 0;
      const fd = native.openUdp({
        port: this.port,
        ifname: p.name,
        dropAll: this.receiveMode === 'packet',
        ...netns,
      });
      const udp = dgram.createSocket({ type: 'udp4' });
      p.udp = udp;
      p.udpFd = fd;
      const wanted =
        this.udpSegmentation === 'auto' ? udpSegmentationAuto(p.name, this.netns) : this.udpSegmentation;
      p.udpSegment = wanted && native.udpSegmentSupported?.(fd) === true;
      udp.on('error', (e: NodeJS.ErrnoException) => this.socketFailed(p, e));
      if (this.receiveMode === 'udp') {
        udp.on('message', (data, rinfo) => {
          if (!p.info) return;
          this.emitMessage(data, udpMeta(rinfo, this.port, { name: p.name, index: p.info.index }));
        });
      }
      await new Promise<void>((resolve) => udp.bind({ fd }, resolve));
    } catch (e) {
      this.closePort(p);
      throw toTransportError(e, 'ERR_TRANSPORT_BIND_FAILED', p.name);
    }
  }

  /** Adds what the kernel dropped on `p`'s packet socket since the last look to `drops`. */
  private countKernelDrops(p: Port): void {
    const total = p.packet?.drops?.() ?? p.kernelDrops;
    if (total > p.kernelDrops) {
      this.drops.set('queue full', (this.drops.get('queue full') ?? 0) + total - p.kernelDrops);
      p.kernelDropsTotal += total - p.kernelDrops;
    }
    p.kernelDrops = total;
  }

  private closePort(p: Port): void {
    this.countKernelDrops(p);
    p.closedSwitches += p.packet?.ringSwitches ?? 0;
    // What was sent before the close goes out, as it would have without the queue.
    this.sends.flushPort(p);
    p.udpFd = -1;
    p.udpSegment = false;
    p.packet?.close();
    p.packet = undefined;
    if (p.udp) {
      const u = p.udp;
      p.udp = undefined;
      try {
        u.close();
      } catch {
        // not yet bound: nothing to close
      }
    }
  }

  private onFrames(
    p: Port,
    sock: NativePacketSocket,
    err: NativeError | null,
    frames: Buffer | undefined,
    meta: Uint32Array | undefined,
  ): void {
    if (err) {
      // ENETDOWN when the link drops or the interface vanished: the link poll reports which. Anything
      // else: drop this interface's sockets and let the poll reopen them (a socket error reopens the port).
      const linkError =
        isNativeError(err) && (err.code === 'ENETDOWN' || err.code === 'ENXIO' || err.code === 'ENODEV');
      if (!linkError) {
        this.emitError(toTransportError(err, 'ERR_TRANSPORT_RECEIVE_FAILED', p.name));
        this.closePort(p);
      }
      this.links?.request();
      return;
    }
    if (!frames || !meta) return;
    for (let i = 0; i < meta.length; i += FRAME_META_WORDS) {
      // A listener may have closed the transport or this port: the rest of the batch is not delivered.
      if (this.closed || p.packet !== sock || !p.info) return;
      const pkttype = meta[i + 2]!;
      if (pkttype === PACKET_OUTGOING || pkttype === PACKET_OTHERHOST) continue;
      const off = meta[i]!;
      const d = udpDatagramAt(frames, off, off + meta[i + 1]!, (meta[i + 3]! & TP_STATUS_CSUMNOTREADY) !== 0);
      if (!d.ok) {
        this.drops.set(d.reason, (this.drops.get(d.reason) ?? 0) + 1);
        continue;
      }
      if (d.dstPort !== this.port) continue;
      // d.payload is a view into this batch's buffer, which the addon never reuses. The destination MAC is
      // not read: whether it was the broadcast address is all a server needs of it.
      this.emitFrame(
        d.payload,
        interfaceRef(p, p.info),
        d,
        formatMac(frames, off + 6),
        isBroadcastMac(frames, off),
        meta[i + 4]! / 1000,
      );
    }
  }

  private socketFailed(p: Port, e: NodeJS.ErrnoException): void {
    this.emitError(toTransportError(e, 'ERR_TRANSPORT_RECEIVE_FAILED', p.name));
    // A socket error reopens the port: drop both sockets; the next poll reopens them.
    this.closePort(p);
  }

  private live(p: Port): InterfaceInfo | undefined {
    try {
      const now = listInterfaces(this.netns === undefined ? {} : { netns: this.netns }).find(
        (i) => i.name === p.name,
      );
      return now && now.index === p.info?.index ? now : undefined;
    } catch {
      return undefined;
    }
  }

  /** Compares link state with the last look; emits changes; reopens sockets of interfaces that came back. */
  private async lookAtLinks(): Promise<void> {
    if (this.closed) return;
    let all: InterfaceInfo[];
    try {
      all = listInterfaces(this.netns === undefined ? {} : { netns: this.netns });
    } catch (e) {
      this.emitError(toTransportError(e, 'ERR_TRANSPORT_NO_INTERFACE'));
      return;
    }
    for (const p of this.ports) {
      if (this.closed) return;
      this.countKernelDrops(p);
      const prev = p.info;
      const now = all.find((i) => i.name === p.name);
      if (!now) {
        if (prev) {
          p.info = undefined;
          this.closePort(p);
          this.emitLink({ interface: p.name, index: prev.index, present: false, up: false, carrier: false });
          this.emitError(
            new TransportError('ERR_TRANSPORT_INTERFACE_GONE', `${p.name} vanished`, { interface: p.name }),
          );
        }
        continue;
      }
      p.info = now;
      const wasUsable = prev !== undefined && prev.up && prev.carrier && prev.index === now.index;
      const usable = now.up && now.carrier;
      const changed = !prev || prev.up !== now.up || prev.carrier !== now.carrier || prev.index !== now.index;
      if (usable && (!wasUsable || !p.udp || !p.packet)) {
        this.closePort(p);
        try {
          await this.openPort(p);
        } catch (e) {
          this.emitError(toTransportError(e, 'ERR_TRANSPORT_BIND_FAILED', p.name));
          continue;
        }
        if (this.closed) {
          this.closePort(p);
          return;
        }
      }
      if (changed) {
        this.emitLink(linkState(now));
        if (!usable) {
          this.emitError(
            new TransportError(
              'ERR_TRANSPORT_INTERFACE_DOWN',
              `${p.name} is ${now.up ? 'without carrier' : 'down'}`,
              {
                interface: p.name,
              },
            ),
          );
        }
      }
    }
  }

  send(d: OutboundDatagram): Promise<void> {
    try {
      return this.sendNow(d, undefined, undefined)!;
    } catch (e) {
      return Promise.reject(toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED'));
    }
  }

  post<C>(d: OutboundDatagram, context: C, failed: SendFailed<C>): void {
    try {
      this.sendNow(d, context, failed);
    } catch (e) {
      failed(toTransportError(e, 'ERR_TRANSPORT_SEND_FAILED'), context);
    }
  }

  /** Queues `d`: with `failed`, posted (no promise, undefined returned), else with a promise. */
  private sendNow<C>(
    d: OutboundDatagram,
    context: C,
    failed: SendFailed<C> | undefined,
  ): Promise<void> | undefined {
    if (this.closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    const dstIp = requireIp(d.ip);
    const dstPort = requirePort(d.port);
    const dstMac = d.mac === undefined ? undefined : requireMac(d.mac);
    const srcIpGiven = d.sourceIp === undefined ? undefined : requireIp(d.sourceIp);
    if (!(d.data instanceof Uint8Array))
      throw new TransportError('ERR_TRANSPORT_SEND_FAILED', 'data is not a Uint8Array');
    if (d.data.length > MAX_UDP_PAYLOAD) {
      throw new TransportError(
        'ERR_TRANSPORT_TOO_BIG',
        `${d.data.length} bytes exceed one frame (${MAX_UDP_PAYLOAD})`,
      );
    }
    const p = this.pickPort(d, dstIp);
    // The poll may lag behind `ip link set up`: look again before refusing. Without carrier the send is
    // still attempted (the kernel reports carrier late, through linkwatch); the frame may be lost.
    const info = p.info?.up ? p.info : (this.live(p) ?? p.info);
    if (!info)
      throw new TransportError('ERR_TRANSPORT_INTERFACE_GONE', `${p.name} is gone`, { interface: p.name });
    if (!info.up) {
      throw new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${p.name} is down`, { interface: p.name });
    }
    const broadcast = d.ip === BROADCAST_IP || isSubnetBroadcast(info, dstIp);
    const ownSource = srcIpGiven === undefined || info.addresses[0]?.ip === d.sourceIp;
    if (!dstMac && !broadcast && !ownSource) {
      // Without the MAC the kernel must ARP, and dgram cannot pick the source address (no IP_PKTINFO).
      throw new TransportError(
        'ERR_TRANSPORT_UNSUPPORTED',
        `a unicast from ${d.sourceIp} to ${d.ip} needs the destination MAC`,
      );
    }
    if (dstMac || broadcast) {
      if (!p.packet)
        throw new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${p.name} is reopening`, {
          interface: p.name,
        });
      const primary = info.addresses[0]?.ip;
      this.ipId = (this.ipId + 1) & 0xffff;
      const frame = buildUdpFrame({
        srcMac: requireMac(info.mac),
        dstMac: dstMac ?? BROADCAST_MAC_BYTES,
        srcIp: srcIpGiven ?? (primary === undefined ? 0 : requireIp(primary)),
        dstIp,
        srcPort: this.port,
        dstPort,
        payload: d.data,
        id: this.ipId,
      });
      if (failed === undefined) return this.sends.enqueue(p.packetQueue, frame, 0, 0);
      this.sends.post(p.packetQueue, frame, 0, 0, context, failed);
      return undefined;
    }
    if (!p.udp || p.udpFd < 0) {
      throw new TransportError('ERR_TRANSPORT_INTERFACE_DOWN', `${p.name} is reopening`, {
        interface: p.name,
      });
    }
    const word = portWord(dstPort, d.data.length, d.padUpTo);
    if (failed === undefined) return this.sends.enqueue(p.udpQueue, d.data, dstIp, word);
    this.sends.post(p.udpQueue, d.data, dstIp, word, context, failed);
    return undefined;
  }

  private pickPort(d: OutboundDatagram, dstIp: number): Port {
    if (d.interface !== undefined) {
      const p = this.ports.find((x) => x.name === d.interface);
      if (!p)
        throw new TransportError('ERR_TRANSPORT_NO_INTERFACE', `not serving '${d.interface}'`, {
          interface: d.interface,
        });
      return p;
    }
    if (this.ports.length === 1) return this.ports[0]!;
    if (d.mac === undefined && d.ip !== BROADCAST_IP) {
      const p = this.ports.find((x) => x.info?.addresses.some((a) => onLink(a.ip, a.prefix, dstIp)));
      if (p) return p;
    }
    throw new TransportError('ERR_TRANSPORT_NO_ROUTE', `no interface reaches ${d.ip}: name one`);
  }

  /** RFC 5227 probe on one of this transport's interfaces. */
  arpProbe(ifname: string, ip: string, timeoutMs: number): Promise<ArpProbeResult> {
    return arpProbe(ifname, ip, timeoutMs, this.netns === undefined ? {} : { netns: this.netns });
  }

  /** RFC 5227 §2.3 announcement: tells the link `ip` is now ours. */
  arpAnnounce(ifname: string, ip: string): Promise<void> {
    return arpAnnounce(ifname, ip, this.netns === undefined ? {} : { netns: this.netns });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // The drops counted since the last line are reported before `error` events stop.
    this.overflows.flush();
    this.segmentRefusals.flush();
    this.closed = true;
    this.links?.close();
    const closing = this.ports.map(
      (p) =>
        new Promise<void>((resolve) => {
          this.sends.flushPort(p);
          p.udpFd = -1;
          p.packet?.close();
          p.packet = undefined;
          const u = p.udp;
          p.udp = undefined;
          if (!u) return resolve();
          try {
            u.close(() => resolve());
          } catch {
            resolve();
          }
        }),
    );
    await Promise.all(closing);
    this.emitClose();
  }
}

function linkState(i: InterfaceInfo): LinkState {
  return { interface: i.name, index: i.index, present: true, up: i.up, carrier: i.carrier };
}

function onLink(ip: string, prefix: number, dst: number): boolean {
  return ((requireIp(ip) ^ dst) & prefixToMask(prefix)) === 0;
}

/** The port's interface as handed up with its frames, made again only when the interface's index changes. */
function interfaceRef(p: Port, info: InterfaceInfo): InterfaceRef {
  const ref = p.ref;
  if (ref !== undefined && ref.index === info.index) return ref;
  return (p.ref = { name: p.name, index: info.index });
}

function isSubnetBroadcast(info: InterfaceInfo, dst: number): boolean {
  // A loop, not `some` with a closure: this runs for every datagram sent.
  const addresses = info.addresses;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    if (a.prefix < 31 && onLink(a.ip, a.prefix, dst) && (dst | prefixToMask(a.prefix)) >>> 0 === 0xffffffff)
      return true;
  }
  return false;
}

export { arpProbe, arpAnnounce } from './arp.ts';
export type { ArpOptions } from './arp.ts';
export { toTransportError } from './errno.ts';
