import { hexOptions, type ClientEvent, type RetransmitPolicy } from '../client/index.ts';
import { DhcpClientEngine as ClientEngine } from '../client/index.ts';
import type { ClientStateName } from '../client/index.ts';
import { fromHex, messageTypeOf } from '../protocol/index.ts';
import { ClientDriver, type HostAction } from '../runtime/client/index.ts';
import type { Scheduler, Transport } from '../transport/index.ts';
import {
  configurationOf,
  clientLeaseOf,
  type DhcpClientLease,
  type DhcpConfiguration,
} from './client-lease.ts';
import type { AddressApplier } from './datagram.ts';
import { Emitter, type TypedEvents } from './emitter.ts';
import { DhcpLibraryError } from './errors.ts';
import { applierOf, openTransport, type DhcpTransportSource } from './source.ts';

/** Options of `dhcp.client()`. */
export interface DhcpClientOptions {
  /** The client's hardware address, `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** Option 12 sent to the server. */
  readonly hostname?: string;
  /**
   * Option 61 as colon hex, type byte first (`01:aa:bb:cc:dd:ee:ff`). Default: type 1 and the MAC, as
   * udhcpc sends; `null` sends none.
   */
  readonly clientId?: string | null;
  /** Ask for this address (option 50). */
  readonly requestedAddress?: string;
  /** Option 60. */
  readonly vendorClass?: string;
  /**
   * The interface the client runs on, for a transport with several (virtual network, packet sockets): sends
   * name it, and only its link events count. Default: the transport's only interface, if it has one.
   */
  readonly interface?: string;
  /**
   * Checks an offered address before using it (what an ARP probe does): resolve true when another host
   * has it, and the client sends DHCPDECLINE and starts again. Default: no check.
   */
  readonly checkAddress?: (address: string) => boolean | Promise<boolean>;
  /** Puts the leased address on the stack (default: the transport's own applier, if it has one). */
  readonly apply?: AddressApplier | false;
  /** Retransmission policy (default RFC 2131: 4 s, 8 s, ... 64 s). */
  readonly retransmit?: RetransmitPolicy;
  /** Send DHCPRELEASE on `stop()` (default false, as udhcpc without `-R`). */
  readonly releaseOnStop?: boolean;
  /**
   * Clock and timers (default real time). Hand the `VirtualClock` of a `VirtualNetwork` to run the client
   * in virtual time with it.
   */
  readonly scheduler?: Scheduler;
}

/** What an INFORM got back (RFC 2131 §4.4.3): configuration only, no lease. */
export type InformReply = DhcpConfiguration;

/** The client's events, in the order they happen. */
export interface DhcpClientEvents {
  /** A new lease (after DHCPACK), applied. */
  bound: DhcpClientLease;
  /** The lease was extended (renewing, rebinding). */
  renewed: DhcpClientLease;
  /** The lease ran out without renewal. */
  expired: DhcpClientLease;
  /** The lease was given back with DHCPRELEASE. */
  released: DhcpClientLease;
  /** An offered address was found in use and declined (DHCPDECLINE sent). */
  declined: { readonly address: string; readonly serverIdentifier: string };
  /** The server refused (DHCPNAK); the client starts again. */
  nak: { readonly serverIdentifier: string | null; readonly message: string | null };
  /** The client's state changed (RFC 2131 states: INIT, SELECTING, REQUESTING, BOUND, RENEWING, ...). */
  state: { readonly from: ClientStateName; readonly to: ClientStateName };
  /** A discovery cycle found no server; the next one starts at `retryAt`. */
  leasefail: { readonly retryAt: number };
  /** A send failed or a listener threw; the client goes on (it retransmits). */
  error: unknown;
}

/** A running client, as `dhcp.client()` returns it. */
export interface DhcpClient extends TypedEvents<DhcpClientEvents> {
  /** The lease held now, or null. */
  readonly lease: DhcpClientLease | null;
  /** The RFC 2131 state. */
  readonly state: ClientStateName;
  /** Resolves with the lease once bound (at once if it is); rejects with ERR_DHCP_TIMEOUT after `timeoutMs`. */
  bound(timeoutMs?: number): Promise<DhcpClientLease>;
  /** Renews now (DHCPREQUEST to the server); resolves with the renewed lease. */
  renew(timeoutMs?: number): Promise<DhcpClientLease>;
  /** Sends DHCPINFORM for the bound (or given) address and resolves with the configuration. */
  inform(options?: { readonly address?: string; readonly server?: string }): Promise<InformReply>;
  /** Gives the lease back (DHCPRELEASE) and removes the address; the client stays stopped until `stop()`. */
  release(): Promise<void>;
  /** Stops the client and closes its transport; `{ release: true }` sends DHCPRELEASE first. Idempotent. */
  stop(options?: { readonly release?: boolean }): Promise<void>;
}

const DEFAULT_WAIT_MS = 60_000;

function clientIdBytes(id: string | null | undefined): Uint8Array | null | undefined {
  if (id === undefined || id === null) return id;
  const bytes = fromHex(id);
  if (bytes === undefined || bytes.length < 2) {
    throw new DhcpLibraryError(
      'ERR_DHCP_OPTIONS',
      `clientId: expected colon hex, type byte first, got ${id}`,
    );
  }
  return bytes;
}

/** Starts a client on one transport source; what `dhcp.client()` runs. */
export async function startClient(
  source: DhcpTransportSource,
  options: DhcpClientOptions,
): Promise<DhcpClient> {
  let engine: ClientEngine;
  try {
    const clientId = clientIdBytes(options.clientId);
    engine = new ClientEngine({
      hwAddress: options.mac,
      ...(clientId !== undefined ? { clientId } : {}),
      ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
      ...(options.requestedAddress !== undefined ? { requestedAddress: options.requestedAddress } : {}),
      ...(options.vendorClass !== undefined ? { vendorClass: options.vendorClass } : {}),
      ...(options.retransmit !== undefined ? { retransmit: options.retransmit } : {}),
      // The default request list plus 119 (domain search), which @tcpip/dhcp's options include.
      requestOptions: [119],
      arpProbe: options.checkAddress !== undefined,
      releaseOnStop: options.releaseOnStop ?? false,
    });
  } catch (err) {
    if (err instanceof DhcpLibraryError) throw err;
    throw new DhcpLibraryError('ERR_DHCP_OPTIONS', err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
  const transport = await openTransport(source, 68);
  return new LibraryClient(
    engine,
    transport,
    options,
    options.apply === false ? undefined : (options.apply ?? applierOf(source)),
  );
}

/** The interface to name: the one asked for, else the only one an interface-aware transport covers. */
function clientInterface(transport: Transport, asked: string | undefined): string | undefined {
  if (asked !== undefined || !transport.capabilities.interfaceAware) return asked;
  const all = transport.interfaces();
  return all.length === 1 ? all[0]!.name : undefined;
}

interface Wait {
  readonly done: (lease: DhcpClientLease) => void;
  readonly fail: (err: Error) => void;
}

/**
 * `dhcp.client()`: the shared client driver (src/runtime/client) on the library's transport, with the
 * engine's events mapped to typed events and the commands as promises.
 */
class LibraryClient implements DhcpClient {
  readonly #driver: ClientDriver;
  readonly #options: DhcpClientOptions;
  readonly #applier: AddressApplier | undefined;
  readonly #emitter = new Emitter<DhcpClientEvents>((err) => this.#emitter.emit('error', err));
  readonly #informs: ((r: InformReply | Error) => void)[] = [];
  readonly #waits = new Set<Wait>();
  #stopping: Promise<void> | undefined;

  constructor(
    engine: ClientEngine,
    transport: Transport,
    options: DhcpClientOptions,
    applier: AddressApplier | undefined,
  ) {
    this.#options = options;
    this.#applier = applier;
    const check = options.checkAddress;
    const iface = clientInterface(transport, options.interface);
    this.#driver = new ClientDriver({
      engine,
      transport,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      ...(iface === undefined ? {} : { interface: iface }),
      ...(check === undefined ? {} : { checkAddress: (address: string) => check(address) }),
      perform: (a) => this.#perform(a),
      onNotice: (n) => {
        if (n.type === 'error') this.#emitter.emit('error', n.cause);
      },
    });
    // On the next turn, so listeners attached right after `await dhcp.client()` see every event.
    this.#driver.scheduler.setTimeout(() => {
      if (this.#stopping === undefined) this.#driver.command((now) => engine.start(now));
    }, 0);
  }

  get lease(): DhcpClientLease | null {
    const l = this.#driver.engine.lease;
    return l === null ? null : clientLeaseOf(l);
  }

  get state(): ClientStateName {
    return this.#driver.engine.stateName;
  }

  on<K extends keyof DhcpClientEvents>(event: K, listener: (p: DhcpClientEvents[K]) => void): this {
    this.#emitter.on(event, listener);
    return this;
  }
  off<K extends keyof DhcpClientEvents>(event: K, listener: (p: DhcpClientEvents[K]) => void): this {
    this.#emitter.off(event, listener);
    return this;
  }
  once<K extends keyof DhcpClientEvents>(event: K, listener: (p: DhcpClientEvents[K]) => void): this {
    this.#emitter.once(event, listener);
    return this;
  }

  bound(timeoutMs = DEFAULT_WAIT_MS): Promise<DhcpClientLease> {
    const s = this.state;
    const lease = this.lease;
    if (lease !== null && (s === 'BOUND' || s === 'RENEWING' || s === 'REBINDING'))
      return Promise.resolve(lease);
    return this.#next(['bound'], timeoutMs);
  }

  renew(timeoutMs = DEFAULT_WAIT_MS): Promise<DhcpClientLease> {
    this.#alive();
    const p = this.#next(['renewed', 'bound'], timeoutMs);
    this.#driver.command((now) => this.#driver.engine.renew(now));
    return p;
  }

  inform(opts: { readonly address?: string; readonly server?: string } = {}): Promise<InformReply> {
    this.#alive();
    return new Promise<InformReply>((resolve, reject) => {
      const step = this.#driver.engine.inform(this.#driver.now(), opts);
      this.#informs.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.#driver.dispatch(step);
    });
  }

  async release(): Promise<void> {
    this.#alive();
    this.#driver.command((now) => this.#driver.engine.release(now));
    await this.#driver.idle();
  }

  stop(opts: { readonly release?: boolean } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#driver.stop({ release: opts.release ?? this.#options.releaseOnStop ?? false });
      const stopped = (): DhcpLibraryError => new DhcpLibraryError('ERR_DHCP_STOPPED', 'client stopped');
      for (const w of this.#informs.splice(0)) w(stopped());
      for (const w of [...this.#waits]) w.fail(stopped());
    })();
    return this.#stopping;
  }

  #alive(): void {
    if (this.#stopping !== undefined)
      throw new DhcpLibraryError('ERR_DHCP_STOPPED', 'the client was stopped');
  }

  /** The next of `events`; ERR_DHCP_TIMEOUT after `timeoutMs`, ERR_DHCP_STOPPED at `stop()`. */
  #next(events: readonly ('bound' | 'renewed')[], timeoutMs: number): Promise<DhcpClientLease> {
    const scheduler = this.#driver.scheduler;
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        scheduler.clearTimeout(timer);
        this.#waits.delete(wait);
        for (const e of events) this.#emitter.off(e, wait.done);
      };
      const wait: Wait = {
        done: (lease) => {
          settle();
          resolve(lease);
        },
        fail: (err) => {
          settle();
          reject(err);
        },
      };
      const timer = scheduler.setTimeout(
        () =>
          wait.fail(
            new DhcpLibraryError(
              'ERR_DHCP_TIMEOUT',
              `no ${events.join(' or ')} lease within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.#waits.add(wait);
      for (const e of events) this.#emitter.on(e, wait.done);
    });
  }

  async #perform(a: HostAction): Promise<void> {
    switch (a.type) {
      case 'configure':
        await this.#applier?.configure(a.lease.address, a.lease.prefixLength ?? 32);
        return;
      case 'deconfigure':
        if (a.lease !== null) await this.#applier?.deconfigure(a.lease.address);
        return;
      case 'event':
        this.#event(a.event);
        return;
    }
  }

  #event(e: ClientEvent): void {
    const em = this.#emitter;
    switch (e.type) {
      case 'lease-acquired':
        return em.emit('bound', clientLeaseOf(e.lease));
      case 'lease-renewed':
        return em.emit('renewed', clientLeaseOf(e.lease));
      case 'lease-expired':
        return em.emit('expired', clientLeaseOf(e.lease));
      case 'lease-lost':
        if (e.reason === 'released') em.emit('released', clientLeaseOf(e.lease));
        return;
      case 'decline':
        return em.emit('declined', { address: e.address, serverIdentifier: e.serverId });
      case 'nak':
        return em.emit('nak', { serverIdentifier: e.serverId, message: e.text });
      case 'state':
        return em.emit('state', { from: e.from, to: e.to });
      case 'leasefail':
        return em.emit('leasefail', { retryAt: e.retryAt });
      case 'inform-ack': {
        if (messageTypeOf(e.message) !== undefined)
          this.#informs.shift()?.(configurationOf(hexOptions(e.message.options)));
        return;
      }
      case 'inform-failed':
        this.#informs.shift()?.(
          new DhcpLibraryError('ERR_DHCP_TIMEOUT', `no answer to DHCPINFORM for ${e.address}`),
        );
        return;
      default:
        return;
    }
  }
}
