import { unlink } from 'node:fs/promises';
import { DhcpClientEngine, udhcpcScriptCalls, usableLease } from '../../client/index.ts';
import type {
  ClientAction,
  ClientConfig,
  ClientLease,
  ClientStats,
  ClientStatus,
  InformOptions,
} from '../../client/index.ts';
import { ListenerSet } from '../../listener-set.ts';
import { realScheduler, type Scheduler } from '../../transport/index.ts';
import type { LeaseApplier } from './applier.ts';
import { ClientDriver, type HostAction } from './driver.ts';
import { ClientRuntimeError } from './errors.ts';
import { runtimeEvent, type RuntimeEvent, type TimedEvent } from './events.ts';
import { IprouteApplier } from './iproute-applier.ts';
import { readLeaseFile, writeLeaseFile } from './lease-file.ts';
import { openLinuxClientTransport, type ClientTransport, type OpenClientTransport } from './transport.ts';

export interface ClientRuntimeOptions {
  /** The one interface the client runs on (a client binds to one interface only). */
  readonly interface: string;
  /** Engine settings; `hwAddress` defaults to the interface's MAC. */
  readonly client?: Omit<ClientConfig, 'hwAddress'> & { readonly hwAddress?: ClientConfig['hwAddress'] };
  /** What applies leases: a udhcpc script or the built-in iproute2 applier (default). */
  readonly applier?: LeaseApplier;
  /** Remember the lease here, and start from it (INIT-REBOOT) when it is still valid. */
  readonly leaseFile?: string;
  /** Network namespace to open the sockets in (tests drive a namespace from outside). */
  readonly netns?: string;
  /** Clock and timers (default real time); tests inject a VirtualClock. */
  readonly scheduler?: Scheduler;
  /** Default: a LinuxTransport on the interface, port 68. */
  readonly openTransport?: OpenClientTransport;
  /** How long one RFC 5227 probe lasts (default 2 s, as udhcpc -a). */
  readonly arpProbeMs?: number;
  /**
   * A lease this process takes over from its parent (the CLI backgrounding after binding): the start
   * does not deconfigure it, and it is verified with INIT-REBOOT.
   */
  readonly adoptLease?: ClientLease;
  /** Subscribed before the start, so it also sees what happens during it (an interface without carrier). */
  readonly onEvent?: Listener;
  /**
   * The client's UDP port (default 68); servers are addressed on the port below it, as busybox udhcpc's
   * `-P PORT` does (CLIENT_PORT = PORT, SERVER_PORT = PORT - 1).
   */
  readonly clientPort?: number;
  /**
   * Do not acquire a lease: send one DHCPINFORM (RFC 2131 §3.4) for this address and wait for its
   * `inform-ack` or `inform-failed` event. The engine stays STOPPED; nothing is configured.
   */
  readonly informOnly?: InformOptions & { readonly address: string };
}

/** `status` of the control channel: the engine's report plus the interface and the times left. */
export interface RuntimeStatus extends ClientStatus {
  readonly interface: string;
  readonly hwAddress: string;
  readonly now: number;
  /** Seconds until T1, T2 and expiry (negative when past, null without a lease or for an infinite one). */
  readonly renewIn: number | null;
  readonly rebindIn: number | null;
  readonly expiresIn: number | null;
  readonly errors: number;
  /**
   * Whether the lease is on the interface: `applied`, `failed` (the applier rejected the last
   * bound/renew: `applyError` says why), or `none` (no lease configured).
   */
  readonly configuration: 'applied' | 'failed' | 'none';
  readonly applyError: ApplyFailure | null;
}

/** The last failure to apply a lease (bound/renew) with the built-in applier or the script. */
export interface ApplyFailure {
  readonly event: 'bound' | 'renew';
  readonly address: string;
  readonly code: string;
  readonly message: string;
  readonly time: number;
}

type Listener = (e: TimedEvent) => void;

/**
 * The CLI's client: the shared {@link ClientDriver} on one kernel interface (a LinuxTransport by default),
 * with an ARP probe before binding, a lease applier (udhcpc script or iproute2), the lease file, and the
 * status the control socket reports. Nothing here throws past the runtime: failures become `error` events.
 */
export class ClientRuntime {
  readonly interface: string;
  readonly #o: ClientRuntimeOptions;
  readonly #scheduler: Scheduler;
  readonly #applier: LeaseApplier;
  // A listener's failure is its own business.
  readonly #listeners = new ListenerSet<[TimedEvent]>(() => undefined);
  #driver: ClientDriver | undefined;
  #transport: ClientTransport | undefined;
  #hw = '';
  #applied: ClientLease | null = null;
  #applyFailure: ApplyFailure | null = null;
  #stopped = false;
  #errors = 0;

  private constructor(options: ClientRuntimeOptions) {
    this.interface = options.interface;
    this.#o = options;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#applier =
      options.applier ?? new IprouteApplier(options.netns === undefined ? {} : { netns: options.netns });
    if (options.onEvent !== undefined) this.#listeners.add(options.onEvent);
  }

  /** Opens the interface and starts the engine (INIT, or INIT-REBOOT from the lease file). */
  static async start(options: ClientRuntimeOptions): Promise<ClientRuntime> {
    const rt = new ClientRuntime(options);
    await rt.#start();
    return rt;
  }

  get engine(): DhcpClientEngine {
    if (this.#driver === undefined) throw new ClientRuntimeError('ERR_CLIENT_STOPPED', 'not started');
    return this.#driver.engine;
  }

  get #started(): ClientDriver {
    if (this.#driver === undefined) throw new ClientRuntimeError('ERR_CLIENT_STOPPED', 'not started');
    return this.#driver;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    return this.#listeners.add(listener);
  }

  now(): number {
    return this.#scheduler.now();
  }

  async #start(): Promise<void> {
    const port = this.#o.clientPort ?? 68;
    const open = this.#o.openTransport ?? openLinuxClientTransport;
    let transport: ClientTransport;
    try {
      transport = await open({
        interface: this.interface,
        port,
        ...(this.#o.netns === undefined ? {} : { netns: this.#o.netns }),
      });
    } catch (err) {
      throw new ClientRuntimeError('ERR_CLIENT_START', `cannot open ${this.interface}: ${errText(err)}`, {
        cause: err,
      });
    }
    this.#transport = transport;
    const info = transport.interfaceInfo?.(this.interface);
    const hw = this.#o.client?.hwAddress ?? info?.mac;
    if (hw === undefined) {
      await transport.close();
      throw new ClientRuntimeError('ERR_CLIENT_START', `no hardware address for ${this.interface}`);
    }
    let engine: DhcpClientEngine;
    try {
      engine = new DhcpClientEngine({ ...this.#o.client, hwAddress: hw });
    } catch (err) {
      await transport.close();
      throw err;
    }
    this.#hw = [...engine.config.hwAddress].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const driver = new ClientDriver({
      engine,
      transport,
      interface: this.interface,
      clientPort: port,
      scheduler: this.#scheduler,
      ...(this.#o.arpProbeMs === undefined ? {} : { probeMs: this.#o.arpProbeMs }),
      perform: (a) => this.#do(a),
      onNotice: (n) => {
        if (n.type === 'error') this.#error(n.code, n.message);
        else this.#publish(n);
      },
    });
    this.#driver = driver;

    const now = driver.now();
    if (this.#o.informOnly !== undefined) {
      const inform = this.#o.informOnly;
      driver.command((t) => engine.inform(t, inform));
      return;
    }
    let previous: ClientLease | null = this.#o.adoptLease ?? null;
    if (previous === null && this.#o.leaseFile !== undefined) {
      try {
        const file = await readLeaseFile(this.#o.leaseFile);
        previous = file === null ? null : usableLease(file, this.interface, this.#hw, now);
      } catch (err) {
        this.#error('ERR_CLIENT_LEASE_FILE', errText(err));
      }
    }
    if (info !== undefined && !(info.up && info.carrier)) {
      // Nothing goes out before the carrier comes: the transport's link event starts the exchange.
      this.#publish({ type: 'link', up: info.up, carrier: info.carrier, present: true });
      engine.linkDown(now);
    }
    let step = engine.start(now, { previousLease: previous });
    if (this.#o.adoptLease !== undefined) {
      // The parent configured this lease: keep it while INIT-REBOOT verifies it.
      this.#applied = this.#o.adoptLease;
      step = { ...step, actions: step.actions.filter((a) => a.type !== 'deconfigure') };
    }
    driver.dispatch(step);
  }

  // ---- commands -------------------------------------------------------------------------------------

  /** Renew now (SIGUSR1, `client ctl renew`). */
  renew(): void {
    this.#started.command((now) => this.engine.renew(now));
  }

  /** Release the lease (SIGUSR2, `client ctl release`). */
  release(): void {
    this.#started.command((now) => this.engine.release(now));
  }

  /**
   * Send a DHCPINFORM (RFC 2131 §4.4.3) beside the lease: for the bound address unless `address` is
   * given. The answer comes as an `inform-ack` (or `inform-failed`) event. Throws ClientStateError
   * (ERR_CLIENT_NO_ADDRESS) without an address.
   */
  inform(opts: InformOptions = {}): void {
    this.#started.command((now) => this.engine.inform(now, opts));
  }

  /** Resolves once every action asked for so far is done. */
  idle(): Promise<void> {
    return this.#driver?.idle() ?? Promise.resolve();
  }

  /** Stops the engine (releasing first with `release`), waits for its actions, closes the sockets. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#driver?.stop(opts);
    this.#listeners.clear();
  }

  /** Stops without any further action (the CLI handing the lease over to a background child). */
  async abandon(): Promise<void> {
    this.#stopped = true;
    await this.#driver?.abandon();
    this.#listeners.clear();
  }

  /** The engine's counters, plus runtime errors and the frames the transport refused (by reason). */
  statistics(): ClientStats & { errors: number; transportDrops: Record<string, number> } {
    return {
      ...this.engine.stats,
      errors: this.#errors,
      transportDrops: Object.fromEntries(this.#transport?.drops ?? []),
    };
  }

  status(): RuntimeStatus {
    const now = this.now();
    const s = this.engine.status();
    const left = (t: number | null | undefined): number | null =>
      t === null || t === undefined ? null : Math.round((t - now) / 1000);
    return {
      interface: this.interface,
      hwAddress: this.#hw,
      now,
      ...s,
      renewIn: left(s.lease?.renewAt),
      rebindIn: left(s.lease?.rebindAt),
      expiresIn: left(s.lease?.expiresAt),
      errors: this.#errors,
      configuration: this.#applyFailure !== null ? 'failed' : this.#applied !== null ? 'applied' : 'none',
      applyError: this.#applyFailure,
    };
  }

  // ---- what the driver hands over -------------------------------------------------------------------

  async #do(a: HostAction): Promise<void> {
    switch (a.type) {
      case 'configure':
        try {
          await this.#apply(a);
          this.#applyFailure = null;
        } catch (err) {
          // Part of the lease may be on the interface (an address without its route): it is treated as
          // applied, so the next renewal re-applies it in place, and reported as a failure until then.
          const code = err instanceof ClientRuntimeError ? err.code : 'ERR_CLIENT_APPLY';
          const message = `${a.reason} ${a.lease.address} not applied: ${errText(err)}`;
          this.#applyFailure = { event: a.reason, address: a.lease.address, code, message, time: this.now() };
          this.#error(code, message);
        }
        this.#applied = a.lease;
        if (this.#o.leaseFile !== undefined) await this.#saveLease(a.lease);
        if (a.reason === 'bound' && this.engine.config.arpProbe) {
          // RFC 5227 §2.3: announce the address now in use. Best effort.
          this.#transport?.arpAnnounce?.(this.interface, a.lease.address).catch(() => undefined);
        }
        return;
      case 'deconfigure':
        await this.#apply(a);
        this.#applied = null;
        this.#applyFailure = null;
        if (this.#o.leaseFile !== undefined && a.reason !== 'start' && a.reason !== 'replaced') {
          await unlink(this.#o.leaseFile).catch(() => undefined);
        }
        return;
      case 'event':
        this.#publish(runtimeEvent(a.event, this.interface));
        await this.#apply(a);
        return;
    }
  }

  async #apply(a: ClientAction): Promise<void> {
    for (const call of udhcpcScriptCalls([a], this.interface)) {
      const lease = a.type === 'configure' || a.type === 'deconfigure' ? a.lease : null;
      const r = await this.#applier.apply({
        interface: this.interface,
        event: call.event,
        env: call.env,
        lease,
        previous: this.#applied,
      });
      this.#publish({ type: 'script', event: call.event, exitCode: r.exitCode });
    }
  }

  async #saveLease(lease: ClientLease): Promise<void> {
    const path = this.#o.leaseFile;
    if (path === undefined) return;
    try {
      await writeLeaseFile(path, {
        interface: this.interface,
        hwAddress: this.#hw,
        savedAt: this.now(),
        lease,
      });
    } catch (err) {
      this.#error('ERR_CLIENT_LEASE_FILE', errText(err));
    }
  }

  // ---- publishing -----------------------------------------------------------------------------------

  #error(code: string, message: string): void {
    this.#errors++;
    this.#publish({ type: 'error', code, message });
  }

  #publish(e: RuntimeEvent): void {
    const timed: TimedEvent = { ...e, time: this.now() };
    this.#listeners.emit(timed);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
