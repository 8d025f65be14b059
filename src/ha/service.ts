import type { Logger } from 'pino';
import type { HaConfig, HaPeerConfig } from '../config/index.ts';
import { RESULT, answer, failure, success, type Answer } from '../control/index.ts';
import { isJsonObject, type JsonObject } from '../control/index.ts';
import type { Lease } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { messageTypeOf, type DhcpMessage } from '../protocol/index.ts';
import type { LeaseWrite } from '../server/index.ts';
import { PartnerCommunication } from './communication.ts';
import { loadBalanceServer } from './hash.ts';
import { leaseDelete, leaseUpdate, type LeaseUpdate } from './lease-updates.ts';
import { syncLeases } from './sync.ts';
import { errorText, httpPeerSender, type PeerAnswer, type PeerSender } from './partner-client.ts';
import { HA_MESSAGE_TYPES, SERVING_STATES, isHaState, type HaState, type PartnerState } from './states.ts';

/** Kea terminates HA when the partners' clocks differ by more than this (and warns above 30 s). */
const TERMINATE_SKEW_MS = 60_000;
const WARN_SKEW_MS = 30_000;
/** Repeated warnings (partner unreachable, failed updates) are logged at most this often, with a count. */
const WARN_INTERVAL_MS = 10_000;

export interface HaServiceOptions {
  readonly config: HaConfig;
  readonly store: Pick<LeaseStore, 'get' | 'commit' | 'getPage'>;
  /** Kea's Lease4Parser over a lease JSON of a peer (throws on an invalid lease). */
  readonly parseLease: (json: JsonObject) => Lease;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How commands reach the peers; default: HTTP POST to each peer's URL. */
  readonly send?: PeerSender;
}

/** What the pipeline asks of HA for each query: drop it, or serve it with these classes. */
export type ScopeDecision =
  { readonly serve: false } | { readonly serve: true; readonly classes: readonly string[] };

/**
 * Kea's HA service for one relationship: the state machine, the heartbeat, the scopes of load balancing,
 * lease updates to the peers and the lease sync. Behaviour and wire shapes follow Kea 2.2's libdhcp_ha
 * (docs/high-availability.md); the runtime calls `scope` for every query and `replicate` after every commit.
 */
export class HaService {
  readonly config: HaConfig;
  readonly #o: HaServiceOptions;
  readonly #clock: () => number;
  readonly #send: PeerSender;
  readonly #log: Logger;
  readonly partner: PartnerCommunication;
  #state: HaState;
  #previous: HaState;
  #scopes = new Set<string>();
  /** Primary first, then secondary or standby, then backups: Kea's QueryFilter order. */
  readonly #ordered: readonly HaPeerConfig[];
  readonly #activeServers: number;
  #unsentUpdates = 0;
  /** Lease updates held back in communication-recovery (Kea's LeaseUpdateBacklog). */
  #backlog: { updates: LeaseUpdate[]; overflown: boolean } = { updates: [], overflown: false };
  #recovering = false;
  #timer: NodeJS.Timeout | undefined;
  #heartbeatInFlight = false;
  #syncing: Promise<void> | undefined;
  #syncCompleteNotified = false;
  /** Disabled by the partner (`dhcp-disable` with origin ha-partner) while it syncs from us. */
  #disabledByPartner = false;
  #partnerReenable: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #warned = new Map<string, { at: number; count: number }>();

  constructor(options: HaServiceOptions) {
    this.#o = options;
    this.config = options.config;
    this.#clock = options.clock ?? Date.now;
    this.#send = options.send ?? httpPeerSender();
    this.#log = options.logger.child({ ha: options.config.thisServerName });
    const c = options.config;
    this.partner = new PartnerCommunication(
      {
        maxResponseDelay: c.maxResponseDelay,
        maxAckDelay: c.maxAckDelay,
        maxUnackedClients: c.maxUnackedClients,
      },
      this.#clock,
    );
    const rank = { primary: 0, secondary: 1, standby: 1, backup: 2 } as const;
    this.#ordered = [...c.peers].sort((a, b) => rank[a.role] - rank[b.role]);
    this.#activeServers = c.peers.filter((p) => p.role === 'primary' || p.role === 'secondary').length;
    this.#state = 'waiting';
    this.#previous = 'waiting';
    this.#serveNoScopes();
  }

  get state(): HaState {
    return this.#state;
  }

  /** Scopes served now, sorted (Kea lists a std::set). */
  get scopes(): string[] {
    return [...this.#scopes].sort();
  }

  /** Whether the DHCP service is on in this state (Kea's adjustNetworkState) and no partner disabled it. */
  get serviceEnabled(): boolean {
    return SERVING_STATES.has(this.#state) && !this.#disabledByPartner;
  }

  /** Starts the state machine and the heartbeat. */
  start(): void {
    this.#log.info(
      { mode: this.config.mode, role: this.config.thisServer.role },
      `HA: ${this.config.mode} as ${this.config.thisServer.role} ${this.config.thisServerName}`,
    );
    this.#runModel();
    this.#scheduleHeartbeat(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#partnerReenable);
    await this.#syncing?.catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------------------
  // queries

  /**
   * Kea's QueryFilter: whether this server answers the query, and the scope class (`HA_<server>`) it gets
   * either way. A query for the partner's scope while the partner is silent feeds the failure detection.
   */
  scope(msg: DhcpMessage): ScopeDecision {
    const type = messageTypeOf(msg);
    let candidate = 0;
    if (type !== undefined && HA_MESSAGE_TYPES.has(type) && this.config.mode === 'load-balancing') {
      candidate = loadBalanceServer(msg, this.#activeServers);
      if (candidate < 0) return { serve: false };
    }
    const scope = this.#ordered[candidate]!.name;
    const inScope = type === undefined || !HA_MESSAGE_TYPES.has(type) || (this.#scopes.has(scope) ?? false);
    if (!inScope && this.partner.interrupted()) {
      this.partner.analyze(msg);
      // Kea runs its model when a query is analyzed, so partner-down can follow from this very query.
      this.#runModel();
    }
    if (!inScope || !this.serviceEnabled) return { serve: false };
    return { serve: true, classes: [`HA_${scope}`] };
  }

  // ------------------------------------------------------------------------------------------------------
  // lease updates

  /**
   * After a commit: sends the leases it wrote to the peers that should have them (Kea's leases4_committed).
   * Resolves false when a peer that must acknowledge did not: the reply is then not sent, as Kea drops a
   * parked query. Returns null (nothing to wait for) when there is nobody to tell.
   */
  replicate(writes: readonly LeaseWrite[]): Promise<boolean> | null {
    if (!this.config.sendLeaseUpdates) return null;
    const peers = this.config.peers.filter((p) => p !== this.config.thisServer);
    const targets: HaPeerConfig[] = [];
    for (const peer of peers) {
      if (this.#state === 'communication-recovery' && peer.role !== 'backup') this.#queueUpdates(writes);
      else if (this.#shouldSendLeaseUpdates(peer)) targets.push(peer);
      else if (peer.role !== 'backup')
        this.#unsentUpdates = this.#unsentUpdates >= 0xffffffff ? 1 : this.#unsentUpdates + 1;
    }
    if (targets.length === 0) return null;
    return this.#sendUpdates(writes, targets);
  }

  /**
   * A commit's leases into the backlog, up to `delayed-updates-limit`; past it (or for a decline, whose
   * resulting lease is not at hand here) the backlog counts as overflown: a full sync follows recovery.
   */
  #queueUpdates(writes: readonly LeaseWrite[]): void {
    for (const w of writes) {
      if (w.op !== 'claim' || this.#backlog.updates.length >= this.config.delayedUpdatesLimit)
        this.#backlog.overflown = true;
      else this.#backlog.updates.push(leaseUpdate(w.lease));
    }
  }

  #shouldSendLeaseUpdates(peer: HaPeerConfig): boolean {
    if (peer.role === 'backup') return true;
    if (this.config.thisServer.role === 'backup') return false;
    return (
      this.#state === 'load-balancing' ||
      this.#state === 'hot-standby' ||
      this.#state === 'partner-in-maintenance'
    );
  }

  async #sendUpdates(writes: readonly LeaseWrite[], targets: readonly HaPeerConfig[]): Promise<boolean> {
    const updates: LeaseUpdate[] = [];
    for (const w of writes) {
      if (w.op === 'claim') updates.push(leaseUpdate(w.lease));
      else {
        const lease = await this.#o.store.get(w.address);
        if (lease === null) continue;
        updates.push(w.op === 'reclaim' && w.remove ? leaseDelete(lease) : leaseUpdate(lease));
      }
    }
    if (updates.length === 0) return true;
    const mustAck = (peer: HaPeerConfig): boolean => peer.role !== 'backup' || this.config.waitBackupAck;
    // Backups that need not acknowledge get their updates without holding the reply (Kea does not park).
    for (const peer of targets) if (!mustAck(peer)) void this.#updatePeer(peer, updates);
    const results = await Promise.all(targets.filter(mustAck).map((peer) => this.#updatePeer(peer, updates)));
    if (results.some((r) => !r)) this.#runModel();
    return results.every((r) => r);
  }

  /** Sends the updates to one peer in order; resolves whether it took them all. */
  async #updatePeer(peer: HaPeerConfig, updates: readonly LeaseUpdate[]): Promise<boolean> {
    let ok = true;
    for (const u of updates) {
      try {
        const a = await this.#send(peer, u.command, u.arguments);
        // lease4-del of a lease the peer never had answers "empty": nothing is out of step.
        if (a.result !== RESULT.success && a.result !== RESULT.empty) {
          ok = false;
          this.#warn('update-refused', `HA: ${peer.name} refused ${u.command}: ${a.text}`);
        }
      } catch (err) {
        ok = false;
        this.#warn('update-failed', `HA: lease update to ${peer.name} failed: ${errorText(err)}`);
      }
      if (!ok) break;
    }
    if (peer.role !== 'backup') {
      if (ok) this.partner.poke();
      else this.partner.setState('unavailable');
    }
    return ok;
  }

  // ------------------------------------------------------------------------------------------------------
  // heartbeat

  #scheduleHeartbeat(delay: number): void {
    if (this.#stopped || this.config.heartbeatDelay <= 0) return;
    if (this.config.partner === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#heartbeat(), delay);
    this.#timer.unref();
  }

  async #heartbeat(): Promise<void> {
    const partner = this.config.partner;
    if (partner === undefined || this.#stopped || this.#heartbeatInFlight) return;
    if (this.#state === 'terminated') return;
    this.#heartbeatInFlight = true;
    const notified = this.#syncCompleteNotified;
    this.#syncCompleteNotified = false;
    let ok = false;
    try {
      const a = await this.#send(partner, 'ha-heartbeat', undefined);
      ok = this.#takeHeartbeat(a);
    } catch (err) {
      this.#warn('heartbeat', `HA: heartbeat to ${partner.name} failed: ${errorText(err)}`);
    } finally {
      this.#heartbeatInFlight = false;
    }
    if (this.#stopped) return;
    if (ok) this.partner.poke();
    else {
      this.partner.setState('unavailable');
      if (this.partner.interrupted()) {
        this.#warn('interrupted', `HA: communication with ${partner.name} is interrupted`);
      }
    }
    if (notified && !ok && this.#state === 'partner-down')
      this.#log.info('HA: partner synced but is unreachable');
    this.#runModel();
    this.#scheduleHeartbeat(this.config.heartbeatDelay);
  }

  #takeHeartbeat(a: PeerAnswer): boolean {
    const args = a.arguments;
    if (a.result !== RESULT.success || !isJsonObject(args)) {
      this.#warn('heartbeat', `HA: the partner answered ha-heartbeat with ${a.result}: ${a.text}`);
      return false;
    }
    const state = args['state'];
    const dateTime = args['date-time'];
    if (typeof state !== 'string' || !isHaState(state) || typeof dateTime !== 'string') {
      this.#warn('heartbeat', 'HA: the partner answered ha-heartbeat without a valid state or date-time');
      return false;
    }
    this.partner.setState(state);
    this.partner.setPartnerTime(dateTime);
    const scopes = args['scopes'];
    if (Array.isArray(scopes)) {
      this.partner.setScopes(scopes.filter((s): s is string => typeof s === 'string').slice(0, 16));
    }
    const unsent = args['unsent-update-count'];
    if (typeof unsent === 'number' && Number.isInteger(unsent))
      this.partner.setPartnerUnsentUpdateCount(unsent);
    return true;
  }

  // ------------------------------------------------------------------------------------------------------
  // the state machine (Kea's HAService::*StateHandler)

  #transition(next: HaState): void {
    if (next === this.#state) return;
    this.#log.info({ from: this.#state, to: next }, `HA: ${this.#state} -> ${next}`);
    this.#previous = this.#state;
    if (this.#state === 'communication-recovery') this.#backlog = { updates: [], overflown: false };
    this.#state = next;
    this.#onEntry(next);
  }

  /** Kea 2.2's communication-recovery (load balancing with `delayed-updates-limit` above 0). */
  get #allowsCommunicationRecovery(): boolean {
    return this.config.mode === 'load-balancing' && this.config.delayedUpdatesLimit > 0;
  }

  /**
   * In communication-recovery with the partner answering again: a partner back to normal gets the queued
   * updates, then both carry on; an overflown queue, a failed send or a partner in another state means a
   * full sync (`ha-reset` to the partner, waiting here), as in Kea.
   */
  #recover(p: PartnerState): void {
    if (this.partner.interrupted() || this.#recovering) return;
    if (p === 'waiting' || p === 'syncing' || p === 'ready') {
      if (this.#backlog.overflown) this.#transition('waiting');
      return;
    }
    if (p !== 'load-balancing' && p !== 'communication-recovery') return this.#transition('waiting');
    const partner = this.config.partner!;
    const { updates, overflown } = this.#backlog;
    this.#recovering = true;
    void (async () => {
      const sent = !overflown && (await this.#updatePeer(partner, updates));
      if (!sent) await this.#send(partner, 'ha-reset', undefined).catch(() => undefined);
      return sent;
    })()
      .then((sent) => {
        if (this.#state !== 'communication-recovery') return;
        this.#transition(sent ? 'load-balancing' : 'waiting');
      })
      .finally(() => {
        this.#recovering = false;
        this.#runModel();
      });
  }

  #onEntry(state: HaState): void {
    switch (state) {
      case 'load-balancing':
      case 'hot-standby':
      case 'terminated':
      case 'passive-backup':
      case 'communication-recovery':
        this.#serveDefaultScopes();
        break;
      case 'partner-down':
        if (this.#lastEventMaintenance || this.config.thisServer.autoFailover) this.#serveFailoverScopes();
        else this.#serveDefaultScopes();
        break;
      case 'partner-in-maintenance':
        this.#serveFailoverScopes();
        break;
      default:
        this.#serveNoScopes();
    }
    this.#lastEventMaintenance = false;
    if (state === 'terminated')
      this.#log.error('HA: terminated (clock skew); restart both servers once fixed');
  }

  #lastEventMaintenance = false;

  get #normalState(): HaState {
    return this.config.mode === 'load-balancing' ? 'load-balancing' : 'hot-standby';
  }

  #partnerStateInvalid(): boolean {
    const p = this.partner.state;
    if (p === 'hot-standby' && this.config.mode !== 'hot-standby') return true;
    if ((p === 'load-balancing' || p === 'communication-recovery') && this.config.mode !== 'load-balancing')
      return true;
    return false;
  }

  #shouldTerminate(): boolean {
    const skew = Math.abs(this.partner.skewMs);
    if (skew > TERMINATE_SKEW_MS) return true;
    if (skew > WARN_SKEW_MS)
      this.#warn('skew', `HA: clock skew with the partner is ${Math.round(skew / 1000)} s`);
    return false;
  }

  /** Kea's shouldPartnerDown: interrupted, and (where traffic can be watched) enough unacked clients. */
  #shouldPartnerDown(): boolean {
    if (!this.partner.interrupted()) return false;
    const watches =
      this.serviceEnabled &&
      (this.config.mode === 'load-balancing' || this.config.thisServer.role === 'standby');
    return watches ? this.partner.failureDetected() : true;
  }

  /** Runs the handlers until the state settles (each transition re-evaluates, as Kea's runModel does). */
  #runModel(): void {
    for (let i = 0; i < 8 && !this.#stopped; i++) {
      const before = this.#state;
      this.#step();
      if (this.#state === before) return;
    }
  }

  #step(): void {
    const p = this.partner.state;
    switch (this.#state) {
      case 'waiting':
        return this.#waiting(p);
      case 'syncing':
        return this.#syncingState(p);
      case 'ready':
        return this.#ready(p);
      case 'load-balancing':
      case 'hot-standby':
      case 'communication-recovery':
        return this.#normal(p);
      case 'partner-down':
        return this.#partnerDown(p);
      case 'partner-in-maintenance':
        // Kea's partnerInMaintenanceStateHandler: no partner-state check, the partner is expected elsewhere.
        if (this.#shouldTerminate()) return this.#transition('terminated');
        if (p === 'unavailable') this.#transition('partner-down');
        return;
      default:
        // in-maintenance, terminated, backup, passive-backup: left only by a command or a restart.
        return;
    }
  }

  /**
   * How Kea's running-state handlers open: a clock skew past the limit terminates this server, and a
   * partner in a state of the other HA mode sends it back to waiting. True when either decided.
   */
  #skewOrInvalidPartner(): boolean {
    if (this.#shouldTerminate()) this.#transition('terminated');
    else if (this.#partnerStateInvalid()) this.#transition('waiting');
    else return false;
    return true;
  }

  /**
   * The partner states Kea's waiting, syncing and ready handlers answer alike: a terminated partner
   * terminates this server, a silent one is declared down once shouldPartnerDown says so. True when `p`
   * was one of them.
   */
  #terminatedOrSilentPartner(p: PartnerState): boolean {
    if (p === 'terminated') this.#transition('terminated');
    else if (p === 'unavailable' || p === 'unknown') {
      if (this.#shouldPartnerDown()) this.#transition('partner-down');
    } else return false;
    return true;
  }

  /** Kea's waitingStateHandler: the role and the mode are looked at before the partner. */
  #waiting(p: PartnerState): void {
    const role = this.config.thisServer.role;
    if (role === 'backup') return this.#transition('backup');
    if (this.config.mode === 'passive-backup') return this.#transition('passive-backup');
    if (this.#skewOrInvalidPartner()) return;
    const next: HaState = this.config.syncLeases ? 'syncing' : 'ready';
    switch (p) {
      case 'communication-recovery':
      case 'hot-standby':
      case 'load-balancing':
      case 'in-maintenance':
      case 'partner-down':
      case 'partner-in-maintenance':
      case 'ready':
        return this.#transition(next);
      case 'waiting':
        if (role === 'primary') this.#transition(next);
        return;
      case 'terminated':
        // The skew is fine here: the partner has yet to be restarted.
        return;
      default:
        this.#terminatedOrSilentPartner(p);
    }
  }

  /** Kea's syncingStateHandler. */
  #syncingState(p: PartnerState): void {
    if (this.#skewOrInvalidPartner() || this.#terminatedOrSilentPartner(p)) return;
    this.#startSync();
  }

  /** Kea's readyStateHandler. */
  #ready(p: PartnerState): void {
    if (this.#skewOrInvalidPartner()) return;
    switch (p) {
      case 'hot-standby':
      case 'load-balancing':
      case 'communication-recovery':
        return this.#transition(this.#normalState);
      case 'in-maintenance':
        return this.#transition('partner-in-maintenance');
      case 'partner-in-maintenance':
        return this.#transition('in-maintenance');
      case 'ready':
        if (this.config.thisServer.role === 'primary') this.#transition(this.#normalState);
        return;
      default:
        this.#terminatedOrSilentPartner(p);
    }
  }

  /** Kea's normalStateHandler (load-balancing, hot-standby) and communicationRecoveryHandler. */
  #normal(p: PartnerState): void {
    if (this.#skewOrInvalidPartner()) return;
    switch (p) {
      case 'in-maintenance':
        return this.#transition('partner-in-maintenance');
      case 'partner-down':
        return this.#transition('waiting');
      case 'partner-in-maintenance':
        return this.#transition('in-maintenance');
      case 'terminated':
        return this.#transition('terminated');
      case 'unavailable':
        if (this.#shouldPartnerDown()) this.#transition('partner-down');
        else if (this.#allowsCommunicationRecovery) this.#transition('communication-recovery');
        return;
      default:
        if (this.#state === 'communication-recovery') this.#recover(p);
        return;
    }
  }

  /** Kea's partnerDownStateHandler: a partner that does not answer is what this state expects. */
  #partnerDown(p: PartnerState): void {
    if (this.#skewOrInvalidPartner()) return;
    switch (p) {
      case 'communication-recovery':
      case 'partner-down':
      case 'partner-in-maintenance':
        return this.#transition('waiting');
      case 'ready':
        // Our partner served clients it could not tell us about: resync rather than trust our leases.
        return this.#transition(this.partner.partnerHasNewUnsentUpdates() ? 'waiting' : this.#normalState);
      case 'terminated':
        return this.#transition('terminated');
      default:
        return;
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // lease sync

  #startSync(): void {
    if (this.#syncing !== undefined || this.config.partner === undefined) return;
    const partner = this.config.partner;
    const disableSeconds = Math.max(1, Math.floor(this.config.syncTimeout / 1000));
    this.#syncing = this.synchronize(partner, disableSeconds)
      .then((error) => {
        if (error === undefined) {
          if (this.#state === 'syncing') this.#transition('ready');
        } else {
          this.#warn('sync', `HA: lease sync from ${partner.name} failed: ${error}`);
          this.partner.setState('unavailable');
        }
      })
      .finally(() => {
        this.#syncing = undefined;
        this.#runModel();
      });
  }

  /** Kea's synchronize (sync.ts) with this service's peers, store and logger. */
  synchronize(peer: HaPeerConfig, maxPeriod: number): Promise<string | undefined> {
    return syncLeases({
      peer,
      maxPeriod,
      pageLimit: this.config.syncPageLimit,
      send: this.#send,
      store: this.#o.store,
      parseLease: this.#o.parseLease,
      clock: this.#clock,
      log: this.#log,
      skipped: (text) => this.#warn('sync-lease', text),
    });
  }

  // ------------------------------------------------------------------------------------------------------
  // scopes

  #serveNoScopes(): void {
    this.#scopes = new Set();
  }

  #serveDefaultScopes(): void {
    const me = this.config.thisServer;
    this.#scopes = new Set(me.role === 'primary' || me.role === 'secondary' ? [me.name] : []);
  }

  #serveFailoverScopes(): void {
    this.#scopes = new Set(
      this.config.peers.filter((p) => p.role === 'primary' || p.role === 'secondary').map((p) => p.name),
    );
  }

  // ------------------------------------------------------------------------------------------------------
  // commands (Kea's HAService::process*)

  heartbeat(): Answer {
    return success('HA peer status returned.', {
      'date-time': new Date(this.#clock()).toUTCString(),
      scopes: this.scopes,
      state: this.#state,
      'unsent-update-count': this.#unsentUpdates,
    });
  }

  reset(): Answer {
    if (this.#state === 'waiting') return success('HA state machine already in WAITING state.');
    this.#transition('waiting');
    this.#runModel();
    return success('HA state machine reset.');
  }

  setScopes(scopes: readonly string[]): Answer {
    for (const s of scopes) {
      if (!this.config.peers.some((p) => p.name === s)) {
        return failure(`invalid server name specified '${s}' while enabling/disabling HA scopes`);
      }
    }
    this.#scopes = new Set(scopes);
    return success('New HA scopes configured.');
  }

  continue(): Answer {
    // leasekeeper has no `state-machine` pausing configuration: the machine is never paused.
    return success('HA state machine is not paused.');
  }

  maintenanceNotify(cancel: boolean): Answer {
    if (cancel) {
      if (this.#state !== 'in-maintenance') {
        return failure('Unable to cancel the maintenance for the server not in the in-maintenance state.');
      }
      this.#transition(this.#previous);
      return success('Server maintenance canceled.');
    }
    if (
      this.#state === 'backup' ||
      this.#state === 'partner-in-maintenance' ||
      this.#state === 'terminated'
    ) {
      return answer(
        RESULT.haMaintenanceNotAllowed,
        `Unable to transition the server from the ${this.#state} to in-maintenance state.`,
      );
    }
    this.#transition('in-maintenance');
    return success('Server is in-maintenance state.');
  }

  async maintenanceStart(): Promise<Answer> {
    const s = this.#state;
    if (s === 'backup' || s === 'in-maintenance' || s === 'partner-in-maintenance' || s === 'terminated') {
      return failure(`Unable to transition the server from the ${s} to partner-in-maintenance state.`);
    }
    const partner = this.config.partner;
    if (partner === undefined) return failure('this server has no partner to put in maintenance');
    let a: PeerAnswer | undefined;
    try {
      a = await this.#send(partner, 'ha-maintenance-notify', { cancel: false });
    } catch {
      a = undefined;
    }
    if (a === undefined || a.result === RESULT.error) {
      this.partner.setState('unavailable');
      this.#lastEventMaintenance = true;
      this.#transition('partner-down');
      return success(
        'Server is now in the partner-down state as its partner appears to be offline for maintenance.',
      );
    }
    if (a.result !== RESULT.success) {
      return failure(
        'Unable to transition to the partner-in-maintenance state. The partner server responded with the' +
          ` following message to the ha-maintenance-notify command: ${a.text}.`,
      );
    }
    this.#transition('partner-in-maintenance');
    return success(
      'Server is now in the partner-in-maintenance state and its partner is in-maintenance state. The' +
        ' partner can be now safely shut down.',
    );
  }

  async maintenanceCancel(): Promise<Answer> {
    if (this.#state !== 'partner-in-maintenance') {
      return failure(
        'Unable to cancel maintenance request because the server is not in the partner-in-maintenance state.',
      );
    }
    const partner = this.config.partner!;
    let error: string | undefined;
    try {
      const a = await this.#send(partner, 'ha-maintenance-notify', { cancel: true });
      if (a.result !== RESULT.success) error = a.text;
    } catch (err) {
      error = errorText(err);
    }
    if (error !== undefined) {
      this.partner.setState('unavailable');
      return failure(
        'Unable to cancel maintenance. The partner server responded with the following message to the' +
          ` ha-maintenance-notify command: ${error}.`,
      );
    }
    this.#transition(this.#previous);
    this.#runModel();
    return success('Server maintenance successfully canceled.');
  }

  async sync(serverName: string, maxPeriod: number): Promise<Answer> {
    const peer = this.config.peers.find((p) => p.name === serverName && p !== this.config.thisServer);
    if (peer === undefined) return failure(`unable to synchronize with unknown server '${serverName}'`);
    const error = await this.synchronize(peer, maxPeriod > 0 ? maxPeriod : 60);
    return error === undefined ? success('Lease database synchronization complete.') : failure(error);
  }

  syncCompleteNotify(): Answer {
    if (this.#state === 'partner-down') this.#syncCompleteNotified = true;
    this.#enableByPartner();
    return success('Server successfully notified about the synchronization completion.');
  }

  /** `dhcp-disable` / `dhcp-enable` with origin `ha-partner`: the partner syncs from us meanwhile. */
  disableByPartner(maxPeriod: number | undefined): void {
    this.#disabledByPartner = true;
    clearTimeout(this.#partnerReenable);
    if (maxPeriod !== undefined && maxPeriod > 0) {
      this.#partnerReenable = setTimeout(() => this.#enableByPartner(), maxPeriod * 1000);
      this.#partnerReenable.unref();
    }
  }

  enableByPartner(): void {
    this.#enableByPartner();
  }

  #enableByPartner(): void {
    clearTimeout(this.#partnerReenable);
    this.#disabledByPartner = false;
  }

  /** The relationship for `status-get`'s `high-availability` list (Kea's processStatusGet). */
  status(): JsonObject {
    const local = { role: this.config.thisServer.role, scopes: this.scopes, state: this.#state };
    const servers: Record<string, unknown> = { local };
    if (this.config.mode !== 'passive-backup' && this.config.thisServer.role !== 'backup') {
      servers['remote'] = { ...this.partner.report(), role: this.config.partner?.role ?? '' };
    }
    return { 'ha-mode': this.config.mode, 'ha-servers': servers } as JsonObject;
  }

  #warn(key: string, text: string): void {
    const now = this.#clock();
    const w = this.#warned.get(key);
    if (w !== undefined && now - w.at < WARN_INTERVAL_MS) {
      w.count++;
      return;
    }
    const repeated = w?.count ?? 0;
    this.#warned.set(key, { at: now, count: 0 });
    this.#log.warn(
      { repeated },
      repeated > 0 ? `${text} (and ${repeated} more since the last report)` : text,
    );
  }
}
