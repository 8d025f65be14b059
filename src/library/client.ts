import type { ClientAction, ClientEvent, ClientStep } from '../client/index.ts';
import type { RetransmitPolicy } from '../client/index.ts';
import { DhcpClientEngine as ClientEngine } from '../client/index.ts';
import type { ClientStateName } from '../client/index.ts';
import { fromHex, messageTypeOf } from '../protocol/index.ts';
import type { Transport } from '../transport/index.ts';
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
  /** The interface to send on, for a transport with several (virtual network, packet sockets). */
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
  return new ClientDriver(
    engine,
    transport,
    options,
    options.apply === false ? undefined : (options.apply ?? applierOf(source)),
  );
}

/** Runs the sans-IO engine: performs its actions in order, keeps its timer, feeds it datagrams. */
class ClientDriver implements DhcpClient {
  readonly #engine: ClientEngine;
  readonly #transport: Transport;
  readonly #options: DhcpClientOptions;
  readonly #applier: AddressApplier | undefined;
  readonly #emitter = new Emitter<DhcpClientEvents>((err) => this.#emitter.emit('error', err));
  readonly #informs: ((r: InformReply | Error) => void)[] = [];
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    engine: ClientEngine,
    transport: Transport,
    options: DhcpClientOptions,
    applier: AddressApplier | undefined,
  ) {
    this.#engine = engine;
    this.#transport = transport;
    this.#options = options;
    this.#applier = applier;
    transport.on('message', (data) => this.#run(engine.handle(Date.now(), data)));
    transport.on('error', (err) => this.#emitter.emit('error', err));
    // On the next turn, so listeners attached right after `await dhcp.client()` see every event.
    setImmediate(() => {
      if (this.#stopping === undefined) this.#run(engine.start(Date.now()));
    });
  }

  get lease(): DhcpClientLease | null {
    const l = this.#engine.lease;
    return l === null ? null : clientLeaseOf(l);
  }

  get state(): ClientStateName {
    return this.#engine.stateName;
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
    this.#run(this.#engine.renew(Date.now()));
    return p;
  }

  inform(opts: { readonly address?: string; readonly server?: string } = {}): Promise<InformReply> {
    this.#alive();
    return new Promise<InformReply>((resolve, reject) => {
      const step = this.#engine.inform(Date.now(), opts);
      this.#informs.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.#run(step);
    });
  }

  async release(): Promise<void> {
    this.#alive();
    this.#run(this.#engine.release(Date.now()));
    await this.#queue;
  }

  stop(opts: { readonly release?: boolean } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      const release = opts.release ?? this.#options.releaseOnStop ?? false;
      this.#run(this.#engine.stop(Date.now(), { release }));
      await this.#queue;
      clearTimeout(this.#timer);
      for (const w of this.#informs.splice(0)) w(new DhcpLibraryError('ERR_DHCP_STOPPED', 'client stopped'));
      await this.#transport.close();
    })();
    return this.#stopping;
  }

  #alive(): void {
    if (this.#stopping !== undefined)
      throw new DhcpLibraryError('ERR_DHCP_STOPPED', 'the client was stopped');
  }

  /** The next of `events`, or ERR_DHCP_TIMEOUT. */
  #next(events: readonly ('bound' | 'renewed')[], timeoutMs: number): Promise<DhcpClientLease> {
    return new Promise((resolve, reject) => {
      const done = (lease: DhcpClientLease): void => {
        clearTimeout(timer);
        for (const e of events) this.#emitter.off(e, done);
        resolve(lease);
      };
      const timer = setTimeout(() => {
        for (const e of events) this.#emitter.off(e, done);
        reject(
          new DhcpLibraryError('ERR_DHCP_TIMEOUT', `no ${events.join(' or ')} lease within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      timer.unref();
      for (const e of events) this.#emitter.on(e, done);
    });
  }

  /** Queues a step's actions behind the previous ones and re-arms the timer. */
  #run(step: ClientStep): void {
    const actions = step.actions;
    this.#queue = this.#queue.then(async () => {
      for (const a of actions) await this.#perform(a);
    });
    this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#stopping !== undefined) return;
    const deadline = this.#engine.nextDeadline();
    if (deadline === null) return;
    this.#timer = setTimeout(
      () => this.#run(this.#engine.poll(Date.now())),
      Math.min(Math.max(0, deadline - Date.now()), 0x7fffffff),
    );
  }

  async #perform(a: ClientAction): Promise<void> {
    try {
      switch (a.type) {
        case 'send': {
          const iface = this.#options.interface;
          await this.#transport.send({
            data: a.bytes,
            ip: a.to,
            port: 67,
            ...(iface !== undefined && this.#transport.capabilities.interfaceAware
              ? { interface: iface }
              : {}),
          });
          return;
        }
        case 'configure':
          await this.#applier?.configure(a.lease.address, a.lease.prefixLength ?? 32);
          return;
        case 'deconfigure':
          if (a.lease !== null) await this.#applier?.deconfigure(a.lease.address);
          return;
        case 'probe': {
          const check = this.#options.checkAddress;
          const conflict = check === undefined ? false : await check(a.address);
          this.#run(this.#engine.probeResult(Date.now(), { address: a.address, conflict }));
          return;
        }
        case 'event':
          this.#event(a.event);
          return;
      }
    } catch (err) {
      this.#emitter.emit('error', err);
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
        const hex: Record<string, string> = {};
        for (const code of e.message.options.codes()) {
          const raw = e.message.options.getRaw(code);
          if (raw !== undefined) hex[String(code)] = Buffer.from(raw).toString('hex');
        }
        if (messageTypeOf(e.message) !== undefined) this.#informs.shift()?.(configurationOf(hex));
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
