import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Dhcp4Json } from '../config/index.ts';
import type { CompiledConfig } from '../config/index.ts';
import { MemoryLeaseStore } from '../leases/index.ts';
import { openLeaseStore } from '../leases/index.ts';
import type { LeaseChange, LeaseStore } from '../leases/index.ts';
import { intToIp, ipToInt, isValidIp } from '../protocol/index.ts';
import type { ServedInterface } from '../runtime/index.ts';
import { startServer, type ServerRuntime } from '../runtime/index.ts';
import type { ExchangeEvent } from '../server/index.ts';
import type { Transport } from '../transport/index.ts';
import { Emitter, type TypedEvents } from './emitter.ts';
import { DhcpLibraryError } from './errors.ts';
import { leasesOf, type DhcpLeaseLookup } from './lease-lookup.ts';
import { EngineLeaseMap } from './lease-map.ts';
import { classifyChange, leaseView, type DhcpLease } from './lease-view.ts';
import {
  compile,
  isKeaOptions,
  seedNetwork,
  seedToKea,
  withReservations,
  type LeaseStoreOption,
  type ServeOptions,
} from './options.ts';
import { openTransport, type DhcpTransportSource } from './source.ts';

/** An address offered to a client (DHCPOFFER sent); no lease exists yet. */
export interface OfferEvent {
  readonly ip: string;
  readonly mac: string;
  readonly clientId: string | null;
  readonly hostname: string | null;
  readonly subnetId: number | null;
}

/**
 * A lease event: the lease concerned. For `bound` and `renewed` the lease as now granted; for
 * `released`, `declined` and `expired` the client's lease as it was until then (`expiresAt` its old end).
 */
export type LeaseEvent = DhcpLease;

/** The server's events, each emitted once per change, in the order the changes happened. */
export interface DhcpServerEvents {
  /** DHCPOFFER sent. */
  offered: OfferEvent;
  /** A client got a new lease (DHCPACK after a new binding). */
  bound: LeaseEvent;
  /** A client extended its lease (DHCPACK to a renewal, rebinding or reboot). */
  renewed: LeaseEvent;
  /** A client gave its lease back (DHCPRELEASE), moved to another address, or an operator deleted it. */
  released: LeaseEvent;
  /** A client reported the address in use (DHCPDECLINE): it is on probation. */
  declined: LeaseEvent;
  /** A lease ran out and was reclaimed. */
  expired: LeaseEvent;
  /** A listener threw; the server goes on. */
  error: unknown;
}

/** A running server, as `dhcp.serve()` returns it. */
export interface DhcpServer extends TypedEvents<DhcpServerEvents> {
  /** Live leases keyed by IP, kept up to date from the lease store (`[...server.leases.values()]`). */
  readonly leases: ReadonlyMap<string, DhcpLease>;
  /**
   * The entries of `leases` of one client, by `mac`, `clientId` (each optionally in one `subnetId`) or
   * `hostname`, in address order, from a scan of the engine's index: use it rather than the store's
   * `getByHwAddress` & co., which read a SQLite file's whole table.
   */
  leasesOf(lookup: DhcpLeaseLookup): DhcpLease[];
  /** The lease store in use (memory, SQLite, or the one given). */
  readonly store: LeaseStore;
  /** The Kea `Dhcp4` configuration running now (it changes with the control API's `config-set`). */
  readonly config: Readonly<Dhcp4Json>;
  /** URL of the first HTTP control listener (dashboard at `/`, WebSocket API at `/ws`), if any. */
  readonly controlUrl: string | undefined;
  /** The runtime underneath: engine, statistics, control target. For tools; may change between versions. */
  readonly runtime: ServerRuntime;
  /** Stops answering, flushes and closes the store, the control listeners and the transport. Idempotent. */
  stop(): Promise<void>;
}

async function openStore(option: LeaseStoreOption | undefined): Promise<LeaseStore> {
  if (option === undefined || option === 'memory') return new MemoryLeaseStore();
  if ('sqlite' in option && typeof option.sqlite === 'string') {
    mkdirSync(dirname(option.sqlite), { recursive: true });
    return openLeaseStore({ type: 'sqlite', path: option.sqlite });
  }
  if ('commit' in option && 'onChange' in option) return option;
  throw new DhcpLibraryError(
    'ERR_DHCP_OPTIONS',
    "store: expected 'memory', { sqlite: path } or a LeaseStore",
  );
}

function defaultName(t: Transport): string {
  return t.capabilities.interfaceAware ? (t.interfaces()[0]?.name ?? 'eth0') : 'udp';
}

/** The interfaces and addresses the server answers with (server identifier, subnet selection). */
function servedInterfaces(options: ServeOptions, config: CompiledConfig, t: Transport): ServedInterface[] {
  if (options.interfaces !== undefined && options.interfaces.length > 0) {
    return options.interfaces.map((i) => ({
      name: i.name,
      addresses: [{ address: i.address, prefixLength: i.prefixLength }],
    }));
  }
  const name = defaultName(t);
  if (!isKeaOptions(options)) {
    const { prefixLength } = seedNetwork(options);
    return [{ name, addresses: [{ address: options.serverIdentifier, prefixLength }] }];
  }
  const given = options.serverAddress;
  if (given === undefined) {
    throw new DhcpLibraryError(
      'ERR_DHCP_OPTIONS',
      'serverAddress: a Kea configuration needs the server address (or `interfaces`)',
    );
  }
  const [address = '', len] = given.split('/');
  if (!isValidIp(address))
    throw new DhcpLibraryError('ERR_DHCP_OPTIONS', `serverAddress: bad address ${given}`);
  const n = ipToInt(address);
  const subnet = config.subnets.find((s) => (n & s.mask) >>> 0 === s.network);
  const prefixLength = len !== undefined ? Number(len) : (subnet?.prefixLength ?? 32);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new DhcpLibraryError('ERR_DHCP_OPTIONS', `serverAddress: bad prefix in ${given}`);
  }
  return [{ name, addresses: [{ address: intToIp(n), prefixLength }] }];
}

/** Starts a server on one transport source; what `dhcp.serve()` runs. */
export async function serve(source: DhcpTransportSource, options: ServeOptions): Promise<DhcpServer> {
  if (typeof options !== 'object' || options === null) {
    throw new DhcpLibraryError('ERR_DHCP_OPTIONS', 'serve() needs an options object');
  }
  const kea = isKeaOptions(options) ? { Dhcp4: options.Dhcp4 } : seedToKea(options);
  const config = compile(withReservations(kea, options.reservations ?? []));
  const store = await openStore(options.store);
  let transport: Transport | undefined;
  try {
    transport = await openTransport(source, 67);
    const interfaces = servedInterfaces(options, config, transport);
    const emitter = new Emitter<DhcpServerEvents>((err) => emitter.emit('error', err));
    // `offered` is the only event read from the engine's exchange records: while it has no listener, the
    // engine builds none (unless the logger writes them).
    const offeredListened = (): boolean => emitter.listens('offered');
    const onExchange = (e: ExchangeEvent): void => {
      if (e.reply !== 'DHCPOFFER' || e.address === null || !offeredListened()) return;
      emitter.emit('offered', {
        ip: e.address,
        mac: e.hwAddress,
        clientId: e.clientId,
        hostname: e.hostname,
        subnetId: e.subnetId,
      });
    };
    const control = options.control ?? (isKeaOptions(options) ? {} : false);
    const runtime = await startServer({
      config,
      store,
      transport: { transport, interfaces },
      logger: options.logger ?? silentLogger(),
      onExchange,
      // It reads the OFFER's fields only: the exchange's log text is built only when the logger writes it.
      onExchangeReadsText: false,
      onExchangeListening: offeredListened,
      control:
        control === false
          ? false
          : {
              ...(control.http !== undefined ? { controlHttp: control.http } : {}),
              ...(control.socket !== undefined ? { controlSocket: control.socket } : {}),
              ...(control.insecure === true ? { insecureControl: true } : {}),
            },
      ...(options.offerLifetime !== undefined ? { offerLifetime: options.offerLifetime } : {}),
    });
    // The engine loaded the store (in pages, into its compact index): `server.leases` reads that index
    // instead of keeping its own copy. Subscribed after the engine's own listener, so an event's listener
    // already sees the change in `server.leases`.
    const leases = new EngineLeaseMap(runtime.engine);
    const unsubscribe = store.onChange((c: LeaseChange) => {
      leases.apply(c);
      const event = classifyChange(c);
      if (event === null) return;
      const subject = event === 'bound' || event === 'renewed' ? c.lease : (c.previous ?? c.lease);
      const payload = leaseView({ ...subject, state: event === 'declined' ? 'declined' : 'default' });
      if (payload !== null) emitter.emit(event, payload);
    });
    // A ref'd timer that never fires: a server on an in-memory transport would otherwise let the
    // process exit under it (the runtime's own timers are unref'd).
    const keepAlive = options.keepAlive === false ? undefined : setInterval(() => undefined, 0x7fffffff);
    const stop = async (): Promise<void> => {
      await runtime.stop();
      clearInterval(keepAlive);
      unsubscribe();
    };
    const handle: DhcpServer = {
      leases,
      leasesOf: (lookup) => leasesOf(runtime.engine.leaseIndex, lookup),
      store,
      get config() {
        return runtime.config.source;
      },
      controlUrl: runtime.control?.http[0]?.url,
      runtime,
      stop,
      on(event, listener) {
        emitter.on(event, listener);
        return this;
      },
      off(event, listener) {
        emitter.off(event, listener);
        return this;
      },
      once(event, listener) {
        emitter.once(event, listener);
        return this;
      },
    };
    return handle;
  } catch (err) {
    // Both are idempotent (or reject harmlessly) if startServer already closed them.
    await store.close().catch(() => undefined);
    await transport?.close().catch(() => undefined);
    throw err;
  }
}

/** A library server logs nothing unless the caller hands it a logger. */
function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
