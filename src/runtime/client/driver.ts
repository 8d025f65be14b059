import type {
  ClientAction,
  ClientStep,
  ConfigureAction,
  DeconfigureAction,
  DhcpClientEngine,
  EventAction,
  SendAction,
} from '../../client/index.ts';
import { LeasekeeperError } from '../../errors.ts';
import { messageTypeName, messageTypeOf } from '../../protocol/index.ts';
import type { DatagramMeta, LinkState, Transport, TransportError } from '../../transport/index.ts';
import { realScheduler, type Scheduler } from '../../transport/index.ts';

const BROADCAST = '255.255.255.255';
/** setTimeout's longest delay; a later deadline is reached by polling early (harmless: nothing is due). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** RFC 5227 §2.1.1 probing as udhcpc -a does it: about 2 s. */
const DEFAULT_PROBE_MS = 2_000;
/** A probe ends this long before the engine's own deadline, at which it binds regardless. */
const PROBE_MARGIN_MS = 100;

/** The engine's actions a front end performs itself: the lease on the host, and the events to publish. */
export type HostAction = ConfigureAction | DeconfigureAction | EventAction;

/** What the driver sees beside the engine's own events: sends, link changes, failures. */
export type DriverNotice =
  | {
      readonly type: 'sent';
      readonly message: string;
      readonly to: string;
      readonly from: string;
      readonly via: SendAction['via'];
    }
  | { readonly type: 'link'; readonly up: boolean; readonly carrier: boolean; readonly present: boolean }
  | { readonly type: 'error'; readonly code: string; readonly message: string; readonly cause: unknown };

export interface ClientDriverOptions {
  readonly engine: DhcpClientEngine;
  readonly transport: Transport;
  /** Clock and timers (default real time); tests and simulations hand a VirtualClock. */
  readonly scheduler?: Scheduler;
  /**
   * The interface the client runs on: datagrams and link events of other interfaces are ignored, and sends
   * name it when the transport is interface-aware. Without one, every link event of the transport counts.
   */
  readonly interface?: string;
  /** The client's UDP port (default 68); servers are addressed on the port below it (udhcpc's `-P`). */
  readonly clientPort?: number;
  /**
   * Answers the engine's address check: true when another host has `address`. Default: the transport's
   * ARP probe on `interface`, or no conflict where the transport cannot probe.
   */
  readonly checkAddress?: (address: string, timeoutMs: number) => boolean | Promise<boolean>;
  /** How long one RFC 5227 probe lasts (default 2 s, as udhcpc -a). */
  readonly probeMs?: number;
  /**
   * Performs a configure, deconfigure or event action, in the engine's order: each one starts after the
   * previous one settled. A rejection becomes an `error` notice (the error's code, else ERR_CLIENT_APPLY).
   */
  readonly perform: (action: HostAction) => void | Promise<void>;
  /** Told of every send, link change and failure. Must not throw. */
  readonly onNotice?: (notice: DriverNotice) => void;
}

/**
 * Drives the sans-IO client engine over one transport, as smoltcp's DHCP socket is driven: `pollAt()` is
 * when the engine wants time next, `process()` feeds it a datagram, `dispatch()` carries out a step. Every
 * engine call is synchronous; the actions it returns are performed one after the other on one chain,
 * each send handed to the network before the next action starts (a RELEASE must leave before the
 * deconfigure removes its source address). The driver owns the engine's timer on the injected scheduler
 * and follows the transport's datagrams, link events and errors. Nothing throws past it: failures are
 * `error` notices and the engine retransmits.
 *
 * The front ends build on it: the CLI's `ClientRuntime` (applier, lease file, control socket) and the
 * library's `dhcp.client()` (typed events, promises).
 */
export class ClientDriver {
  readonly engine: DhcpClientEngine;
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly interface: string | undefined;
  readonly clientPort: number;
  readonly #o: ClientDriverOptions;
  #timer: unknown;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: ClientDriverOptions) {
    this.#o = options;
    this.engine = options.engine;
    this.transport = options.transport;
    this.scheduler = options.scheduler ?? realScheduler;
    this.interface = options.interface;
    this.clientPort = options.clientPort ?? 68;
    this.transport.on('message', (data, meta) => this.process(data, meta));
    this.transport.on('link', (s) => this.#onLink(s));
    this.transport.on('error', (e) => this.#onTransportError(e));
  }

  now(): number {
    return this.scheduler.now();
  }

  /** When the engine must be polled next (ms since the epoch), or null: only on input. */
  pollAt(): number | null {
    return this.engine.nextDeadline();
  }

  /** Feeds one datagram to the engine: ignored when from another interface or not from a server port. */
  process(data: Uint8Array, meta: Pick<DatagramMeta, 'interface' | 'sourcePort'>): void {
    if (this.#stopped) return;
    const iface = this.interface;
    if (iface !== undefined && meta.interface !== undefined && meta.interface.name !== iface) return;
    if (meta.sourcePort !== this.clientPort - 1) return;
    this.dispatch(this.engine.handle(this.now(), data));
  }

  /** Lets the engine act on the time (what the timer does when `pollAt()` comes). */
  poll(): void {
    if (!this.#stopped) this.dispatch(this.engine.poll(this.now()));
  }

  /** Runs an engine command at the scheduler's time and carries out its step; nothing once stopped. */
  command(run: (now: number) => ClientStep): void {
    if (!this.#stopped) this.dispatch(run(this.now()));
  }

  /** Queues a step's actions behind the earlier ones and re-arms the timer for its deadline. */
  dispatch(step: ClientStep): void {
    this.#arm(step.deadline);
    if (step.actions.length === 0) return;
    const actions = step.actions;
    this.#chain = this.#chain.then(() => this.#performAll(actions));
  }

  /** Resolves once every action asked for so far is done. */
  idle(): Promise<void> {
    return this.#chain;
  }

  /**
   * Stops the engine (sending DHCPRELEASE first with `release`), waits for its actions, closes the
   * transport. Idempotent.
   */
  async stop(opts: { readonly release?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    const release = opts.release ?? this.engine.config.releaseOnStop;
    this.dispatch(this.engine.stop(this.now(), { release }));
    await this.abandon();
  }

  /** Stops without any further action (the CLI handing the lease to a background child), closes the transport. */
  async abandon(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
    this.#disarm();
    await this.transport.close();
  }

  // ---- inputs ---------------------------------------------------------------------------------------

  #onLink(s: LinkState): void {
    if (this.#stopped || (this.interface !== undefined && s.interface !== this.interface)) return;
    this.#notice({ type: 'link', up: s.up, carrier: s.carrier, present: s.present });
    const up = s.present && s.up && s.carrier;
    this.command((now) => (up ? this.engine.linkUp(now) : this.engine.linkDown(now)));
  }

  #onTransportError(e: TransportError): void {
    if (!this.#stopped) this.#notice({ type: 'error', code: e.code, message: e.message, cause: e });
  }

  // ---- the action chain -----------------------------------------------------------------------------

  #disarm(): void {
    if (this.#timer !== undefined) this.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(deadline: number | null): void {
    this.#disarm();
    if (deadline === null || this.#stopped) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, deadline - this.now()));
    this.#timer = this.scheduler.setTimeout(() => {
      this.#timer = undefined;
      this.poll();
    }, delay);
  }

  async #performAll(actions: readonly ClientAction[]): Promise<void> {
    for (const a of actions) {
      try {
        if (a.type === 'send') await this.#send(a);
        else if (a.type === 'probe') this.#probe(a.address, a.deadline);
        else await this.#o.perform(a);
      } catch (err) {
        this.#error(err, 'ERR_CLIENT_APPLY');
      }
    }
  }

  async #send(a: SendAction): Promise<void> {
    // Without an address the source is named (0.0.0.0, or ours while REBINDING): a packet socket writes
    // it, since no UDP socket can be bound to it. Only a transport that builds its own frames (what
    // `broadcastWithoutRoute` says) can; a plain UDP socket refuses the field, and sends from its own.
    const named =
      (a.via === 'raw' || a.to === BROADCAST) && this.transport.capabilities.broadcastWithoutRoute;
    const iface = this.interface;
    try {
      await this.transport.send({
        data: a.bytes,
        ip: a.to,
        port: this.clientPort - 1,
        ...(iface !== undefined && this.transport.capabilities.interfaceAware ? { interface: iface } : {}),
        ...(named ? { sourceIp: a.from } : {}),
      });
    } catch (err) {
      // The engine's retransmission timer sends again; nothing to feed back.
      this.#error(err, 'ERR_CLIENT_SEND');
      return;
    }
    this.#notice({
      type: 'sent',
      message: messageTypeName(messageTypeOf(a.message) ?? 0),
      to: a.to,
      from: a.from,
      via: a.via,
    });
  }

  /** Runs the address check beside the chain, and answers before the engine's deadline. */
  #probe(address: string, deadline: number): void {
    const answer = (conflict: boolean): void =>
      this.command((now) => this.engine.probeResult(now, { address, conflict }));
    const ms = Math.max(
      1,
      Math.min(this.#o.probeMs ?? DEFAULT_PROBE_MS, deadline - this.now() - PROBE_MARGIN_MS),
    );
    let check = this.#o.checkAddress;
    const t = this.transport;
    const iface = this.interface;
    if (check === undefined && t.arpProbe !== undefined && iface !== undefined) {
      check = async (ip, timeoutMs) => (await t.arpProbe!(iface, ip, timeoutMs)).inUse;
    }
    if (check === undefined) return answer(false);
    const probe = check;
    void (async () => probe(address, ms))().then(answer, (err: unknown) => {
      this.#error(err, 'ERR_CLIENT_PROBE', 'ERR_CLIENT_PROBE');
      answer(false);
    });
  }

  // ---- notices --------------------------------------------------------------------------------------

  /** Reports a failure: the error's own code when it is one of ours (unless `force`), else `fallback`. */
  #error(err: unknown, fallback: string, force?: string): void {
    const code = force ?? (err instanceof LeasekeeperError ? err.code : fallback);
    this.#notice({
      type: 'error',
      code,
      message: err instanceof Error ? err.message : String(err),
      cause: err,
    });
  }

  #notice(n: DriverNotice): void {
    this.#o.onNotice?.(n);
  }
}
