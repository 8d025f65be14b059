/**
 * An in-memory Ethernet: links (one broadcast domain each), hosts with NICs (a MAC, optional IPv4
 * addresses), and real Ethernet/IPv4/UDP frames on the wire, so a capture opens in Wireshark. Links can
 * lose, duplicate, reorder, delay and corrupt frames, deterministically from a seed, on a pluggable
 * scheduler (real timers or a VirtualClock).
 *
 * Simplifications, on purpose: unicast by IP resolves the MAC from the link's own table without ARP
 * frames on the wire; hosts do not forward between links; a NIC accepts every UDP frame sent to its MAC
 * or to broadcast, whatever the destination IP (as a packet socket does).
 */
import { intToIp, prefixToMask } from '../../protocol/ip.ts';
import { formatMac, parseCidr, requireMac } from '../addr.ts';
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, parseArpFrame, type ArpPacket } from '../arp.ts';
import { TransportError } from '../errors.ts';
import { ETHERTYPE_ARP, parseUdpFrame, type ParsedUdpFrame } from '../frame.ts';
import type { PcapSink } from '../pcap.ts';
import type { LinkState } from '../types.ts';
import { seededRandom } from './random.ts';
import { realScheduler, type Scheduler } from './scheduler.ts';
import { VirtualTransport, type VirtualTransportOptions } from './transport.ts';

export interface Impairments {
  /** Probability (0..1) that a frame is lost. */
  loss?: number;
  /** Probability that a frame is delivered twice. */
  duplicate?: number;
  /** Probability that a frame is held back by `reorderDelayMs`, letting later frames overtake it. */
  reorder?: number;
  reorderDelayMs?: number;
  /** Fixed delay, or [min, max] drawn uniformly per frame. Default 0. */
  delayMs?: number | readonly [number, number];
  /** Probability that one byte of the frame is flipped (the receiver's checksum check should drop it). */
  corrupt?: number;
}

export interface NetworkOptions {
  /** Seed for every random choice of the impairments. Default 1. */
  seed?: number;
  /** Default: real timers. Pass a VirtualClock to run in virtual time. */
  scheduler?: Scheduler;
  /** Every frame put on any link is written here (lost ones are not: it shows what receivers saw). */
  capture?: PcapSink;
}

export interface NetworkStats {
  framesSent: number;
  framesDelivered: number;
  framesLost: number;
  framesDuplicated: number;
  framesCorrupted: number;
  /** Unicast-by-IP sends whose IP no NIC on the link holds (a failed ARP on a real LAN). */
  unresolved: number;
}

export class VirtualNetwork {
  readonly scheduler: Scheduler;
  readonly stats: NetworkStats = {
    framesSent: 0,
    framesDelivered: 0,
    framesLost: 0,
    framesDuplicated: 0,
    framesCorrupted: 0,
    unresolved: 0,
  };
  private readonly random: () => number;
  private readonly links = new Map<string, VirtualLink>();
  private readonly hosts = new Map<string, VirtualHost>();
  private capture: PcapSink | undefined;
  private macSeq = 0;

  constructor(opts: NetworkOptions = {}) {
    this.scheduler = opts.scheduler ?? realScheduler;
    this.random = seededRandom(opts.seed ?? 1);
    this.capture = opts.capture;
  }

  createLink(name: string, impairments: Impairments = {}): VirtualLink {
    if (this.links.has(name)) throw new Error(`link '${name}' exists`);
    const l = new VirtualLink(this, name, impairments);
    this.links.set(name, l);
    return l;
  }

  createHost(name: string): VirtualHost {
    if (this.hosts.has(name)) throw new Error(`host '${name}' exists`);
    const h = new VirtualHost(this, name);
    this.hosts.set(name, h);
    return h;
  }

  link(name: string): VirtualLink | undefined {
    return this.links.get(name);
  }

  host(name: string): VirtualHost | undefined {
    return this.hosts.get(name);
  }

  setCapture(sink: PcapSink | undefined): void {
    this.capture = sink;
  }

  /** @internal */
  rand(): number {
    return this.random();
  }

  /** @internal locally administered, unicast: 02:00:00:xx:xx:xx */
  nextMac(): string {
    this.macSeq++;
    const n = this.macSeq;
    return formatMac(new Uint8Array([0x02, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255]));
  }

  /** @internal */
  captureFrame(frame: Uint8Array): void {
    this.capture?.write(frame, this.scheduler.now());
  }
}

export class VirtualLink {
  readonly nics = new Set<VirtualNic>();

  readonly network: VirtualNetwork;
  readonly name: string;
  private impairments: Impairments;
  constructor(network: VirtualNetwork, name: string, impairments: Impairments) {
    this.network = network;
    this.name = name;
    this.impairments = impairments;
  }

  impair(i: Impairments): void {
    this.impairments = { ...i };
  }

  /** The NIC holding `ip` on this link, for unicast by IP. */
  resolve(ip: string): VirtualNic | undefined {
    for (const n of this.nics) if (n.hasIp(ip)) return n;
    return undefined;
  }

  /** @internal Puts a frame on the wire from `from`; applies the impairments once per frame. */
  transmit(frame: Buffer, from: VirtualNic): void {
    const net = this.network;
    const imp = this.impairments;
    net.stats.framesSent++;
    if (imp.loss && net.rand() < imp.loss) {
      net.stats.framesLost++;
      return;
    }
    let copies = 1;
    if (imp.duplicate && net.rand() < imp.duplicate) {
      copies = 2;
      net.stats.framesDuplicated++;
    }
    for (let c = 0; c < copies; c++) {
      let wire = frame;
      if (imp.corrupt && net.rand() < imp.corrupt) {
        wire = Buffer.from(frame);
        // Past the Ethernet header, so the frame still reaches its NIC and the IP/UDP checksums must catch it.
        const at = 14 + Math.floor(net.rand() * (wire.length - 14));
        wire[at] = wire[at]! ^ (1 << Math.floor(net.rand() * 8));
        net.stats.framesCorrupted++;
      }
      let delay = this.delay();
      if (imp.reorder && net.rand() < imp.reorder) delay += imp.reorderDelayMs ?? 5;
      const copy = wire;
      net.scheduler.setTimeout(() => this.deliver(copy, from), delay);
    }
  }

  private delay(): number {
    const d = this.impairments.delayMs;
    if (d === undefined) return 0;
    if (typeof d === 'number') return d;
    return d[0] + this.network.rand() * (d[1] - d[0]);
  }

  private deliver(frame: Buffer, from: VirtualNic): void {
    this.network.captureFrame(frame);
    const dst = formatMac(frame, 0);
    const broadcast = dst === 'ff:ff:ff:ff:ff:ff';
    for (const nic of this.nics) {
      if (nic === from || !nic.carrierUp) continue;
      if (broadcast || nic.mac === dst) {
        this.network.stats.framesDelivered++;
        nic.receive(frame);
      }
    }
  }
}

export interface NicOptions {
  ifname: string;
  /** Default: a generated locally administered MAC. */
  mac?: string;
  /** CIDRs, e.g. `198.18.0.1/24`. */
  addresses?: readonly string[];
}

interface Address {
  ip: number;
  prefix: number;
}

export class VirtualNic {
  readonly mac: string;
  readonly macBytes: Uint8Array;
  private addrs: Address[] = [];
  private adminUp = true;
  private carrier = true;
  private readonly arpListeners = new Set<(p: ArpPacket) => void>();

  readonly host: VirtualHost;
  readonly link: VirtualLink;
  readonly name: string;
  readonly index: number;
  constructor(host: VirtualHost, link: VirtualLink, name: string, index: number, mac: string) {
    this.host = host;
    this.link = link;
    this.name = name;
    this.index = index;
    this.macBytes = requireMac(mac);
    this.mac = formatMac(this.macBytes);
  }

  get up(): boolean {
    return this.adminUp;
  }
  get carrierUp(): boolean {
    return this.adminUp && this.carrier;
  }

  addresses(): string[] {
    return this.addrs.map((a) => `${intToIp(a.ip)}/${a.prefix}`);
  }

  /** First address, used as the default source IP. */
  primaryIp(): number | undefined {
    return this.addrs[0]?.ip;
  }

  addAddress(cidr: string): void {
    const c = parseCidr(cidr);
    if (!c) throw new TransportError('ERR_BAD_ADDRESS', `bad CIDR '${cidr}'`);
    if (!this.addrs.some((a) => a.ip === c.ip)) this.addrs.push(c);
  }

  removeAddress(ip: string): void {
    const c = parseCidr(ip);
    this.addrs = this.addrs.filter((a) => a.ip !== c?.ip);
  }

  hasIp(ip: string): boolean {
    const c = parseCidr(ip);
    return c !== undefined && this.addrs.some((a) => a.ip === c.ip);
  }

  /** True when `ip` is in one of this NIC's prefixes (on-link). */
  onLink(ip: number): boolean {
    return this.addrs.some((a) => ((a.ip ^ ip) & prefixToMask(a.prefix)) === 0);
  }

  /** True when `ip` is the directed broadcast of one of this NIC's prefixes. */
  isSubnetBroadcast(ip: number): boolean {
    return this.addrs.some(
      (a) => a.prefix < 31 && (ip | prefixToMask(a.prefix)) >>> 0 === 0xffffffff && this.onLink(ip),
    );
  }

  /** Administrative state (`ip link set up/down`); reported to the host's transports. */
  setUp(up: boolean): void {
    if (this.adminUp === up) return;
    this.adminUp = up;
    this.host.linkChanged(this);
  }

  /** Carrier (cable plugged); reported to the host's transports. */
  setCarrier(carrier: boolean): void {
    if (this.carrier === carrier) return;
    this.carrier = carrier;
    this.host.linkChanged(this);
  }

  state(present = true): LinkState {
    return { interface: this.name, index: this.index, present, up: this.adminUp, carrier: this.carrierUp };
  }

  /** @internal */
  send(frame: Buffer): void {
    if (!this.carrierUp) {
      throw new TransportError('ERR_INTERFACE_DOWN', `${this.host.name}/${this.name} is down`, {
        interface: this.name,
      });
    }
    this.link.transmit(frame, this);
  }

  /** @internal */
  onArp(listener: (p: ArpPacket) => void): () => void {
    this.arpListeners.add(listener);
    return () => this.arpListeners.delete(listener);
  }

  /** @internal */
  receive(frame: Buffer): void {
    if (frame.length >= 14 && frame.readUInt16BE(12) === ETHERTYPE_ARP) {
      const p = parseArpFrame(frame);
      if (p) this.receiveArp(p);
      return;
    }
    const parsed = parseUdpFrame(frame);
    if (!parsed.ok) {
      this.host.dropped(parsed.reason);
      return;
    }
    this.host.deliver(this, parsed);
  }

  private receiveArp(p: ArpPacket): void {
    for (const l of [...this.arpListeners]) l(p);
    // Answer requests for our addresses, probes (sender 0.0.0.0) included, as Linux does (RFC 5227 §2.1.1).
    if (p.op === ARP_REQUEST && this.hasIp(p.targetIp) && p.senderIp !== p.targetIp) {
      const reply = buildArpFrame({
        op: ARP_REPLY,
        srcMac: this.macBytes,
        dstMac: requireMac(p.senderMac),
        senderIp: this.addrs.find((a) => intToIp(a.ip) === p.targetIp)!.ip,
        targetMac: requireMac(p.senderMac),
        targetIp: parseCidr(p.senderIp)?.ip ?? 0,
      });
      if (this.carrierUp) this.link.transmit(reply, this);
    }
  }
}

export class VirtualHost {
  readonly nics: VirtualNic[] = [];
  private readonly transports = new Map<number, VirtualTransport>();
  /** Frames a NIC refused, by reason (bad checksum, not UDP, ...). */
  readonly drops = new Map<string, number>();
  private nextIndex = 1;

  readonly network: VirtualNetwork;
  readonly name: string;
  constructor(network: VirtualNetwork, name: string) {
    this.network = network;
    this.name = name;
  }

  attach(link: VirtualLink, opts: NicOptions): VirtualNic {
    if (this.nics.some((n) => n.name === opts.ifname))
      throw new Error(`${this.name} already has ${opts.ifname}`);
    const nic = new VirtualNic(this, link, opts.ifname, this.nextIndex++, opts.mac ?? this.network.nextMac());
    for (const a of opts.addresses ?? []) nic.addAddress(a);
    this.nics.push(nic);
    link.nics.add(nic);
    return nic;
  }

  /** Unplugs a NIC: transports see `present: false` and sends through it fail with ERR_NO_INTERFACE. */
  detach(ifname: string): void {
    const i = this.nics.findIndex((n) => n.name === ifname);
    if (i < 0) return;
    const [nic] = this.nics.splice(i, 1);
    nic!.link.nics.delete(nic!);
    for (const t of this.transports.values()) t.linkChanged(nic!.state(false));
  }

  nic(ifname: string): VirtualNic | undefined {
    return this.nics.find((n) => n.name === ifname);
  }

  /** Opens a UDP endpoint on `port`; one per port per host, as without SO_REUSEPORT. */
  openTransport(opts: VirtualTransportOptions): VirtualTransport {
    if (this.transports.has(opts.port)) {
      throw new TransportError('ERR_BIND_FAILED', `${this.name}: port ${opts.port} in use`, {
        syscallCode: 'EADDRINUSE',
      });
    }
    const t = new VirtualTransport(this, opts, () => this.transports.delete(opts.port));
    this.transports.set(opts.port, t);
    return t;
  }

  /** @internal */
  linkChanged(nic: VirtualNic): void {
    for (const t of this.transports.values()) t.linkChanged(nic.state());
  }

  /** @internal */
  deliver(nic: VirtualNic, f: ParsedUdpFrame): void {
    const t = this.transports.get(f.dstPort);
    if (t) t.receive(nic, f);
    else this.dropped('no-listener');
  }

  /** @internal */
  dropped(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
}
