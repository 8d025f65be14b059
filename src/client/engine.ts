import {
  BOOTREPLY,
  MessageType,
  decodeMessage,
  encodeMessage,
  messageTypeName,
  messageTypeOf,
} from '../protocol/index.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import type { ClientAction, ClientEvent, ClientStep, DeconfigureAction } from './actions.ts';
import { unusableAddress } from './address-check.ts';
import { renewRetransmitDelay, retransmitDelay } from './backoff.ts';
import type { ClientConfig, ResolvedClientConfig } from './config.ts';
import { resolveClientConfig } from './config.ts';
import { ClientConfigError, ClientStateError } from './errors.ts';
import type { ClientLease } from './lease.ts';
import { ackAdjustments, leaseExpired, leaseFromAck, usedMask } from './lease.ts';
import type { RequestKind } from './messages.ts';
import { buildDecline, buildDiscover, buildInform, buildRelease, buildRequest } from './messages.ts';
import type { ClientState, ClientStateName, Offer, PendingProbe, Transaction } from './state.ts';
import type { BogusReason, ClientStats } from './stats.ts';
import { cloneStats, emptyStats } from './stats.ts';

const BROADCAST = '255.255.255.255';
const UNSPECIFIED = '0.0.0.0';
/** Finished xids remembered to tell late duplicates from strangers. */
const STALE_XIDS = 8;
/** Bound on timer transitions handled in one call: each one moves the deadline forward, this is a safety net. */
const MAX_TIMER_STEPS = 64;

export interface StartOptions {
  /** A lease remembered from an earlier run: start in INIT-REBOOT asking for its address (RFC 2131 §3.2). */
  readonly previousLease?: ClientLease | null;
}

export interface ProbeResult {
  readonly address: string;
  /** True when another host answered the ARP probe: the address is in use. */
  readonly conflict: boolean;
}

export interface InformOptions {
  /** The address the host already has (ciaddr); defaults to the bound lease's. */
  readonly address?: string;
  /** Unicast to this server instead of broadcasting (RFC 2131 §4.4.4 allows either). */
  readonly server?: string;
}

export interface ClientStatus {
  readonly state: ClientStateName;
  readonly linkUp: boolean;
  readonly lease: ClientLease | null;
  /** The server of the lease, or the one being asked in REQUESTING. */
  readonly serverId: string | null;
  readonly xid: number | null;
  readonly nextDeadline: number | null;
  readonly stats: ClientStats;
}

interface InformTransaction {
  readonly xid: number;
  readonly address: string;
  readonly to: string;
  readonly startedAt: number;
  readonly sends: number;
  readonly retransmitAt: number;
}

type WithTx = Extract<ClientState, { tx: Transaction }>;

function minDeadline(values: readonly (number | null | undefined)[]): number | null {
  let best: number | null = null;
  for (const v of values) if (v !== null && v !== undefined && (best === null || v < best)) best = v;
  return best;
}

/** Option 54 of a reply: the server that sent it, or null. */
function serverIdOf(msg: DhcpMessage): string | null {
  return msg.options.get('dhcp-server-identifier') ?? null;
}

/**
 * The DHCPv4 client state machine of RFC 2131 §4.4, sans-IO: it never reads a clock, never touches a
 * socket. Every call takes `now` (ms since the epoch) and returns a {@link ClientStep}: the actions to
 * perform in order and the time at which `poll()` must be called next.
 */
export class DhcpClientEngine {
  readonly config: ResolvedClientConfig;
  #state: ClientState = { name: 'STOPPED' };
  /** The lease the runtime has been told to apply and not yet told to remove. */
  #configured: ClientLease | null = null;
  #linkUp = true;
  #inform: InformTransaction | null = null;
  #staleXids: number[] = [];
  #stats: ClientStats = emptyStats();
  #out: ClientAction[] = [];
  /** The last `lease-adjusted` notes, so that a server repeating itself every renewal is reported once. */
  #lastAdjustments = '';

  constructor(config: ClientConfig) {
    this.config = resolveClientConfig(config);
    // Build and encode the largest message once, so that options that cannot go on the wire fail here
    // and not in the middle of a renewal.
    try {
      const request: RequestKind = { kind: 'selecting', address: '192.0.2.1', serverId: '192.0.2.2' };
      encodeMessage(buildRequest(this.config, { xid: 0, secs: 0, request }));
    } catch (err) {
      throw new ClientConfigError(`options do not fit a DHCP message: ${(err as Error).message}`);
    }
  }

  get state(): ClientState {
    return this.#state;
  }

  get stateName(): ClientStateName {
    return this.#state.name;
  }

  /** The lease currently applied to the interface, if any. */
  get lease(): ClientLease | null {
    return this.#configured;
  }

  get isLinkUp(): boolean {
    return this.#linkUp;
  }

  get stats(): ClientStats {
    return cloneStats(this.#stats);
  }

  /** A JSON-safe report for a control channel: state, lease, server, link, timers, statistics. */
  status(): ClientStatus {
    const s = this.#state;
    return {
      state: s.name,
      linkUp: this.#linkUp,
      lease: this.#configured,
      serverId: this.#configured?.serverId ?? ('offer' in s ? s.offer.serverId : null),
      xid: 'tx' in s ? s.tx.xid : null,
      nextDeadline: this.nextDeadline(),
      stats: this.stats,
    };
  }

  /** When `poll()` must next be called; null when only input can move the engine. */
  nextDeadline(): number | null {
    const s = this.#state;
    // A stopped engine only finishes an INFORM; a lease left configured is no longer its business.
    if (s.name === 'STOPPED') return minDeadline([this.#inform?.retransmitAt]);
    const common = [this.#inform?.retransmitAt, this.#configured?.expiresAt];
    if (!this.#linkUp) return minDeadline(common);
    switch (s.name) {
      case 'RELEASED':
        return minDeadline(common);
      case 'INIT':
      case 'INIT-REBOOT':
        return minDeadline([...common, s.wakeAt]);
      case 'SELECTING':
        return minDeadline([...common, s.tx.retransmitAt, s.candidate !== null ? s.selectUntil : null]);
      case 'REQUESTING':
      case 'REBOOTING':
        return minDeadline([...common, s.probe !== null ? s.probe.deadline : s.tx.retransmitAt]);
      case 'BOUND':
        return minDeadline([...common, s.lease.renewAt]);
      case 'RENEWING':
        return minDeadline([...common, s.tx.retransmitAt, s.lease.rebindAt]);
      case 'REBINDING':
        return minDeadline([...common, s.tx.retransmitAt]);
    }
  }

  // ---- commands -------------------------------------------------------------------------------------

  /** Begin: INIT, or INIT-REBOOT with `previousLease`. Deconfigures the interface first, as udhcpc does. */
  start(now: number, opts: StartOptions = {}): ClientStep {
    if (this.#state.name !== 'STOPPED' && this.#state.name !== 'RELEASED') {
      throw new ClientStateError('ERR_CLIENT_STATE', `start() in state ${this.#state.name}`);
    }
    return this.#step(now, () => {
      // udhcpc starts with a deconfig: whatever an earlier run left on the interface goes.
      this.#deconfigure(this.#configured, 'start');
      this.#configured = null;
      const prev = opts.previousLease ?? null;
      const jitter = this.config.startJitterMs;
      const wakeAt = now + (jitter > 0 ? Math.floor(this.config.random() * jitter) : 0);
      this.#enter(prev !== null ? { name: 'INIT-REBOOT', previous: prev, wakeAt } : { name: 'INIT', wakeAt });
    });
  }

  /** Stop. With `release` (default: the `releaseOnStop` setting, udhcpc `-R`) the lease is released first. */
  stop(now: number, opts: { release?: boolean } = {}): ClientStep {
    return this.#step(now, () => {
      if (this.#state.name === 'STOPPED') return;
      if (opts.release ?? this.config.releaseOnStop) this.#release();
      this.#cancelInform(false);
      this.#finishTx();
      this.#enter({ name: 'STOPPED' });
    });
  }

  /** A datagram from port 67 (bytes, decoded here) or an already decoded message. */
  handle(now: number, input: Uint8Array | DhcpMessage): ClientStep {
    return this.#step(now, () => {
      let msg: DhcpMessage;
      if (input instanceof Uint8Array) {
        try {
          msg = decodeMessage(input);
        } catch (err) {
          // Wire input never throws past the decoder: whatever it rejects is counted and dropped.
          const code = (err as { code?: unknown }).code;
          this.#bogus('malformed', typeof code === 'string' ? code : String(err));
          return;
        }
      } else {
        msg = input;
      }
      this.#receive(now, msg);
    });
  }

  /** Timers: call at (or after) the step's deadline. */
  poll(now: number): ClientStep {
    return this.#step(now, () => undefined);
  }

  /** Renew now (udhcpc SIGUSR1): from BOUND go RENEWING; from RELEASED start over at INIT. */
  renew(now: number): ClientStep {
    return this.#step(now, () => {
      const s = this.#state;
      switch (s.name) {
        case 'BOUND':
          this.#enterRenewing(now, s.lease);
          break;
        case 'RENEWING':
        case 'REBINDING':
          this.#enter({ ...s, tx: { ...s.tx, retransmitAt: now } });
          break;
        case 'RELEASED':
          this.#enter({ name: 'INIT', wakeAt: now });
          break;
        case 'INIT':
          this.#enter({ name: 'INIT', wakeAt: now });
          break;
        default:
          break;
      }
    });
  }

  /** Release the lease (udhcpc SIGUSR2): RELEASE to the server, deconfigure, wait in RELEASED. */
  release(now: number): ClientStep {
    return this.#step(now, () => {
      if (this.#state.name === 'STOPPED') return;
      this.#release();
    });
  }

  /** Ask for configuration only, for an address the host already has (DHCPINFORM, RFC 2131 §3.4, §4.4.3). */
  inform(now: number, opts: InformOptions = {}): ClientStep {
    const address = opts.address ?? this.#configured?.address;
    if (address === undefined) {
      throw new ClientStateError(
        'ERR_CLIENT_NO_ADDRESS',
        'inform() needs an address: none given and no lease bound',
      );
    }
    return this.#step(now, () => {
      this.#cancelInform(false);
      const xid = this.#newXid();
      const to = opts.server ?? BROADCAST;
      this.#stats.informs++;
      this.#inform = { xid, address, to, startedAt: now, sends: 0, retransmitAt: now };
      this.#sendInform(now);
    });
  }

  /** The ARP probe's answer for the address of the last `probe` action. */
  probeResult(now: number, result: ProbeResult): ClientStep {
    return this.#step(now, () => {
      const s = this.#state;
      if ((s.name !== 'REQUESTING' && s.name !== 'REBOOTING') || s.probe === null) return;
      if (s.probe.lease.address !== result.address) return;
      if (result.conflict) this.#decline(now, s.probe.lease);
      else this.#bind(s.probe.lease);
    });
  }

  /** The interface lost carrier: stop sending; a held lease keeps running until it expires. */
  linkDown(now: number): ClientStep {
    return this.#step(now, () => {
      if (!this.#linkUp) return;
      this.#linkUp = false;
      this.#cancelInform(true);
      const s = this.#state;
      if (
        s.name === 'SELECTING' ||
        s.name === 'REQUESTING' ||
        s.name === 'REBOOTING' ||
        s.name === 'INIT-REBOOT'
      ) {
        this.#finishTx();
        this.#enter({ name: 'INIT', wakeAt: now });
      }
    });
  }

  /**
   * Carrier is back. A still valid lease is verified with INIT-REBOOT (RFC 2131 §3.2: the client may
   * have moved to another network); without one the client starts over at INIT.
   */
  linkUp(now: number): ClientStep {
    return this.#step(now, () => {
      if (this.#linkUp) return;
      this.#linkUp = true;
      const s = this.#state;
      if (s.name === 'STOPPED' || s.name === 'RELEASED') return;
      this.#finishTx();
      const held = this.#configured;
      if (held !== null && !leaseExpired(held, now)) {
        this.#enter({ name: 'INIT-REBOOT', previous: held, wakeAt: now });
      } else if (s.name !== 'INIT') {
        // An INIT that is waiting (after a DECLINE or a NAK) keeps its pause.
        this.#enter({ name: 'INIT', wakeAt: now });
      }
    });
  }

  // ---- plumbing -------------------------------------------------------------------------------------

  #step(now: number, body: () => void): ClientStep {
    this.#out = [];
    body();
    this.#runTimers(now);
    const actions = this.#out;
    this.#out = [];
    return { actions, deadline: this.nextDeadline() };
  }

  #emit(event: ClientEvent): void {
    this.#out.push({ type: 'event', event });
  }

  #enter(next: ClientState): void {
    const from = this.#state.name;
    this.#state = next;
    if (from !== next.name) this.#emit({ type: 'state', from, to: next.name });
  }

  #deconfigure(lease: ClientLease | null, reason: DeconfigureAction['reason']): void {
    this.#out.push({ type: 'deconfigure', lease, reason });
  }

  #bogus(reason: BogusReason, detail: string): void {
    this.#stats.bogus[reason]++;
    this.#emit({ type: 'ignored', reason, detail });
  }

  #newXid(): number {
    let xid = Math.floor(this.config.random() * 0x1_0000_0000) >>> 0;
    // Never reuse a recent xid: a late reply to an old exchange must not answer a new one.
    const s = this.#state;
    const current = 'tx' in s ? s.tx.xid : this.#inform?.xid;
    while (this.#staleXids.includes(xid) || xid === current || xid === this.#inform?.xid)
      xid = (xid + 1) >>> 0;
    return xid;
  }

  #remember(xid: number): void {
    this.#staleXids.push(xid);
    if (this.#staleXids.length > STALE_XIDS) this.#staleXids.shift();
  }

  #finishTx(): void {
    const s = this.#state;
    if ('tx' in s) this.#remember(s.tx.xid);
  }

  #send(msg: DhcpMessage, to: string, from: string): void {
    const bytes = encodeMessage(msg);
    const name = messageTypeName(messageTypeOf(msg) ?? 0);
    this.#stats.sent[name] = (this.#stats.sent[name] ?? 0) + 1;
    this.#out.push({
      type: 'send',
      message: msg,
      bytes,
      to,
      from,
      broadcast: to === BROADCAST,
      via: from === UNSPECIFIED ? 'raw' : 'udp',
    });
  }

  /** Retransmission bookkeeping shared by every transaction. */
  #sent(tx: Transaction, now: number, retransmitAt: number): Transaction {
    if (tx.sends > 0) this.#stats.retransmissions++;
    return { ...tx, sends: tx.sends + 1, firstSentAt: tx.sends === 0 ? now : tx.firstSentAt, retransmitAt };
  }

  #newTx(now: number, xid = this.#newXid(), startedAt = now): Transaction {
    return { xid, startedAt, firstSentAt: now, sends: 0, retransmitAt: now };
  }

  #backoff(tx: Transaction, now: number): number {
    return now + retransmitDelay(this.config.retransmit, tx.sends, this.config.random);
  }

  #runTimers(now: number): void {
    for (let i = 0; i < MAX_TIMER_STEPS; i++) {
      const d = this.nextDeadline();
      if (d === null || d > now) return;
      this.#fire(now);
    }
  }

  /** Handles one due timer. Every branch moves the deadline it handled. */
  #fire(now: number): void {
    const inf = this.#inform;
    if (inf !== null && inf.retransmitAt <= now) {
      this.#sendInform(now);
      return;
    }
    const held = this.#configured;
    if (held !== null && this.#state.name !== 'STOPPED' && leaseExpired(held, now)) {
      this.#expire(now, held);
      return;
    }
    if (!this.#linkUp) return;
    const s = this.#state;
    switch (s.name) {
      case 'STOPPED':
      case 'RELEASED':
        return;
      case 'INIT':
        return this.#beginDiscovery(now);
      case 'SELECTING':
        if (s.candidate !== null && s.selectUntil !== null && s.selectUntil <= now) {
          const { address, serverId } = s.candidate;
          this.#emit({ type: 'offer', address, serverId, selected: true });
          return this.#select(now, s.tx, s.candidate);
        }
        return this.#discoverTimeout(now, s);
      case 'REQUESTING':
      case 'REBOOTING':
        if (s.probe !== null) {
          // An unanswered probe means nobody claimed the address.
          this.#emit({ type: 'probe-timeout', address: s.probe.lease.address });
          return this.#bind(s.probe.lease);
        }
        return this.#requestTimeout(now, s);
      case 'BOUND':
        return this.#enterRenewing(now, s.lease);
      case 'RENEWING':
        // RFC 2131 §4.4.5: no answer by T2: broadcast to any server (REBINDING).
        if (s.lease.rebindAt !== null && s.lease.rebindAt <= now) return this.#enterRebinding(now, s.lease);
        return this.#sendRenew(now, s.lease, s.tx, 'renewing');
      case 'REBINDING':
        return this.#sendRenew(now, s.lease, s.tx, 'rebinding');
      case 'INIT-REBOOT':
        return this.#sendReboot(now, s.previous, this.#newTx(now), null);
    }
  }

  // ---- acquisition ----------------------------------------------------------------------------------

  #beginDiscovery(now: number): void {
    const tx = this.#newTx(now);
    this.#enter({ name: 'SELECTING', tx: this.#sendDiscover(now, tx), candidate: null, selectUntil: null });
  }

  #sendDiscover(now: number, tx: Transaction): Transaction {
    const msg = buildDiscover(this.config, {
      xid: tx.xid,
      secs: (now - tx.startedAt) / 1000,
      requestedAddress: this.config.requestedAddress,
    });
    this.#send(msg, BROADCAST, UNSPECIFIED);
    return this.#sent(tx, now, this.#backoff(tx, now));
  }

  #discoverTimeout(now: number, s: Extract<ClientState, { name: 'SELECTING' }>): void {
    const policy = this.config.retransmit;
    if (s.tx.sends < policy.discoverAttempts) {
      this.#enter({ ...s, tx: this.#sendDiscover(now, s.tx) });
      return;
    }
    // Out of retries: udhcpc's "leasefail", then a pause (-A) before the next cycle.
    this.#stats.leaseFailures++;
    const retryAt = now + policy.tryAgainMs;
    this.#finishTx();
    this.#emit({ type: 'leasefail', retryAt });
    this.#enter({ name: 'INIT', wakeAt: retryAt });
  }

  #onOffer(now: number, msg: DhcpMessage, s: Extract<ClientState, { name: 'SELECTING' }>): void {
    const serverId = serverIdOf(msg);
    // RFC 2131 §4.3.1 Table 3: option 54 MUST be in a DHCPOFFER; without it we could not REQUEST.
    if (serverId === null)
      return this.#bogus('no-server-id', `DHCPOFFER of ${msg.yiaddr} without server identifier`);
    const bad = unusableAddress(msg.yiaddr, usedMask(msg).mask);
    if (bad !== null) return this.#bogus('bad-yiaddr', `DHCPOFFER from ${serverId}: ${bad}`);
    const offer: Offer = { address: msg.yiaddr, serverId, message: msg, receivedAt: now };
    const wanted = this.config.requestedAddress;
    if (wanted === null || wanted === offer.address || this.config.selectionWindowMs === 0) {
      this.#emit({ type: 'offer', address: offer.address, serverId, selected: true });
      return this.#select(now, s.tx, offer);
    }
    this.#emit({ type: 'offer', address: offer.address, serverId, selected: false });
    if (s.candidate === null) {
      this.#enter({ ...s, candidate: offer, selectUntil: now + this.config.selectionWindowMs });
    }
  }

  #select(now: number, discoverTx: Transaction, offer: Offer): void {
    // RFC 2131 §4.4.1 Table 5: the REQUEST carries the xid of the OFFER it answers.
    const tx = this.#newTx(now, discoverTx.xid, discoverTx.startedAt);
    this.#enter({ name: 'REQUESTING', tx: this.#sendSelect(now, tx, offer), offer, probe: null });
  }

  #sendSelect(now: number, tx: Transaction, offer: Offer): Transaction {
    const request: RequestKind = { kind: 'selecting', address: offer.address, serverId: offer.serverId };
    // RFC 2131 §4.4.4: DHCPREQUEST in SELECTING is broadcast, so that unselected servers learn of the choice.
    this.#send(
      buildRequest(this.config, { xid: tx.xid, secs: (now - tx.startedAt) / 1000, request }),
      BROADCAST,
      UNSPECIFIED,
    );
    return this.#sent(tx, now, this.#backoff(tx, now));
  }

  #sendReboot(now: number, previous: ClientLease, tx: Transaction, probe: PendingProbe | null): void {
    const request: RequestKind = { kind: 'rebooting', address: previous.address };
    this.#send(
      buildRequest(this.config, { xid: tx.xid, secs: (now - tx.startedAt) / 1000, request }),
      BROADCAST,
      UNSPECIFIED,
    );
    this.#enter({ name: 'REBOOTING', previous, tx: this.#sent(tx, now, this.#backoff(tx, now)), probe });
  }

  #requestTimeout(now: number, s: Extract<ClientState, { name: 'REQUESTING' | 'REBOOTING' }>): void {
    if (s.tx.sends < this.config.retransmit.requestAttempts) {
      if (s.name === 'REQUESTING') this.#enter({ ...s, tx: this.#sendSelect(now, s.tx, s.offer) });
      else this.#sendReboot(now, s.previous, s.tx, null);
      return;
    }
    this.#finishTx();
    const held = this.#configured;
    if (s.name === 'REBOOTING' && held !== null && !leaseExpired(held, now)) {
      // RFC 2131 §3.2 step 5: with no answer the client MAY keep using its unexpired lease.
      this.#enter({ name: 'BOUND', lease: held });
      return;
    }
    // RFC 2131 §4.4.1: neither ACK nor NAK after the retransmissions: back to INIT.
    this.#enter({ name: 'INIT', wakeAt: now });
  }

  #onAck(now: number, msg: DhcpMessage, s: WithTx): void {
    const serverId = serverIdOf(msg);
    const mask = usedMask(msg).mask;
    const bad = unusableAddress(msg.yiaddr, mask);
    switch (s.name) {
      case 'REQUESTING': {
        if (s.probe !== null)
          return this.#bogus('duplicate', `DHCPACK while probing ${s.probe.lease.address}`);
        if (serverId !== null && serverId !== s.offer.serverId) {
          return this.#bogus('wrong-server', `DHCPACK from ${serverId}, requested from ${s.offer.serverId}`);
        }
        if (bad !== null) return this.#bogus('bad-yiaddr', `DHCPACK: ${bad}`);
        const lease = this.#leaseFromAck(msg, s.tx.firstSentAt, s.offer.serverId);
        if (lease === null) return this.#bogus('no-server-id', 'DHCPACK without server identifier');
        return this.#afterAck(now, lease, s);
      }
      case 'REBOOTING': {
        if (s.probe !== null)
          return this.#bogus('duplicate', `DHCPACK while probing ${s.probe.lease.address}`);
        if (bad !== null) return this.#bogus('bad-yiaddr', `DHCPACK: ${bad}`);
        const lease = this.#leaseFromAck(msg, s.tx.firstSentAt, this.#configured?.serverId);
        if (lease === null) return this.#bogus('no-server-id', 'DHCPACK without server identifier');
        return this.#afterAck(now, lease, s);
      }
      case 'RENEWING':
      case 'REBINDING': {
        if (bad !== null) return this.#bogus('bad-yiaddr', `DHCPACK: ${bad}`);
        const lease = this.#leaseFromAck(msg, s.tx.firstSentAt, s.lease.serverId);
        if (lease === null) return this.#bogus('no-server-id', 'DHCPACK without server identifier');
        return this.#bind(lease);
      }
      case 'SELECTING':
        return this.#bogus('unexpected', 'DHCPACK while SELECTING');
    }
  }

  /** The lease of an ACK about to be taken; says what was refused in it (a hostile or broken server). */
  #leaseFromAck(msg: DhcpMessage, obtainedAt: number, fallbackServerId?: string): ClientLease | null {
    const lease = leaseFromAck(msg, obtainedAt, fallbackServerId);
    if (lease === null) return null;
    const notes = ackAdjustments(msg);
    const key = notes.length === 0 ? '' : `${lease.serverId} ${lease.address} ${notes.join(', ')}`;
    if (key !== '' && key !== this.#lastAdjustments)
      this.#emit({ type: 'lease-adjusted', address: lease.address, serverId: lease.serverId, notes });
    this.#lastAdjustments = key;
    return lease;
  }

  #afterAck(
    now: number,
    lease: ClientLease,
    s: Extract<ClientState, { name: 'REQUESTING' | 'REBOOTING' }>,
  ): void {
    // An address we already have configured was probed when we first got it.
    if (this.config.arpProbe && this.#configured?.address !== lease.address) {
      // RFC 2131 §4.4.1: the client SHOULD probe the address before using it (RFC 5227).
      const deadline = now + this.config.probeTimeoutMs;
      this.#out.push({ type: 'probe', address: lease.address, deadline });
      this.#enter({ ...s, probe: { lease, deadline } });
      return;
    }
    this.#bind(lease);
  }

  #bind(lease: ClientLease): void {
    this.#finishTx();
    const held = this.#configured;
    const renewal = held !== null && held.address === lease.address;
    if (held !== null && !renewal) this.#deconfigure(held, 'replaced');
    this.#configured = lease;
    this.#out.push({ type: 'configure', lease, reason: renewal ? 'renew' : 'bound' });
    if (renewal) {
      this.#stats.renewed++;
      this.#emit({ type: 'lease-renewed', lease });
    } else {
      this.#stats.leasesObtained++;
      this.#emit({ type: 'lease-acquired', lease });
    }
    this.#enter({ name: 'BOUND', lease });
  }

  #decline(now: number, lease: ClientLease): void {
    // RFC 2131 §4.4.1: an address found in use MUST be declined, and the client restarts configuration.
    this.#send(
      buildDecline(this.config, { xid: this.#newXid(), address: lease.address, serverId: lease.serverId }),
      BROADCAST,
      UNSPECIFIED,
    );
    this.#stats.declines++;
    this.#emit({ type: 'decline', address: lease.address, serverId: lease.serverId });
    const held = this.#configured;
    if (held !== null) {
      this.#configured = null;
      this.#deconfigure(held, 'declined');
      this.#emit({ type: 'lease-lost', lease: held, reason: 'declined' });
    }
    this.#finishTx();
    // RFC 2131 §4.4.1: wait a minimum of ten seconds before restarting, to avoid looping.
    this.#enter({ name: 'INIT', wakeAt: now + this.config.declineBackoffMs });
  }

  #onNak(now: number, msg: DhcpMessage, s: WithTx): void {
    const serverId = serverIdOf(msg);
    if (s.name === 'SELECTING') return this.#bogus('unexpected', 'DHCPNAK while SELECTING');
    if (s.name === 'REQUESTING' && serverId !== null && serverId !== s.offer.serverId) {
      return this.#bogus('wrong-server', `DHCPNAK from ${serverId}, requested from ${s.offer.serverId}`);
    }
    this.#stats.naks++;
    this.#emit({ type: 'nak', message: msg, serverId, text: msg.options.get('dhcp-message') ?? null });
    const held = this.#configured;
    if (held !== null) {
      // RFC 2131 §4.4.5 / §3.2: on DHCPNAK the client MUST stop using the address.
      this.#configured = null;
      this.#emit({ type: 'lease-lost', lease: held, reason: 'nak' });
      this.#deconfigure(held, 'nak');
    }
    this.#finishTx();
    // RFC 2131 §3.1 step 5: the client restarts the configuration process.
    this.#enter({ name: 'INIT', wakeAt: now + this.config.nakBackoffMs });
  }

  // ---- renewal --------------------------------------------------------------------------------------

  #enterRenewing(now: number, lease: ClientLease): void {
    this.#stats.renews++;
    this.#sendRenew(now, lease, this.#newTx(now), 'renewing');
  }

  #enterRebinding(now: number, lease: ClientLease): void {
    this.#finishTx();
    this.#stats.rebinds++;
    this.#sendRenew(now, lease, this.#newTx(now), 'rebinding');
  }

  #sendRenew(now: number, lease: ClientLease, tx: Transaction, kind: 'renewing' | 'rebinding'): void {
    const request: RequestKind = { kind, address: lease.address };
    const msg = buildRequest(this.config, { xid: tx.xid, secs: (now - tx.startedAt) / 1000, request });
    // RFC 2131 §4.4.5: RENEWING unicasts to the server that granted the lease, REBINDING broadcasts.
    this.#send(msg, kind === 'renewing' ? lease.serverId : BROADCAST, lease.address);
    const until = kind === 'renewing' ? lease.rebindAt : lease.expiresAt;
    const min = this.config.minRenewRetransmitMs;
    const next = now + (until === null ? min : renewRetransmitDelay(now, until, min));
    const sentTx = this.#sent(tx, now, next);
    this.#enter(
      kind === 'renewing'
        ? { name: 'RENEWING', lease, tx: sentTx }
        : { name: 'REBINDING', lease, tx: sentTx },
    );
  }

  #expire(now: number, lease: ClientLease): void {
    // RFC 2131 §4.4.5: at expiry the client MUST stop using the address and return to INIT.
    this.#configured = null;
    this.#stats.expirations++;
    this.#emit({ type: 'lease-expired', lease });
    this.#deconfigure(lease, 'expired');
    this.#finishTx();
    this.#enter({ name: 'INIT', wakeAt: now });
  }

  #release(): void {
    const held = this.#configured;
    const s = this.#state.name;
    if (held !== null && (s === 'BOUND' || s === 'RENEWING' || s === 'REBINDING')) {
      // RFC 2131 §4.4.6: DHCPRELEASE is unicast to the server, with ciaddr set.
      this.#send(
        buildRelease(this.config, { xid: this.#newXid(), address: held.address, serverId: held.serverId }),
        held.serverId,
        held.address,
      );
      this.#stats.releases++;
    }
    this.#configured = null;
    // udhcpc deconfigures on release in every state, so that scripts always see it.
    this.#deconfigure(held, 'released');
    if (held !== null) this.#emit({ type: 'lease-lost', lease: held, reason: 'released' });
    this.#finishTx();
    this.#enter({ name: 'RELEASED' });
  }

  // ---- inform ---------------------------------------------------------------------------------------

  #sendInform(now: number): void {
    const inf = this.#inform;
    if (inf === null) return;
    if (inf.sends >= this.config.retransmit.discoverAttempts) {
      this.#cancelInform(true);
      return;
    }
    const msg = buildInform(this.config, {
      xid: inf.xid,
      secs: (now - inf.startedAt) / 1000,
      address: inf.address,
    });
    this.#send(msg, inf.to, inf.address);
    if (inf.sends > 0) this.#stats.retransmissions++;
    const delay = retransmitDelay(this.config.retransmit, inf.sends, this.config.random);
    this.#inform = { ...inf, sends: inf.sends + 1, retransmitAt: now + delay };
  }

  #cancelInform(report: boolean): void {
    const inf = this.#inform;
    if (inf === null) return;
    this.#inform = null;
    this.#remember(inf.xid);
    if (report) this.#emit({ type: 'inform-failed', address: inf.address });
  }

  // ---- input ----------------------------------------------------------------------------------------

  #receive(now: number, msg: DhcpMessage): void {
    if (msg.op !== BOOTREPLY) return this.#bogus('not-bootreply', `op ${msg.op}`);
    const type = messageTypeOf(msg);
    if (type === undefined) return this.#bogus('no-message-type', 'BOOTP reply without option 53');
    const name = messageTypeName(type);
    this.#stats.received[name] = (this.#stats.received[name] ?? 0) + 1;
    const hw = this.config.hwAddress;
    for (let i = 0; i < hw.length; i++) {
      if (msg.chaddr[i] !== hw[i]) return this.#bogus('wrong-chaddr', `${name} for another client`);
    }
    const inf = this.#inform;
    if (inf !== null && msg.xid === inf.xid) {
      if (type !== MessageType.ACK) return this.#bogus('unexpected', `${name} in answer to DHCPINFORM`);
      this.#inform = null;
      this.#remember(inf.xid);
      this.#emit({ type: 'inform-ack', message: msg, serverId: serverIdOf(msg) });
      return;
    }
    const s = this.#state;
    if (s.name === 'STOPPED') return this.#bogus('not-running', `${name} while stopped`);
    if (!('tx' in s) || s.tx.xid !== msg.xid) {
      if (this.#staleXids.includes(msg.xid))
        return this.#bogus('duplicate', `${name} of a finished exchange`);
      return this.#bogus('wrong-xid', `${name} with xid ${msg.xid.toString(16)}`);
    }
    if (type === MessageType.OFFER) {
      if (s.name !== 'SELECTING') return this.#bogus('unexpected', `DHCPOFFER while ${s.name}`);
      return this.#onOffer(now, msg, s);
    }
    if (type === MessageType.ACK) return this.#onAck(now, msg, s);
    if (type === MessageType.NAK) return this.#onNak(now, msg, s);
    return this.#bogus('unexpected', `${name} while ${s.name}`);
  }
}
