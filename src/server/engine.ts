import { ChurnMap } from './churn-map.ts';
import type { CompiledConfig, CompiledReservation, CompiledSubnet, Lifetimes } from '../config/index.ts';
import { cidrContains, intToIpv4, ipv4ToInt, isIpv4 } from '../config/index.ts';
import { withoutDnsFlags, type Lease } from '../leases/index.ts';
import type { LeaseChange as StoreLeaseChange } from '../leases/index.ts';
import { BOOTREQUEST, MessageType, messageTypeOf, toHex, type DhcpMessage } from '../protocol/index.ts';
import { AddressBook } from './address-book.ts';
import type { LeaseIndex } from './lease-index.ts';
import { describeDestination, replyDestination } from './destination.ts';
import { EngineUsageError } from './errors.ts';
import { flexIdOf, identify, owns, type ClientIdentity } from './identity.ts';
import { leaseTimes, type LeaseTimes } from './lifetimes.ts';
import { buildReply, maxMessageSize, type ReplyPlan } from './reply.ts';
import { isOurServerId, optionLayers, reservedAddressIn, serverIdFor } from './policy.ts';
import { ClientRateLimiter } from './rate-limit.ts';
import { selectSubnet } from './select.ts';
import { linkSubnets, subnetOnLink } from './shared-network.ts';
import { GLOBAL, RECEIVED_BY_TYPE, SUBNET, Statistics } from './stats.ts';
import { exchangeEvent } from './summary.ts';
import {
  NO_OUTPUT,
  type ArrivalMeta,
  type EngineEvent,
  type EngineOutput,
  type ExchangeEvent,
  type InterfaceAddress,
  type LeaseEvent,
  type LeaseWrite,
  type OutgoingReply,
} from './types.ts';
import { definitionNamed } from '../protocol/index.ts';
import { escapeLogText } from './log-text.ts';
import { decideFqdn, invalidFlags, type ClientNames, type FqdnDecision } from '../ddns/index.ts';
import { DROP } from '../classify/index.ts';
import { admits, classifyEarly, classifyHost, combination, PacketClasses } from '../classify/index.ts';
import { classScope, type ClassScope } from './class-scope.ts';
import { applyFlexOptions } from './flex-option.ts';
import { BOOTP_REQUEST, BOOTP_TIMES, stripDhcpOptions } from './bootp.ts';

/** Options read from every request, looked up in the table once. */
const HOST_NAME_OPT = definitionNamed('host-name');
const FQDN_OPT = definitionNamed('fqdn');
const REQUESTED_OPT = definitionNamed('dhcp-requested-address');
const LEASE_TIME_OPT = definitionNamed('dhcp-lease-time');
const SERVER_ID_OPT = definitionNamed('dhcp-server-identifier');

const ZERO = '0.0.0.0';
/**
 * How long an address stays held while its commit is in flight, or after the store refused it to a
 * holder it did not name: not the offer lifetime, which may be 0 (Kea's default), and never reused.
 */
const COMMIT_HOLD_MS = 30_000;
const NO_NAMES: readonly string[] = [];
const always = (): boolean => true;
const NO_EVENTS: readonly EngineEvent[] = Object.freeze([]);
/** How an exchange ended, for its event: what was answered (if anything), for which subnet and why. */
interface Outcome {
  readonly subnetId: number | null;
  readonly reply?: OutgoingReply | null;
  readonly replyType?: number | null;
  readonly address?: string | null;
  readonly leaseTime?: number | null;
  readonly reason?: string | null;
}

/** The first of the levels' values that is set (undefined when none is). */
function firstDefined<T>(
  a: T | undefined,
  b: T | undefined,
  c: T | undefined,
  d: T | undefined,
): T | undefined {
  return a !== undefined ? a : b !== undefined ? b : c !== undefined ? c : d;
}

const NO_BOOT = Object.freeze({ nextServer: undefined, serverHostname: undefined, bootFileName: undefined });

/**
 * The lease's user context: the relay agent information (Kea's `relay-agent-info`) and the client's
 * classes, where Kea's limits hook keeps them (`ISC.client-classes`); null when there is neither.
 */
function leaseContext(
  agent: Uint8Array | undefined,
  config: CompiledConfig,
  classes: PacketClasses | null,
): Lease['userContext'] {
  const combo = classes === null ? undefined : combination(config, classes);
  if (agent === undefined) return combo?.leaseContext ?? null;
  const names = combo === undefined ? NO_NAMES : combo.leaseClasses;
  const isc: Record<string, unknown> = { 'relay-agent-info': { 'sub-options': toHex(agent).toUpperCase() } };
  if (names.length > 0) isc['client-classes'] = names;
  return { ISC: isc };
}

export interface EngineOptions {
  /**
   * Seconds an offered address stays held for the client it was offered to; overrides the
   * configuration's `offer-lifetime` (default 10).
   */
  readonly offerLifetime?: number;
}

/** One request being handled: everything the summary and the reply need. */
interface Exchange {
  readonly req: DhcpMessage;
  readonly meta: ArrivalMeta;
  readonly type: number;
  readonly id: ClientIdentity;
  readonly hostname: string | null;
  readonly requested: string | null;
  readonly now: number;
  /** Null when the configuration looks at no classes. */
  readonly classes: PacketClasses | null;
}

interface PendingGrant {
  readonly kind: 'grant';
  readonly ex: Exchange;
  readonly subnet: CompiledSubnet;
  readonly lease: Lease;
  readonly reservation: CompiledReservation | undefined;
  readonly serverId: string;
  readonly times: LeaseTimes;
  readonly isNew: boolean;
  /** The client's other lease in the subnet, released when it moves to a new address. */
  readonly retired: Lease | undefined;
  /** Answering a rapid-commit DISCOVER (RFC 4039): a refusal means "try another address". */
  readonly rapid: boolean;
  readonly names: FqdnDecision;
  /** `lease.address` as a number. */
  readonly addr: number;
  /** The store's change callback already put `lease` into the index: `commitSucceeded` need not again. */
  echoed: boolean;
}

type Pending =
  PendingGrant | { readonly kind: 'decline' | 'release'; readonly ex: Exchange; readonly lease: Lease };

/**
 * Whether the store's lease is the one a grant wrote (echoed back by its change callback, as a copy): the same
 * client, times and name. A later write to the address differs in `cltt` or identity.
 */
function sameWrite(sent: Lease, stored: Lease): boolean {
  return (
    stored.cltt === sent.cltt &&
    stored.expiresAt === sent.expiresAt &&
    stored.state === sent.state &&
    stored.hwAddress === sent.hwAddress &&
    stored.clientId === sent.clientId &&
    stored.hostname === sent.hostname &&
    stored.fqdnFwd === sent.fqdnFwd &&
    stored.fqdnRev === sent.fqdnRev
  );
}

/** The client's name for the lease record: option 12, else the name in its FQDN option (RFC 4702). */
function hostnameOf(req: DhcpMessage): string | null {
  const name = req.options.getBy(HOST_NAME_OPT) ?? req.options.getBy(FQDN_OPT)?.name.replace(/\.$/, '');
  return name ? name : null;
}

function fqdnNames(req: DhcpMessage): ClientNames {
  return { fqdn: req.options.getBy(FQDN_OPT), hostName: req.options.getBy(HOST_NAME_OPT) };
}

/** For the exchange log: which records the lease's name gets (the DDNS log line says how it went). */
function dnsNote(d: FqdnDecision): string | null {
  if (d.name === null || (!d.forward && !d.reverse)) return null;
  const records = [d.forward ? 'A' : null, d.reverse ? 'PTR' : null].filter((r) => r !== null).join('+');
  return `DNS ${records} for ${escapeLogText(d.name)} queued`;
}

/** Why a DHCPACK is as it is, when there is more to say than the address: rapid commit, a DNS update. */
function ackReason(rapid: boolean, dns: string | null): string | null {
  if (!rapid) return dns;
  return dns === null ? 'rapid commit' : `rapid commit, ${dns}`;
}

/** The reply's name options: option 81 answering the client's, else option 12 with the chosen name. */
function nameReply(
  d: FqdnDecision,
  reserved: string | undefined,
): { hostname: string | undefined; fqdn: ReplyPlan['fqdn'] } {
  if (d.reply !== undefined && 'fqdn' in d.reply) return { hostname: undefined, fqdn: d.reply.fqdn };
  return { hostname: d.reply?.hostName ?? reserved, fqdn: undefined };
}

/** A lease given back (RELEASE, or the client moved): ends now, kept as expired-reclaimed for affinity. */
function released(lease: Lease, now: number): Lease {
  return Object.freeze({
    ...withoutDnsFlags(lease),
    hostname: null,
    cltt: now,
    validLifetime: 0,
    expiresAt: now,
    state: 'expired-reclaimed' as const,
  });
}

/**
 * The DHCPv4 server engine, sans-IO (RFC 2131 §4.3). Feed it decoded requests with `handle`, commit the
 * lease writes it asks for and report back with `commitSucceeded`/`commitFailed`, send the replies it
 * returns, call `reclaim` at `nextDeadline()`, and feed it the store's change callbacks. It never reads a
 * clock or touches a socket. See docs/server.md for the wiring contract.
 */
export class DhcpServerEngine {
  private config: CompiledConfig;
  private readonly stats = new Statistics();
  private readonly book: AddressBook;
  private readonly pending = new ChurnMap<number, Pending>();
  /** Grants in flight by `addr | 0`, until the store's change callback echoes their lease back. */
  private readonly awaitingEcho = new ChurnMap<number, PendingGrant>();
  private nextToken = 1;
  private isEnabled = true;
  private readonly offerLifetimeOverride: number | undefined;
  private readonly rateLimiter = new ClientRateLimiter();
  private leaseListener: ((event: LeaseEvent) => void) | undefined;
  private describing: () => boolean = always;
  private recording: () => boolean = always;

  constructor(config: CompiledConfig, options: EngineOptions = {}) {
    this.config = config;
    this.offerLifetimeOverride = options.offerLifetime;
    this.book = new AddressBook(config, this.stats);
  }

  // ---- configuration and state ----

  /**
   * Starts new allocations at `fraction` (0..1) of each pool, so that servers sharing one pool through one
   * database (active-active HA) rarely pick the same free address at the same moment.
   */
  seekAllocation(fraction: number): void {
    this.book.seekAllocation(fraction);
  }

  get currentConfig(): CompiledConfig {
    return this.config;
  }

  /** `config-set`: swaps the configuration, keeps every lease, rebuilds the allocator index. */
  setConfig(config: CompiledConfig): void {
    this.config = config;
    this.book.rebuild(config);
  }

  /**
   * Called synchronously from `commitSucceeded` with each lease event (Kea's hook points), before the
   * replies that waited for the commit are returned: the listener must only queue work.
   */
  onLeaseEvent(listener: ((event: LeaseEvent) => void) | undefined): void {
    this.leaseListener = listener;
  }

  /**
   * Whether anyone reads the exchange events' `text` and `destination` (a listener, a log level that writes
   * them): asked as each event is built; when it says no, both stay empty ('' and null) and every other
   * field is as always. Default: always described.
   */
  describeExchangesWhen(predicate: () => boolean): void {
    this.describing = predicate;
  }

  /**
   * Whether anyone reads the exchange events at all (a listener, a log level that writes them): asked as
   * each exchange ends; when it says no, the output carries no event, except a junk drop's (the runtime
   * counts those whatever the level). Default: always recorded.
   */
  recordExchangesWhen(predicate: () => boolean): void {
    this.recording = predicate;
  }

  /** `dhcp-disable` / `dhcp-enable`: while disabled, client traffic is dropped and counted. */
  setEnabled(enabled: boolean): void {
    this.isEnabled = enabled;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  /** The local interfaces' addresses: never handed out, and used as server identifiers. */
  setInterfaceAddresses(addresses: readonly InterfaceAddress[]): void {
    for (const a of addresses) this.book.learnAddress(a.address);
  }

  /** Seeds the index from the store at start-up. */
  loadLeases(leases: Iterable<Lease>): void {
    for (const l of leases) {
      const addr = ipv4ToInt(l.address); // -1: not an IPv4 address (isIpv4 parses the same way)
      if (addr >= 0) this.book.loadLease(addr, l);
    }
  }

  /** Feeds one store change callback (ours echoed back, or another server's) into the index. */
  applyLeaseChange(change: Pick<StoreLeaseChange, 'kind' | 'lease'>): void {
    const address: unknown = change.lease.address;
    // Parsed once (isIpv4 then ipv4ToInt parsed twice); -1: not an IPv4 address.
    const addr = typeof address === 'string' ? ipv4ToInt(address) : -1;
    if (addr < 0) return;
    if (change.kind === 'removed') {
      this.book.setLease(addr, undefined);
      return;
    }
    this.book.setLease(addr, change.lease);
    const grant = this.awaitingEcho.get(addr | 0);
    if (grant !== undefined && sameWrite(grant.lease, change.lease)) {
      grant.echoed = true;
      this.awaitingEcho.delete(addr | 0);
    }
  }

  /** The engine's view of one address (for tests and `lease4-get`-style lookups). */
  lease(address: string): Lease | undefined {
    return isIpv4(address) ? this.book.index.get(ipv4ToInt(address)) : undefined;
  }

  leases(): Lease[] {
    return [...this.book.index.values()];
  }

  /** Kea-named counters: `pkt4-received`, ..., `subnet[1].assigned-addresses`. */
  statistics(): Record<string, number> {
    for (const s of this.config.subnets)
      this.stats.setSubnet(s.id, SUBNET['total-addresses'], this.book.totalAddresses(s.id));
    return this.stats.snapshot(this.config.subnets.map((s) => s.id));
  }

  /** The runtime could not decode a datagram (Kea counts it as received and parse-failed). */
  recordParseFailure(): void {
    this.stats.inc(GLOBAL['pkt4-received']);
    this.stats.inc(GLOBAL['pkt4-parse-failed']);
    this.stats.inc(GLOBAL['pkt4-receive-drop']);
  }

  /** The runtime dropped a request unanswered because it waited too long in the receive queue (overload). */
  recordQueueDrop(): void {
    this.stats.inc(GLOBAL['pkt4-received']);
    this.stats.inc(GLOBAL['pkt4-receive-drop']);
  }

  /**
   * The runtime could not put `reply` on the wire (`encodeReply` threw: too large even without optional
   * options, e.g. an echoed 765-byte client identifier). Un-counts the send, counts `pkt4-encode-failed`,
   * releases the offer the reply announced, and returns the exchange's event rewritten to what happened
   * (`-> no reply: ...`; undefined without an event). A DHCPACK's lease is already durable and stays until
   * it expires: the client, retrying with the same identifier, is given the same one.
   */
  replyNotSent(
    reply: OutgoingReply,
    event: ExchangeEvent | undefined,
    why: string,
  ): ExchangeEvent | undefined {
    const type = messageTypeOf(reply.message);
    this.stats.dec(GLOBAL['pkt4-sent']);
    if (type === MessageType.OFFER) this.stats.dec(GLOBAL['pkt4-offer-sent']);
    else if (type === MessageType.ACK) this.stats.dec(GLOBAL['pkt4-ack-sent']);
    else if (type === MessageType.NAK) this.stats.dec(GLOBAL['pkt4-nak-sent']);
    this.stats.inc(GLOBAL['pkt4-encode-failed']);
    if (type === MessageType.OFFER) this.book.dropOfferMadeTo(reply.message);
    if (event === undefined) return undefined;
    // The head of the line (request, client, interface) stays; what follows "->" was the reply.
    const cut = event.reply === null ? -1 : event.text.lastIndexOf(` -> ${event.reply}`);
    const head = cut < 0 ? event.text : event.text.slice(0, cut);
    return { ...event, text: `${head} -> no reply: ${why}`, reply: null, reason: why, destination: null };
  }

  /** When `reclaim` next has work (an offer or a lease expiring), or null. */
  nextDeadline(): number | null {
    return this.book.deadlines.peek()?.deadline ?? null;
  }

  /**
   * Ends expired offers and reclaims expired and past-probation declined leases (Kea `leases-reclaim`),
   * at most `limit` leases (Kea's `max-reclaim-leases`; the rest stay due): returns the writes for the
   * store; the index already reflects them.
   */
  reclaim(now: number, options: { readonly remove: boolean; readonly limit?: number }): LeaseWrite[] {
    return this.book.reclaim(now, options.remove, options.limit ?? Infinity);
  }

  // ---- requests ----

  /** Handles one decoded request that arrived at `now` (ms). */
  handle(req: DhcpMessage, meta: ArrivalMeta, now: number): EngineOutput {
    this.stats.inc(GLOBAL['pkt4-received']);
    if (!this.isEnabled || req.op !== BOOTREQUEST) {
      this.stats.inc(GLOBAL['pkt4-receive-drop']);
      return NO_OUTPUT;
    }
    const type = messageTypeOf(req);
    // Kea's bootp hook turns a BOOTREQUEST into a DHCPREQUEST before the server counts it.
    const bootp = type === undefined && this.config.hooks.bootp;
    const counter = bootp
      ? RECEIVED_BY_TYPE[MessageType.REQUEST]
      : type === undefined
        ? undefined
        : RECEIVED_BY_TYPE[type];
    this.stats.inc(counter ?? GLOBAL['pkt4-unknown-received']);
    const addresses = meta.interfaceAddresses;
    for (let i = 0; i < addresses.length; i++) this.book.learnAddress(addresses[i]!.address);
    const ex: Exchange = {
      req,
      meta,
      type: type ?? 0,
      id:
        this.config.flexIdExpression === undefined
          ? identify(req)
          : { ...identify(req), flexId: flexIdOf(this.config.flexIdExpression, req, meta) },
      hostname: hostnameOf(req),
      requested: req.options.getBy(REQUESTED_OPT) ?? null,
      now,
      classes: this.config.classifies ? classifyEarly(this.config, req, meta) : null,
    };
    if (ex.classes?.has(DROP) === true) {
      this.stats.inc(GLOBAL['pkt4-receive-drop']);
      return this.drop(ex, null, 'the client is in class DROP');
    }
    const clientIdOption = ex.req.options.getRaw(61);
    if (clientIdOption !== undefined && clientIdOption.length < 2) {
      // RFC 2132 §9.14: a client identifier is at least 2 octets (a type and a value); Kea drops it too.
      this.stats.inc(GLOBAL['pkt4-receive-drop']);
      return this.junk(ex, null, 'malformed client identifier (option 61 shorter than 2 octets)');
    }
    if (
      ex.id.hwAddress === '' &&
      ex.id.clientId === null &&
      type !== undefined &&
      type !== MessageType.INFORM
    ) {
      // Neither chaddr nor option 61: nothing to bind a lease to (RFC 2131 §4.2 keys bindings on them).
      this.stats.inc(GLOBAL['pkt4-receive-drop']);
      return this.junk(ex, null, 'no client identity (no chaddr, no client identifier)');
    }
    if ((type === MessageType.DISCOVER || type === MessageType.REQUEST) && invalidFlags(fqdnNames(req)))
      return this.drop(ex, null, 'client FQDN option with both N and S set (RFC 4702 §2.1)');
    switch (type) {
      case MessageType.DISCOVER:
        return this.discover(ex);
      case MessageType.REQUEST:
        return this.request(ex);
      case MessageType.DECLINE:
        return this.decline(ex);
      case MessageType.RELEASE:
        return this.release(ex);
      case MessageType.INFORM:
        return this.inform(ex);
      case undefined:
        if (bootp) return this.bootp(ex);
        this.stats.inc(GLOBAL['pkt4-receive-drop']);
        return NO_OUTPUT;
      default:
        // Another server's OFFER/ACK/NAK, or BOOTP: not ours to answer.
        this.stats.inc(GLOBAL['pkt4-receive-drop']);
        return NO_OUTPUT;
    }
  }

  /** The store made the writes of `token` durable: the replies that waited for them. */
  commitSucceeded(token: number, _now: number): EngineOutput {
    const p = this.takePending(token);
    const addr = p.kind === 'grant' ? p.addr : ipv4ToInt(p.lease.address);
    const listener = this.leaseListener;
    const query = listener === undefined ? undefined : { message: p.ex.req, meta: p.ex.meta };
    if (p.kind !== 'grant') {
      this.book.setLease(addr, p.lease);
      if (query !== undefined)
        listener!({
          hook: p.kind === 'decline' ? 'lease4_decline' : 'lease4_release',
          query,
          lease: p.lease,
        });
      const reason = p.kind === 'decline' ? 'address declined, in probation' : 'released';
      return this.finish(p.ex, { subnetId: p.lease.subnetId, address: p.lease.address, reason });
    }
    this.book.dropClientOffer(p.subnet.id, p.ex.id);
    if (p.retired) this.book.setLease(ipv4ToInt(p.retired.address), p.retired);
    // Usually the store's change callback has just written this very lease into the index.
    if (!p.echoed) this.book.setLease(addr, p.lease);
    if (p.isNew) {
      this.stats.inc(GLOBAL['cumulative-assigned-addresses']);
      this.stats.incSubnet(p.subnet.id, SUBNET['cumulative-assigned-addresses']);
    }
    if (query !== undefined) {
      if (!p.isNew)
        listener!({
          hook: 'lease4_renew',
          query,
          lease: p.lease,
          subnet: { id: p.subnet.id, prefix: p.subnet.prefix },
        });
      listener!({
        hook: 'leases4_committed',
        query,
        leases: [p.lease],
        deleted: p.retired ? [p.retired] : [],
      });
    }
    const names = nameReply(p.names, p.reservation?.hostname);
    const reply = this.configuredReply(p.ex, p.subnet, addr, p.reservation, {
      type: MessageType.ACK,
      serverId: p.serverId,
      yiaddr: p.lease.address,
      ciaddr: p.ex.req.ciaddr,
      times: p.times,
      hostname: names.hostname,
      fqdn: names.fqdn,
      rapidCommit: p.rapid,
    });
    return this.finish(p.ex, {
      reply,
      subnetId: p.subnet.id,
      replyType: MessageType.ACK,
      address: p.lease.address,
      leaseTime: p.times.valid,
      reason: ackReason(p.rapid, dnsNote(p.names)),
    });
  }

  /**
   * The store could not be written at all (an error, not a refusal): nothing is sent, so the client
   * retries; the address stays held for it meanwhile. Unlike `commitFailed`, no DHCPNAK is produced.
   */
  commitAborted(token: number, _now: number): EngineOutput {
    const p = this.takePending(token);
    return this.drop(p.ex, p.lease.subnetId, 'the lease store is unavailable; the client will retry');
  }

  /**
   * The store refused the writes of `token` (another server or client holds the address; `holder` is
   * what the store has there). Never ACKs: a granted address is NAKed (RFC 2131 §4.3.2: the server
   * cannot satisfy the request), so the client starts over with a DHCPDISCOVER.
   */
  commitFailed(token: number, now: number, holder?: Lease | null): EngineOutput {
    const p = this.takePending(token);
    const addr = ipv4ToInt(p.lease.address);
    if (holder && holder.address === p.lease.address) this.book.setLease(addr, holder);
    if (p.kind !== 'grant')
      return this.finish(p.ex, {
        subnetId: p.lease.subnetId,
        address: p.lease.address,
        reason: 'the lease store refused the change',
      });
    this.book.dropClientOffer(p.subnet.id, p.ex.id);
    if (!holder) {
      // We do not know who holds it: keep it away from other clients until the store's callback tells us.
      const nobody = { hwAddress: '', clientId: null };
      this.book.holdOffer(p.subnet.id, nobody, addr, now, COMMIT_HOLD_MS, true);
    }
    if (p.rapid) {
      // RFC 4039: nothing was sent yet, so pick another address; the refused one is now known as taken.
      const next = this.chooseAddress(p.ex, p.subnet, p.reservation);
      if (next !== undefined) return this.grant(p.ex, p.subnet, next, p.serverId, true, p.reservation);
      this.stats.inc(GLOBAL['v4-allocation-fail']);
      return this.drop(p.ex, p.subnet.id, `no free address in subnet ${p.subnet.id} (${p.subnet.prefix})`);
    }
    return this.nak(p.ex, p.subnet, p.serverId, `${p.lease.address} is held by another client`);
  }

  // ---- RFC 2131 §4.3.1: DHCPDISCOVER ----

  private discover(ex: Exchange): EngineOutput {
    const sel = selectSubnet(this.config, ex.req, ex.meta, ex.classes);
    if (!sel) return this.junk(ex, null, 'no subnet for this client');
    const limited = this.rateLimited(ex, sel.subnet);
    if (limited) return limited;
    const place = this.placeOnLink(ex, sel.subnet);
    if (place === 'drop') return this.drop(ex, sel.subnet.id, 'the client is in class DROP');
    if (place === 'over-limit') return this.leaseLimitDrop(ex, sel.subnet);
    if (place === undefined) {
      this.stats.inc(GLOBAL['v4-allocation-fail']);
      const where =
        sel.subnet.sharedNetwork === undefined ? '' : ` or its shared network "${sel.subnet.sharedNetwork}"`;
      return this.drop(
        ex,
        sel.subnet.id,
        `no free address in subnet ${sel.subnet.id} (${sel.subnet.prefix})${where}`,
      );
    }
    const { subnet, res, addr } = place;
    const serverId = serverIdFor(this.config, subnet, ex.meta, ex.req);
    if (!serverId) return this.drop(ex, subnet.id, 'no server identifier: the interface has no IPv4 address');
    // RFC 4039 §4: with rapid commit on both sides, commit now and answer with a DHCPACK.
    if (subnet.rapidCommit && ex.req.options.has('rapid-commit'))
      return this.grant(ex, subnet, addr, serverId, true, res);
    this.book.holdOffer(subnet.id, ex.id, addr, ex.now, this.offerLifetimeMs(subnet), false);
    const times = leaseTimes(this.lifetimes(ex, subnet), ex.req.options.getBy(LEASE_TIME_OPT));
    const yiaddr = intToIpv4(addr);
    const names = nameReply(this.names(ex, subnet, yiaddr, res), res?.hostname);
    const reply = this.configuredReply(ex, subnet, addr, res, {
      type: MessageType.OFFER,
      serverId,
      yiaddr,
      ciaddr: ZERO,
      times,
      hostname: names.hostname,
      fqdn: names.fqdn,
    });
    return this.finish(ex, {
      reply,
      subnetId: subnet.id,
      replyType: MessageType.OFFER,
      address: yiaddr,
      leaseTime: times.valid,
    });
  }

  /**
   * Where on the client's link it gets an address: for a shared network, an address the client already
   * has a claim to in any of its subnets (reservation, lease, offer, requested) first, then a new one
   * from each subnet in turn (Kea's order: the selected subnet, then the others as configured).
   */
  private placeOnLink(
    ex: Exchange,
    selected: CompiledSubnet,
  ):
    | { subnet: CompiledSubnet; res: CompiledReservation | undefined; addr: number }
    | 'over-limit'
    | 'drop'
    | undefined {
    // A subnet outside any shared network is its link alone: no list to build for it.
    const link =
      selected.sharedNetwork === undefined
        ? undefined
        : linkSubnets(this.config, selected).filter((s) => s === selected || admits(s, ex.classes));
    if (link === undefined || link.length === 1) {
      const res = this.book.reservations.find(selected, ex.id);
      if (this.hostPhase(ex, res)) return 'drop';
      if (this.overLeaseLimit(ex, selected, res)) return 'over-limit';
      const addr = this.chooseAddress(ex, selected, res);
      return addr === undefined ? undefined : { subnet: selected, res, addr };
    }
    const candidates = link.map((subnet) => ({ subnet, res: this.book.reservations.find(subnet, ex.id) }));
    if (this.hostPhase(ex, candidates.find((c) => c.res !== undefined)?.res)) return 'drop';
    for (const c of candidates) {
      const addr = this.knownAddress(ex, c.subnet, c.res);
      if (addr !== undefined) return { ...c, addr };
    }
    if (this.overLeaseLimit(ex, selected, candidates[0]?.res)) return 'over-limit';
    for (const c of candidates) {
      const addr = this.book.allocate(c.subnet, ex);
      if (addr !== undefined) return { ...c, addr };
    }
    for (const c of candidates) {
      const addr = this.book.takeOldestOffer(c.subnet, ex);
      if (addr !== undefined) return { ...c, addr };
    }
    return undefined;
  }

  /**
   * §4.3.1's order: the client's reserved address, its current binding, its previous (expired or
   * released) binding, the address it was just offered, the address it asks for (option 50), then a new
   * one from the pools.
   */
  private chooseAddress(
    ex: Exchange,
    subnet: CompiledSubnet,
    res: CompiledReservation | undefined,
  ): number | undefined {
    return (
      this.knownAddress(ex, subnet, res) ??
      this.book.allocate(subnet, ex) ??
      this.book.takeOldestOffer(subnet, ex)
    );
  }

  /** The first four of §4.3.1's choices: an address the client already has a claim to in `subnet`. */
  private knownAddress(
    ex: Exchange,
    subnet: CompiledSubnet,
    res: CompiledReservation | undefined,
  ): number | undefined {
    const reserved = reservedAddressIn(subnet, res);
    if (reserved !== undefined && this.book.usableBy(reserved, subnet, ex.id, ex.now, ex.classes))
      return reserved;
    const bound = this.usableText(
      this.book.index.findByClient(subnet.id, ex.id, subnet.matchClientId)?.address,
      subnet,
      ex,
    );
    if (bound >= 0) return bound;
    const offered = this.book.clientOffer(subnet.id, ex.id, ex.now)?.addr;
    if (offered !== undefined && this.book.usableBy(offered, subnet, ex.id, ex.now, ex.classes))
      return offered;
    const requested = this.usableText(ex.requested ?? undefined, subnet, ex);
    return requested >= 0 ? requested : undefined;
  }

  /** How long an offer in `subnet` holds its address: the engine option, else `offer-lifetime`. */
  private offerLifetimeMs(subnet: CompiledSubnet): number {
    return (this.offerLifetimeOverride ?? subnet.offerLifetime) * 1000;
  }

  /**
   * The subnet's `rate-limit`, then each of the request's classes' (Kea's limits hook shape), per client:
   * over one, the request is dropped and counted.
   */
  private rateLimited(ex: Exchange, subnet: CompiledSubnet): EngineOutput | undefined {
    const client = ex.id.clientId ?? ex.id.hwAddress;
    const rate = subnet.limits.rate;
    if (rate !== undefined && !this.rateLimiter.allow(`${subnet.id} ${client}`, rate, ex.now))
      return this.rateLimitDrop(ex, subnet, rate.text);
    if (ex.classes === null || !this.config.classesRateLimited) return undefined;
    for (const c of combination(this.config, ex.classes).derived.defined) {
      if (c.rateLimit === undefined) continue;
      if (!this.rateLimiter.allow(`class ${c.name} ${client}`, c.rateLimit, ex.now))
        return this.rateLimitDrop(ex, subnet, `${c.rateLimit.text} (class ${c.name})`);
    }
    return undefined;
  }

  private rateLimitDrop(ex: Exchange, subnet: CompiledSubnet, limit: string): EngineOutput {
    this.stats.inc(GLOBAL['pkt4-rate-limit-drop']);
    this.stats.inc(GLOBAL['pkt4-receive-drop']);
    return this.junk(ex, subnet.id, `over the rate limit of ${limit}`, 'over the rate limit');
  }

  /**
   * `leases-per-hw-address`: a client with no lease in the subnet yet, whose chaddr already holds that
   * many (under other client identifiers), gets no new one. A reservation is always honoured.
   */
  private overLeaseLimit(
    ex: Exchange,
    subnet: CompiledSubnet,
    res: CompiledReservation | undefined,
  ): boolean {
    const limit = subnet.limits.leasesPerHwAddress;
    if (limit === undefined || ex.id.hwAddress === '' || res?.ipAddress !== undefined) return false;
    if (this.book.leasesOfHwAddress(subnet.id, ex.id.hwAddress) < limit) return false;
    const own = this.book.index.findByClient(subnet.id, ex.id, subnet.matchClientId);
    return own === undefined || own.state !== 'default';
  }

  private leaseLimitDrop(ex: Exchange, subnet: CompiledSubnet): EngineOutput {
    this.stats.inc(GLOBAL['v4-lease-limit-exceeded']);
    return this.drop(ex, subnet.id, this.leaseLimitReason(ex, subnet));
  }

  private leaseLimitReason(ex: Exchange, subnet: CompiledSubnet): string {
    const limit = subnet.limits.leasesPerHwAddress ?? 0;
    return `${ex.id.hwAddress} already holds ${limit} lease${limit === 1 ? '' : 's'} in subnet ${subnet.id} (leases-per-hw-address)`;
  }

  /** The address as a number when it is one this client may have now, else -1 (parsed once). */
  private usableText(address: string | undefined, subnet: CompiledSubnet, ex: Exchange): number {
    const addr = typeof address === 'string' ? ipv4ToInt(address) : -1; // -1: not an IPv4 address
    return addr >= 0 && this.book.usableBy(addr, subnet, ex.id, ex.now, ex.classes) ? addr : -1;
  }

  // ---- RFC 2131 §4.3.2: DHCPREQUEST ----

  /** `libdhcp_bootp.so`: a BOOTREQUEST allocates at once (a BOOTP client has no offer to accept). */
  private bootp(ex: Exchange): EngineOutput {
    if (ex.id.hwAddress === '') {
      this.stats.inc(GLOBAL['pkt4-receive-drop']);
      return this.junk(ex, null, 'no client identity (a BOOTREQUEST without chaddr)');
    }
    const sel = selectSubnet(this.config, ex.req, ex.meta, ex.classes);
    if (!sel) return this.junk(ex, null, 'no subnet for this client');
    const subnet = sel.subnet;
    const serverId = serverIdFor(this.config, subnet, ex.meta, ex.req);
    if (!serverId) return this.drop(ex, subnet.id, 'no server identifier: the interface has no IPv4 address');
    const limited = this.rateLimited(ex, subnet);
    if (limited) return limited;
    const res = this.book.reservations.find(subnet, ex.id);
    if (this.hostPhase(ex, res)) return this.drop(ex, subnet.id, 'the client is in class DROP');
    if (this.overLeaseLimit(ex, subnet, res)) return this.leaseLimitDrop(ex, subnet);
    const addr = this.chooseAddress(ex, subnet, res);
    if (addr === undefined) {
      this.stats.inc(GLOBAL['v4-allocation-fail']);
      return this.drop(ex, subnet.id, `no free address in subnet ${subnet.id} (${subnet.prefix})`);
    }
    return this.grant(ex, subnet, addr, serverId, false, res);
  }

  private request(ex: Exchange): EngineOutput {
    const serverIdOpt = ex.req.options.getBy(SERVER_ID_OPT);
    const sel = selectSubnet(this.config, ex.req, ex.meta, ex.classes);
    const limited = sel ? this.rateLimited(ex, sel.subnet) : undefined;
    if (limited) return limited;
    if (serverIdOpt !== undefined) return this.requestSelecting(ex, sel?.subnet, serverIdOpt);
    if (!sel) return this.junk(ex, null, 'no subnet for this client');
    const subnet = sel.subnet;
    const serverId = serverIdFor(this.config, subnet, ex.meta, ex.req);
    if (!serverId) return this.drop(ex, subnet.id, 'no server identifier: the interface has no IPv4 address');
    if (ex.req.ciaddr === ZERO) return this.requestInitReboot(ex, subnet, serverId);
    return this.requestRenewing(ex, subnet, serverId);
  }

  /** SELECTING: server identifier present, requested address = the offered one. */
  private requestSelecting(ex: Exchange, selected: CompiledSubnet | undefined, chosen: string): EngineOutput {
    if (!selected) return this.junk(ex, null, 'no subnet for this client');
    const wanted = ex.requested ?? (ex.req.ciaddr !== ZERO ? ex.req.ciaddr : null);
    // Parsed once: -1 when absent or not an IPv4 address.
    const addr = wanted === null ? -1 : ipv4ToInt(wanted);
    const subnet = addr >= 0 ? subnetOnLink(this.config, selected, addr) : selected;
    const serverId = serverIdFor(this.config, subnet, ex.meta, ex.req);
    if (!serverId || !isOurServerId(this.config, chosen, subnet, ex.meta, ex.req, serverId)) {
      // §4.3.2: the client chose another server; our offer is void. Say nothing.
      this.book.dropClientOffer(subnet.id, ex.id);
      return this.drop(ex, subnet.id, `client chose server ${chosen}`);
    }
    // §4.3.2: in SELECTING the client MUST send the requested address; tolerate ciaddr from broken ones.
    if (wanted === null || addr < 0)
      return this.junk(ex, subnet.id, 'SELECTING request without a requested address');
    if (!cidrContains(subnet, addr))
      return this.nak(ex, subnet, serverId, `${wanted} is not on subnet ${subnet.prefix}`);
    const res = this.book.reservations.find(subnet, ex.id);
    if (this.hostPhase(ex, res)) return this.drop(ex, subnet.id, 'the client is in class DROP');
    if (
      !this.book.usableBy(addr, subnet, ex.id, ex.now, ex.classes) &&
      !this.book.reclaimDisplaced(addr, subnet, ex.id, ex.now)
    )
      return this.nak(ex, subnet, serverId, `${wanted} is not available to this client`);
    return this.grant(ex, subnet, addr, serverId, false, res);
  }

  /** INIT-REBOOT: requested address, no server identifier, no ciaddr. */
  private requestInitReboot(ex: Exchange, selected: CompiledSubnet, serverId: string): EngineOutput {
    if (ex.requested === null || !isIpv4(ex.requested))
      return this.junk(ex, selected.id, 'REQUEST with neither ciaddr nor requested address');
    const addr = ipv4ToInt(ex.requested);
    const subnet = subnetOnLink(this.config, selected, addr);
    // §4.3.2: "the server SHOULD send a DHCPNAK message to the client if the 'requested IP address' is
    // incorrect, or is on the wrong network" (only an authoritative server knows the network is its own).
    if (!cidrContains(subnet, addr)) {
      return subnet.authoritative
        ? this.nak(ex, subnet, serverId, `${ex.requested} is not on subnet ${subnet.prefix}`)
        : this.drop(ex, subnet.id, 'wrong network, not authoritative');
    }
    const res = this.book.reservations.find(subnet, ex.id);
    if (this.hostPhase(ex, res)) return this.drop(ex, subnet.id, 'the client is in class DROP');
    const reserved = reservedAddressIn(subnet, res);
    const lease = this.book.index.findByClient(subnet.id, ex.id, subnet.matchClientId);
    const record = reserved ?? (lease ? ipv4ToInt(lease.address) : undefined);
    // §4.3.2: "If the DHCP server has no record of this client, then it MUST remain silent".
    if (record === undefined)
      return this.drop(ex, subnet.id, 'no record of this client (RFC 2131 §4.3.2: silent)');
    if (record !== addr)
      return this.nak(
        ex,
        subnet,
        serverId,
        `the client's address is ${intToIpv4(record)}, not ${ex.requested}`,
      );
    if (!this.book.usableBy(addr, subnet, ex.id, ex.now, ex.classes))
      return this.nak(ex, subnet, serverId, `${ex.requested} is not available to this client`);
    return this.grant(ex, subnet, addr, serverId, false, res);
  }

  /** RENEWING (unicast) or REBINDING (broadcast): ciaddr filled, no server identifier. */
  private requestRenewing(ex: Exchange, selected: CompiledSubnet, serverId: string): EngineOutput {
    const addr = ipv4ToInt(ex.req.ciaddr);
    const subnet = subnetOnLink(this.config, selected, addr);
    const refuse = (why: string): EngineOutput =>
      subnet.authoritative
        ? this.nak(ex, subnet, serverId, why)
        : this.drop(ex, subnet.id, `${why}, not authoritative`);
    // §4.3.2 REBINDING: "The DHCP server SHOULD check 'ciaddr' for correctness before replying".
    if (!cidrContains(subnet, addr)) return refuse(`${ex.req.ciaddr} is not on subnet ${subnet.prefix}`);
    const res = this.book.reservations.find(subnet, ex.id);
    if (this.hostPhase(ex, res)) return this.drop(ex, subnet.id, 'the client is in class DROP');
    const reserved = reservedAddressIn(subnet, res);
    if (reserved !== undefined && reserved !== addr)
      return refuse(`the client has a reservation for ${intToIpv4(reserved)}`);
    if (!this.book.usableBy(addr, subnet, ex.id, ex.now, ex.classes))
      return refuse(`${ex.req.ciaddr} is not this client's`);
    // A client we have no lease for but whose address is free gets it (a server that lost its leases).
    return this.grant(ex, subnet, addr, serverId, false, res);
  }

  /**
   * Asks the store to commit the lease; the DHCPACK goes out only when `commitSucceeded` says so. `res`
   * is the client's reservation in `subnet` when the caller has looked it up already.
   */
  private grant(
    ex: Exchange,
    subnet: CompiledSubnet,
    addr: number,
    serverId: string,
    rapid = false,
    res: CompiledReservation | undefined = this.book.reservations.find(subnet, ex.id),
  ): EngineOutput {
    // A rapid-commit DISCOVER was checked before its address was chosen.
    if (!rapid && this.overLeaseLimit(ex, subnet, res)) {
      this.stats.inc(GLOBAL['v4-lease-limit-exceeded']);
      return this.nak(ex, subnet, serverId, this.leaseLimitReason(ex, subnet));
    }
    const prev = this.book.index.get(addr);
    const isNew = !(
      prev &&
      prev.state === 'default' &&
      prev.expiresAt > ex.now &&
      owns(prev, ex.id, subnet.matchClientId)
    );
    this.hostPhase(ex, res);
    const times =
      ex.type === BOOTP_REQUEST
        ? BOOTP_TIMES
        : leaseTimes(this.lifetimes(ex, subnet), ex.req.options.getBy(LEASE_TIME_OPT));
    const agent = ex.req.giaddr !== ZERO ? ex.req.options.getRaw(82) : undefined;
    const address = intToIpv4(addr);
    const names = this.names(ex, subnet, address, res);
    const granted: Lease = {
      address,
      hwAddress: ex.id.hwAddress,
      clientId: ex.id.clientId,
      subnetId: subnet.id,
      validLifetime: times.valid,
      cltt: ex.now,
      expiresAt: ex.now + times.valid * 1000,
      hostname: names.name ?? res?.hostname ?? ex.hostname,
      state: 'default',
      userContext: leaseContext(agent, this.config, this.config.recordsClasses ? ex.classes : null),
    };
    // The DNS flags only when set (most grants have none): spreading them into every lease built it key by key.
    const lease = Object.freeze(
      names.forward || names.reverse
        ? {
            ...granted,
            ...(names.forward ? { fqdnFwd: true } : {}),
            ...(names.reverse ? { fqdnRev: true } : {}),
          }
        : granted,
    );
    // Hold the address for this client while the commit is in flight.
    this.book.holdOffer(subnet.id, ex.id, addr, ex.now, COMMIT_HOLD_MS, true);
    const mc = subnet.matchClientId;
    const writes: LeaseWrite[] = [{ op: 'claim', lease, matchClientId: mc }];
    // A client moving to another address gives up its old one: one client, one lease per subnet.
    const old = this.book.index.findByClient(subnet.id, ex.id, subnet.matchClientId);
    const retired =
      old && old.address !== lease.address && old.state === 'default' ? released(old, ex.now) : undefined;
    if (retired) writes.push({ op: 'claim', lease: retired, matchClientId: mc });
    const token = this.nextToken++;
    const pending: PendingGrant = {
      kind: 'grant',
      ex,
      subnet,
      lease,
      reservation: res,
      serverId,
      times,
      isNew,
      retired,
      rapid,
      names,
      addr,
      echoed: false,
    };
    this.pending.set(token, pending);
    this.awaitingEcho.set(addr | 0, pending);
    return { replies: [], commit: { token, writes }, events: [] };
  }

  // ---- RFC 2131 §4.3.3: DHCPDECLINE ----

  private decline(ex: Exchange): EngineOutput {
    const address = ex.requested;
    // §4.3.3 / Table 5: the client MUST put the declined address in option 50.
    if (address === null || !isIpv4(address))
      return this.junk(ex, null, 'DECLINE without a requested address');
    const { lease, subnet, matchClientId } = this.leaseAt(address);
    const sid = ex.req.options.getBy(SERVER_ID_OPT);
    if (subnet && sid !== undefined && !isOurServerId(this.config, sid, subnet, ex.meta, ex.req))
      return this.drop(ex, subnet.id, `DECLINE for server ${sid}`);
    if (!lease || lease.state !== 'default' || !owns(lease, ex.id, matchClientId))
      return this.notLeased(ex, 'DECLINE', address, lease);
    // §4.3.3: "The server MUST mark the network address as not available".
    const probation = this.config.declineProbationPeriod;
    const declined: Lease = Object.freeze({
      ...withoutDnsFlags(lease),
      hwAddress: '',
      clientId: null,
      hostname: null,
      cltt: ex.now,
      validLifetime: probation,
      expiresAt: ex.now + probation * 1000,
      state: 'declined',
    });
    this.book.dropClientOffer(lease.subnetId, ex.id);
    const token = this.nextToken++;
    this.pending.set(token, { kind: 'decline', ex, lease: declined });
    return {
      replies: [],
      commit: { token, writes: [{ op: 'decline', address, probationSeconds: probation }] },
      events: [],
    };
  }

  /** The lease at `address` (a dotted quad), its subnet, and how that subnet tells clients apart. */
  private leaseAt(address: string): {
    lease: Lease | undefined;
    subnet: CompiledSubnet | undefined;
    matchClientId: boolean;
  } {
    const lease = this.book.index.get(ipv4ToInt(address));
    const subnet = this.config.subnets.find((s) => s.id === lease?.subnetId);
    return { lease, subnet, matchClientId: subnet?.matchClientId ?? this.config.matchClientId };
  }

  /** A DECLINE or RELEASE of an address the client does not hold: counted and logged, not answered. */
  private notLeased(ex: Exchange, what: string, address: string, lease: Lease | undefined): EngineOutput {
    return this.junk(
      ex,
      lease?.subnetId ?? null,
      `${address} is not leased to this client`,
      `${what} of an address not leased to the client`,
    );
  }

  // ---- RFC 2131 §4.3.4: DHCPRELEASE ----

  private release(ex: Exchange): EngineOutput {
    if (ex.req.ciaddr === ZERO) return this.junk(ex, null, 'RELEASE without ciaddr');
    const { lease, matchClientId } = this.leaseAt(ex.req.ciaddr);
    // §4.3.4: the lease is identified by ciaddr and the client identity; only its owner may release it.
    if (!lease || lease.state !== 'default' || !owns(lease, ex.id, matchClientId))
      return this.notLeased(ex, 'RELEASE', ex.req.ciaddr, lease);
    // §4.3.4: "The server SHOULD retain a record of the client's initialization parameters": kept as
    // expired-reclaimed, so the client gets the same address back (lease affinity).
    const gone = released(lease, ex.now);
    const token = this.nextToken++;
    this.pending.set(token, { kind: 'release', ex, lease: gone });
    return {
      replies: [],
      commit: { token, writes: [{ op: 'claim', lease: gone, matchClientId }] },
      events: [],
    };
  }

  // ---- RFC 2131 §4.3.5: DHCPINFORM ----

  private inform(ex: Exchange): EngineOutput {
    const sel = selectSubnet(this.config, ex.req, ex.meta, ex.classes);
    if (!sel) return this.junk(ex, null, 'no subnet for this client');
    const subnet = sel.subnet;
    const limited = this.rateLimited(ex, subnet);
    if (limited) return limited;
    const serverId = serverIdFor(this.config, subnet, ex.meta, ex.req);
    if (!serverId) return this.drop(ex, subnet.id, 'no server identifier: the interface has no IPv4 address');
    const res = this.book.reservations.find(subnet, ex.id);
    if (this.hostPhase(ex, res)) return this.drop(ex, subnet.id, 'the client is in class DROP');
    const ciaddr = isIpv4(ex.req.ciaddr) ? ipv4ToInt(ex.req.ciaddr) : 0;
    // §4.3.5: configuration only: no yiaddr, no lease time (MUST NOT), ACK to ciaddr.
    const reply = this.configuredReply(ex, subnet, ciaddr, res, {
      type: MessageType.ACK,
      serverId,
      yiaddr: ZERO,
      ciaddr: ex.req.ciaddr,
      times: undefined,
    });
    return this.finish(ex, {
      reply,
      subnetId: subnet.id,
      replyType: MessageType.ACK,
      reason: 'configuration only',
    });
  }

  /** RFC 4702 name handling for a lease at `address` (docs/ddns.md). */
  private names(
    ex: Exchange,
    subnet: CompiledSubnet,
    address: string,
    res: CompiledReservation | undefined,
  ): FqdnDecision {
    return decideFqdn(fqdnNames(ex.req), subnet.ddns, address, this.config.ddns.enabled, res?.hostname);
  }

  // ---- classification ----

  /** Phase 2 of classification once the reservation is known; true when the request is in DROP. */
  private hostPhase(ex: Exchange, res: CompiledReservation | undefined): boolean {
    if (ex.classes === null) return false;
    classifyHost(this.config, ex.classes, res);
    return ex.classes.has(DROP);
  }

  /** The subnet's lifetimes, or a class's `valid-lifetime` over them. */
  private lifetimes(ex: Exchange, subnet: CompiledSubnet): Lifetimes {
    return ex.classes === null ? subnet.lifetimes : classScope.lifetimes(this.config, ex.classes, subnet);
  }

  /** Option layers and class boot fields for the reply; runs the pool's and subnet's additional classes. */
  private scope(
    ex: Exchange,
    subnet: CompiledSubnet,
    addr: number,
    res: CompiledReservation | undefined,
  ): ClassScope {
    if (ex.classes === null) return { layers: optionLayers(this.config, subnet, addr, res), boot: NO_BOOT };
    return classScope.reply(this.config, ex.classes, subnet, addr, res);
  }

  // ---- outputs ----

  private takePending(token: number): Pending {
    const p = this.pending.get(token);
    if (!p)
      throw new EngineUsageError('ERR_ENGINE_UNKNOWN_COMMIT_TOKEN', `no pending commit with token ${token}`);
    this.pending.delete(token);
    if (p.kind === 'grant' && this.awaitingEcho.get(p.addr | 0) === p) this.awaitingEcho.delete(p.addr | 0);
    return p;
  }

  /** A reply that hands out configuration: the options, hostname and boot fields of the client's scope. */
  private configuredReply(
    ex: Exchange,
    subnet: CompiledSubnet,
    addr: number,
    res: CompiledReservation | undefined,
    head: Pick<ReplyPlan, 'type' | 'serverId' | 'yiaddr' | 'ciaddr' | 'times' | 'rapidCommit'> &
      Partial<Pick<ReplyPlan, 'hostname' | 'fqdn'>>,
  ): OutgoingReply {
    const scope = this.scope(ex, subnet, addr, res);
    const boot = scope.boot;
    const global = this.config;
    // One literal of one shape (no spreads): a reply is planned for every OFFER and ACK. siaddr, sname and
    // file: reservation over class over subnet over global, each field on its own, each read by its name
    // (a field name passed in made every read a keyed lookup V8 could not specialise).
    return this.reply(ex, {
      type: head.type,
      serverId: head.serverId,
      yiaddr: head.yiaddr,
      ciaddr: head.ciaddr,
      times: head.times,
      rapidCommit: head.rapidCommit,
      hostname: 'hostname' in head ? head.hostname : res?.hostname,
      fqdn: head.fqdn,
      layers: scope.layers,
      subnet,
      nextServer: firstDefined(res?.nextServer, boot.nextServer, subnet.nextServer, global.nextServer),
      bootFileName: firstDefined(
        res?.bootFileName,
        boot.bootFileName,
        subnet.bootFileName,
        global.bootFileName,
      ),
      serverHostname: firstDefined(
        res?.serverHostname,
        boot.serverHostname,
        subnet.serverHostname,
        global.serverHostname,
      ),
      echoClientId: this.config.echoClientId,
    });
  }

  private reply(ex: Exchange, plan: ReplyPlan): OutgoingReply {
    const message = buildReply(ex.req, plan);
    const flex = this.config.hooks.flexOptions;
    // Flex options that read no class are evaluated on the bare request: nothing classifies it for them.
    if (flex.length > 0)
      applyFlexOptions(
        message.options,
        flex,
        ex.classes ?? new PacketClasses(ex.req, ex.meta),
        this.config.optionDefs,
      );
    if (ex.type === BOOTP_REQUEST) stripDhcpOptions(message.options);
    this.stats.inc(GLOBAL['pkt4-sent']);
    if (plan.type === MessageType.OFFER) this.stats.inc(GLOBAL['pkt4-offer-sent']);
    else if (plan.type === MessageType.ACK) this.stats.inc(GLOBAL['pkt4-ack-sent']);
    else if (plan.type === MessageType.NAK) this.stats.inc(GLOBAL['pkt4-nak-sent']);
    return {
      message,
      destination: replyDestination(ex.req, plan.type, plan.yiaddr, ex.id.hwAddress),
      interface: ex.meta.interface,
      maxSize: maxMessageSize(ex.req),
    };
  }

  private nak(ex: Exchange, subnet: CompiledSubnet, serverId: string, why: string): EngineOutput {
    // A BOOTP client knows no DHCPNAK: it is left to retry.
    if (ex.type === BOOTP_REQUEST) return this.drop(ex, subnet.id, why);
    const reply = this.reply(ex, {
      type: MessageType.NAK,
      serverId,
      yiaddr: ZERO,
      ciaddr: ZERO,
      times: undefined,
      layers: [],
      subnet: undefined,
      hostname: undefined,
      nextServer: undefined,
      bootFileName: undefined,
      nakMessage: why,
      echoClientId: this.config.echoClientId,
    });
    return this.finish(ex, { reply, subnetId: subnet.id, replyType: MessageType.NAK, reason: why });
  }

  private drop(ex: Exchange, subnetId: number | null, why: string): EngineOutput {
    return this.finish(ex, { subnetId, reason: why });
  }

  /**
   * A drop that tells nothing about a working client (malformed, or for no subnet we serve): the event
   * carries `junk`, its category, so the runtime can log it at debug and count it instead of writing a
   * line per packet a flood or a fuzzer sends.
   */
  private junk(ex: Exchange, subnetId: number | null, why: string, category = why): EngineOutput {
    const out = this.recorded(ex, { subnetId, reason: why });
    return { ...out, events: [{ ...(out.events[0] as ExchangeEvent), junk: category }] };
  }

  /** The exchange's output, with its event only when someone reads it (`recordExchangesWhen`). */
  private finish(ex: Exchange, outcome: Outcome): EngineOutput {
    if (this.recording()) return this.recorded(ex, outcome);
    return outcome.reply ? { replies: [outcome.reply], commit: null, events: NO_EVENTS } : NO_OUTPUT;
  }

  private recorded(ex: Exchange, outcome: Outcome): EngineOutput {
    const {
      subnetId,
      reply = null,
      replyType = null,
      address = null,
      leaseTime = null,
      reason = null,
    } = outcome;
    const requested =
      ex.type === MessageType.RELEASE ||
      ex.type === MessageType.INFORM ||
      (ex.type === MessageType.REQUEST && ex.req.ciaddr !== ZERO)
        ? ex.req.ciaddr
        : ex.requested;
    const describe = this.describing();
    const event = exchangeEvent(
      {
        requestType: ex.type,
        requested: requested === ZERO ? null : requested,
        id: ex.id,
        hostname: ex.hostname,
        interface: ex.meta.interface,
        giaddr: ex.req.giaddr,
        subnetId,
        replyType,
        address,
        leaseTime,
        reason,
        destination: describe && reply ? describeDestination(reply.destination) : null,
        classes:
          ex.classes === null || !this.config.recordsClasses ? null : combination(this.config, ex.classes),
      },
      describe,
    );
    return { replies: reply ? [reply] : [], commit: null, events: [event] };
  }

  /** The index of every lease the engine holds, for lookups that scan it (lease-scan.ts). */
  get leaseIndex(): LeaseIndex {
    return this.book.index;
  }
}
