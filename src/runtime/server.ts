import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/index.ts';
import { metricsRoute, renderMetrics, withSharedNetworkSums } from '../control/index.ts';
import { createCommandRegistry } from '../control/commands/index.ts';
import { startControlListeners, type ControlListeners } from '../control/index.ts';
import { controlListenerSettings, type ControlOverrides } from '../control/index.ts';
import type { ControlTarget, DhcpSwitch } from '../control/index.ts';
import type { ActiveActive, HaService, PeerSender } from '../ha/index.ts';
import { mountWebSocketApi, type WebSocketApi } from '../control/websocket/index.ts';
import { openLeaseStore, PostgresLeaseStore } from '../leases/index.ts';
import type { LeaseStore } from '../leases/index.ts';
import { DhcpServerEngine } from '../server/index.ts';
import type { ArrivalMeta, ExchangeEvent, InterfaceAddress, OutgoingReply } from '../server/index.ts';
import type { LinuxTransport } from '../transport/index.ts';
import type { DatagramMeta, Transport } from '../transport/index.ts';
import { LoadedLeaseChecks } from '../server/index.ts';
import { ConfigHolder } from './config-holder.ts';
import { HostDatabases } from './host-databases.ts';
import { DatabaseReservations } from './host-reservations.ts';
import { controlTarget, describeSubnet, mirroringIndex } from './control-target.ts';
import { outbound } from './destination.ts';
import { RuntimeError } from './errors.ts';
import { addressesOf, resolveInterfaces, type ServedInterface } from './interfaces.ts';
import { chooseLeaseStore, servedStoreSpec } from './lease-database.ts';
import { wireActiveActive, wireHighAvailability, type ActiveActiveWiring } from './high-availability.ts';
import { HeldChanges } from './held-changes.ts';
import { loadStoreInPages } from './lease-load.ts';
import { createLogger } from './logger.ts';
import { Pipeline, type ReplyNotSent } from './pipeline.ts';
import { LeaseScripts } from '../hooks/index.ts';
import { Reclaimer } from './reclaimer.ts';
import { StoreHealthMonitor, StoreWarnings } from './store-health.ts';
import { warmUp } from './warm-up.ts';
import { EngineStatistics } from './statistics.ts';
import { openTransport, type ReceivePath, type RingThresholds } from './transports.ts';
import { ReceivePaths } from './receive-paths.ts';
import { RingByLoad } from './ring-by-load.ts';
import { SaturationByLoad } from './saturation-by-load.ts';
import { mountDashboard } from '../web/index.ts';
import { DdnsService, openQueueStorage } from './ddns/index.ts';
import { ddnsNotes } from '../config/index.ts';

export interface ServerOptions {
  /** The compiled configuration (parseConfig / deriveConfigFromInterface). */
  readonly config: CompiledConfig;
  /** The file it was loaded from: config-write and config-reload use it. */
  readonly configFile?: string;
  /**
   * Kea D2's file (`{"DhcpDdns": {...}}`) whose section was put beside `Dhcp4` at start (`serve --ddns-config`):
   * config-reload re-reads it with `configFile`, and config-write leaves it out of the main file.
   */
  readonly ddnsConfigFile?: string;
  /** SQLite lease file; overrides `lease-database`. */
  readonly leaseFile?: string;
  /** Embedding: use this store instead of opening one (it is closed by stop()). */
  readonly store?: LeaseStore;
  /** Embedding: use this transport (e.g. a virtual one) with these interfaces, instead of opening sockets. */
  readonly transport?: { readonly transport: Transport; readonly interfaces: readonly ServedInterface[] };
  /** UDP port to serve; default 67. */
  readonly port?: number;
  readonly logger?: Logger;
  readonly clock?: () => number;
  /** Control listeners from `control-socket(s)` plus these overrides; `false` opens none. */
  readonly control?: ControlOverrides | false;
  /**
   * Called after a new configuration was applied (config-set, config-reload, SIGHUP, reservation edits):
   * the CLI re-applies its `loggers` section.
   */
  readonly onConfigApplied?: (config: CompiledConfig) => void;
  /** The `shutdown` control command: called after the answer went out. Default: stop(). */
  readonly onShutdown?: (exitValue: number) => void;
  /** Packet socket receive buffer of the linux transport (default 4 MiB; the trade-off is in transports.ts). */
  readonly receiveBufferBytes?: number;
  /** How the linux transport's packet sockets read (default adaptive) and when an adaptive one switches. */
  readonly receivePath?: ReceivePath;
  readonly ringThresholds?: RingThresholds;
  /** The linux transport's UDP GSO of relayed replies (`serve --udp-gso`); default `auto` (docs/transport.md). */
  readonly udpSegmentation?: boolean | 'auto';
  /** SQLite: a commit starts at most this many ms after its oldest write (the store's `batchMaxWaitMs`). */
  readonly commitMaxWaitMs?: number;
  /** Seconds an offer holds its address; overrides the configuration's `offer-lifetime` (default 10). */
  readonly offerLifetime?: number;
  /** Drop DISCOVERs that waited longer than this in the receive queue (default 500 ms; see Pipeline). */
  readonly maxDiscoverQueueDelayMs?: number;
  /** Drop a request (not a RELEASE or DECLINE) that waited longer than this (default 4,000 ms; see Pipeline). */
  readonly maxRequestQueueDelayMs?: number;
  /** Datagrams read but not yet handled, at most (default 8,192; see Pipeline). */
  readonly maxReceiveQueue?: number;
  /** Datagrams handled per event-loop turn before the transport is read again (default 16; see Pipeline). */
  readonly handledPerTurn?: number;
  /**
   * Before answering anyone, run synthetic exchanges through a scratch engine so the hot paths are compiled
   * (`warm-up.ts`; about 0.3 s of CPU). `serve` turns it on; default false (tests, embedding).
   */
  readonly warmUp?: boolean;
  /**
   * Called with every finished exchange (the same event as the log line: DISCOVER -> OFFER, REQUEST ->
   * ACK after its commit, ...). Embedders use it for what no lease write shows, such as offers.
   */
  readonly onExchange?: (event: ExchangeEvent) => void;
  /** False when `onExchange` reads only the events' fields: their text is then built only for the log. */
  readonly onExchangeReadsText?: boolean;
  /** Whether `onExchange` wants events now (asked per exchange; default always): none built for it if not. */
  readonly onExchangeListening?: () => boolean;
  /** Embedding and tests: how the HA service reaches its peers (default HTTP to each peer's URL). */
  readonly haPeerSender?: PeerSender;
  /**
   * Milliseconds between checks of the `hosts-databases` for changes (default 10,000): how long a host
   * another server adds takes to be served here (docs/leases.md, "Host reservations in PostgreSQL").
   */
  readonly hostsRefreshMs?: number;
}

export interface ServerRuntime {
  readonly engine: DhcpServerEngine;
  readonly store: LeaseStore;
  readonly transport: Transport | undefined;
  readonly interfaces: readonly ServedInterface[];
  readonly target: ControlTarget;
  readonly statistics: EngineStatistics;
  /** The in-process DNS updater (docs/ddns.md). */
  readonly ddns: DdnsService;
  readonly control: ControlListeners | undefined;
  /** The configuration running now (changes with config-set). */
  readonly config: CompiledConfig;
  /** The HA service, when `libdhcp_ha.so` is configured (docs/high-availability.md). */
  readonly ha: HaService | undefined;
  /** The active-active service, when the HA hook's mode is `active-active`. */
  readonly activeActive: ActiveActive | undefined;
  /** Stops receiving, waits for commits in flight, closes control, store (flushed) and sockets. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once stop() has finished. */
  readonly stopped: Promise<void>;
}

const STATS_SAMPLE_MS = 1000;

/** Opens everything a running server needs and starts answering; see docs/serve.md. */
export async function startServer(options: ServerOptions): Promise<ServerRuntime> {
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? createLogger();
  const startedAt = clock();
  const config = options.config;

  const interfaces =
    options.transport?.interfaces ??
    (config.interfaces.length === 0 ? [] : resolveInterfaces(config.interfaces));
  const choice =
    options.store === undefined ? chooseLeaseStore(config.leaseDatabase, options.leaseFile) : undefined;
  if (choice?.spec.type === 'sqlite') mkdirSync(dirname(choice.spec.path), { recursive: true });
  // The SQLite writer holds its transactions longer while the server is saturated (saturation-by-load.ts); a
  // bound set with --max-commit-wait holds at any load, so then nothing needs to sample the load.
  const saturation =
    choice?.spec.type === 'sqlite' && options.commitMaxWaitMs === undefined
      ? new SaturationByLoad()
      : undefined;
  const storeWarnings = new StoreWarnings(clock);
  const spec =
    choice === undefined
      ? undefined
      : servedStoreSpec(choice.spec, {
          ...options,
          ...(saturation === undefined ? {} : { saturated: () => saturation.saturated }),
          // Already once per 5 s with a count, in the writer thread; the text is the store's, no client's.
          onWarning: (warning) => {
            storeWarnings.record(warning);
            logger.warn({ leaseStore: 'warning', count: warning.count }, warning.message);
          },
        });
  if (options.commitMaxWaitMs !== undefined && spec?.type !== 'sqlite')
    logger.warn(`the commit wait bound applies to SQLite only: not used with ${spec?.type ?? 'this store'}`);
  const store = options.store ?? (await openLeaseStore(spec!, clock));
  logger.info(
    { leaseDatabase: choice?.note ?? store.backend },
    `lease store: ${choice?.note ?? store.backend}`,
  );

  let hosts: HostDatabases | undefined;
  if (config.hostsDatabases.length > 0) {
    try {
      hosts = await HostDatabases.open(config, {
        logger,
        ...(options.hostsRefreshMs === undefined ? {} : { refreshMs: options.hostsRefreshMs }),
      });
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  const engine = new DhcpServerEngine(
    hosts === undefined ? config : await hosts.effective(config),
    options.offerLifetime === undefined ? {} : { offerLifetime: options.offerLifetime },
  );
  const addrs = new Map<string, readonly InterfaceAddress[]>(interfaces.map((i) => [i.name, i.addresses]));
  engine.setInterfaceAddresses(interfaces.flatMap((i) => i.addresses));
  // The cheapest read every backend has: one lease at an address no lease ever has.
  const storeHealth = new StoreHealthMonitor({
    logger,
    clock,
    probe: { run: () => store.get('0.0.0.0') },
    warnings: storeWarnings,
  });
  const unwatchListen =
    store instanceof PostgresLeaseStore
      ? store.watchListen({
          failed: (err) => storeHealth.listen.failed(err),
          reconnected: (resync) => storeHealth.listen.reconnected(resync),
        })
      : () => undefined;
  const scripts = new LeaseScripts(logger);
  const applyScripts = (c: CompiledConfig): void => {
    scripts.configure(c.hooks.runScript);
    engine.onLeaseEvent(scripts.active ? (e) => scripts.leaseEvent(e) : undefined);
  };
  applyScripts(config);
  const reclaimer = new Reclaimer({
    engine,
    store,
    clock,
    logger,
    storeHealth,
    onReclaimed: (lease, removed) => scripts.leaseExpired(lease, removed),
  });
  let loaded: number;
  const leaseChecks = new LoadedLeaseChecks(config);
  const heldChanges = new HeldChanges(store);
  try {
    loaded = await loadStoreInPages(store, (page) => engine.loadLeases(leaseChecks.filter(page)));
    const opened = store.openReport;
    if (opened?.checkMs !== undefined) {
      const ms = Math.round(opened.checkMs);
      logger.info({ checkMs: ms }, `lease file checked in ${ms} ms (WAL scan and quick_check)`);
    }
    for (const warning of opened?.warnings ?? []) logger.warn(warning);
    await leaseChecks.finish(store, (fields, text) => logger.warn(fields, text));
  } catch (err) {
    heldChanges.unsubscribe();
    await hosts?.close();
    await store.close().catch(() => undefined);
    throw err;
  }
  // The in-process D2: fed only after a change is durable, so an update never delays the DHCPACK.
  const ddns = new DdnsService({
    ddns: () => engine.currentConfig.ddns,
    behaviour: (id) =>
      engine.currentConfig.subnets.find((s) => s.id === id)?.ddns ?? engine.currentConfig.ddnsBehaviour,
    logger,
    clock,
    storage: await openQueueStorage(choice?.spec, store, logger),
  });
  await ddns.start();
  const ddnsCheck = ddnsNotes(config.ddns, config.source['dhcp-ddns']);
  for (const w of ddnsCheck.warnings) logger.warn(`DDNS: ${w}`);
  for (const n of ddnsCheck.notes) logger.info(`DDNS: ${n}`);
  if (config.ddns.enabled && ddnsCheck.warnings.length === 0)
    logger.info(
      { ddns: { forward: config.ddns.forward.length, reverse: config.ddns.reverse.length } },
      `DDNS: updates sent in-process to ${config.ddns.forward.length} forward and ${config.ddns.reverse.length} reverse domain(s)`,
    );
  heldChanges.release((change) => {
    engine.applyLeaseChange(change);
    reclaimer.touch();
    if (change.origin === 'local') ddns.onLeaseChange(change);
  });
  const unsubscribe = heldChanges.unsubscribe;
  for (const s of config.subnets) logger.info({ subnet: s.prefix, id: s.id }, `serving ${describeSubnet(s)}`);
  logger.info({ leases: loaded }, `${loaded} leases loaded`);

  let transport: Transport | undefined;
  let ringByLoad: RingByLoad | undefined;
  const send = (reply: OutgoingReply, data: Buffer, failed: ReplyNotSent): void => {
    if (transport === undefined) return;
    const d = outbound(reply, data, transport.capabilities, addrs.get(reply.interface) ?? allAddresses());
    // Posted where the transport can: no promise per reply.
    if (transport.post !== undefined) transport.post(d, reply, failed);
    else transport.send(d).catch((err: unknown) => failed(err, reply));
  };
  const allAddresses = (): InterfaceAddress[] => [...addrs.values()].flat();
  const haConfig = config.highAvailability;
  let activeActive: ActiveActiveWiring | undefined;
  if (haConfig?.mode === 'active-active') {
    try {
      activeActive = await wireActiveActive({
        config: haConfig,
        store,
        subnetOf: (address) => target.subnets.forAddress(address)?.id,
        seekAllocation: (fraction) => engine.seekAllocation(fraction),
        logger,
        clock,
      });
    } catch (err) {
      await ddns.stop();
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  const ha =
    haConfig === undefined || haConfig.mode === 'active-active'
      ? undefined
      : wireHighAvailability({
          config: haConfig,
          store,
          target: () => target,
          logger,
          clock,
          ...(options.haPeerSender === undefined ? {} : { send: options.haPeerSender }),
        });
  const pipeline = new Pipeline({
    ...(ha === undefined ? {} : { admit: ha.admit, afterCommit: ha.afterCommit }),
    ...(activeActive === undefined
      ? {}
      : { admit: activeActive.admit, beforeOffer: activeActive.beforeOffer }),
    engine,
    store,
    clock,
    logger,
    storeHealth,
    send,
    touched: () => reclaimer.touch(),
    ...(options.onExchange ? { onExchange: options.onExchange } : {}),
    ...(options.onExchangeReadsText === undefined
      ? {}
      : { onExchangeReadsText: options.onExchangeReadsText }),
    ...(options.onExchangeListening === undefined
      ? {}
      : { onExchangeListening: options.onExchangeListening }),
    ...(options.maxDiscoverQueueDelayMs === undefined
      ? {}
      : { maxDiscoverQueueDelayMs: options.maxDiscoverQueueDelayMs }),
    ...(options.maxRequestQueueDelayMs === undefined
      ? {}
      : { maxRequestQueueDelayMs: options.maxRequestQueueDelayMs }),
    ...(options.maxReceiveQueue === undefined ? {} : { maxReceiveQueue: options.maxReceiveQueue }),
    ...(options.handledPerTurn === undefined ? {} : { handledPerTurn: options.handledPerTurn }),
  });

  const holder = new ConfigHolder({
    config,
    file: options.configFile,
    ddnsFile: options.ddnsConfigFile,
    clock,
    protectedPaths: () => [
      ...(choice?.spec.type === 'sqlite' ? [choice.spec.path] : []),
      ...(control?.unix.map((u) => u.path) ?? []),
    ],
    onApply: (next) => {
      engine.setConfig(hosts === undefined ? next : hosts.effectiveNow(next));
      applyScripts(next);
      reclaimer.touch();
      logger.info({ subnets: next.subnets.length }, 'configuration applied');
      options.onConfigApplied?.(next);
    },
  });
  const receivePaths = new ReceivePaths(() => transport, logger);
  const statistics = new EngineStatistics(
    () =>
      withSharedNetworkSums(
        { ...engine.statistics(), ...ddns.statistics(), ...receivePaths.statistics() },
        holder.current.sharedNetworks,
      ),
    clock,
  );
  const sampler = setInterval(() => statistics.sample(), STATS_SAMPLE_MS);
  sampler.unref();

  let reenable: NodeJS.Timeout | undefined;
  const dhcp: DhcpSwitch = {
    enable: async () => {
      clearTimeout(reenable);
      engine.setEnabled(true);
      logger.info('DHCP service enabled');
    },
    disable: async (maxPeriod) => {
      clearTimeout(reenable);
      engine.setEnabled(false);
      logger.info({ maxPeriod }, 'DHCP service disabled');
      if (maxPeriod !== undefined && maxPeriod > 0) {
        reenable = setTimeout(() => {
          engine.setEnabled(true);
          logger.info('DHCP service re-enabled: max-period elapsed');
        }, maxPeriod * 1000);
        reenable.unref();
      }
    },
    enabled: () => engine.enabled,
  };

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let sockets: 'ready' | 'retrying' | 'failed' = 'ready';
  const baseTarget = controlTarget({
    holder,
    store,
    statistics,
    dhcp,
    reclaim: (remove) => reclaimer.run(remove),
    shutdown: (exitValue) => {
      // Let the "Shutting down." answer go out first.
      setTimeout(() => (options.onShutdown ?? (() => void server.stop()))(exitValue ?? 0), 50).unref();
    },
    startedAt,
    clock,
    sockets: () => sockets,
    leaseStore: () => storeHealth.snapshot(),
    receive: () => receivePaths.current(),
    index: engine.leaseIndex,
  });
  hosts?.start(
    () => holder.current,
    (next) => {
      engine.setConfig(next);
      reclaimer.touch();
    },
  );
  const haControl = ha?.control ?? activeActive?.control;
  const reservations =
    hosts === undefined
      ? baseTarget.reservations
      : new DatabaseReservations(baseTarget.reservations, hosts, holder);
  const target: ControlTarget = {
    ...baseTarget,
    reservations,
    ...(haControl === undefined ? {} : { ha: haControl }),
  };

  let control: ControlListeners | undefined;
  const webSockets: WebSocketApi[] = [];
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      transport?.off('message', onMessage);
      await pipeline.drain();
      await ha?.service.stop();
      await activeActive?.service.stop();
      reclaimer.stop();
      clearInterval(sampler);
      clearTimeout(reenable);
      await Promise.all(webSockets.map((w) => w.close()));
      await control?.close();
      await reclaimer.idle();
      scripts.stop();
      unsubscribe();
      await ddns.stop();
      await hosts?.close();
      unwatchListen();
      storeHealth.close();
      await store.close();
      saturation?.stop();
      ringByLoad?.stop();
      await transport?.close();
      logger.info('server stopped');
      resolveStopped();
    })();
    return stopping;
  };

  const onMessage = (data: Buffer, meta: DatagramMeta): void => {
    const name = meta.interface?.name ?? interfaces[0]?.name ?? 'udp';
    const arrival: ArrivalMeta = {
      interface: name,
      interfaceAddresses: meta.interface === undefined ? allAddresses() : (addrs.get(name) ?? []),
      sourceAddress: meta.sourceIp,
      sourcePort: meta.sourcePort,
      broadcast: meta.destinationIp === '255.255.255.255' || meta.linkBroadcast === true,
    };
    pipeline.receive(data, arrival, meta.receiveDelayMs);
  };

  if (options.warmUp === true) {
    const began = clock();
    const exchanges = await warmUp();
    logger.info(
      { exchanges, ms: clock() - began },
      `warm-up: ${exchanges} synthetic exchanges in ${clock() - began} ms`,
    );
  }

  saturation?.start();
  try {
    if (options.transport !== undefined) transport = options.transport.transport;
    else if (interfaces.length > 0) {
      const opened = await openTransport({
        interfaces,
        socketType: config.socketType,
        port: options.port ?? 67,
        ...(options.receiveBufferBytes === undefined
          ? {}
          : { receiveBufferBytes: options.receiveBufferBytes }),
        ...(options.receivePath === undefined ? {} : { receivePath: options.receivePath }),
        ...(options.ringThresholds === undefined ? {} : { ringThresholds: options.ringThresholds }),
        ...(options.udpSegmentation === undefined ? {} : { udpSegmentation: options.udpSegmentation }),
      });
      transport = opened.transport;
      logger[opened.degraded ? 'warn' : 'info']({ transport: transport.kind }, `listening: ${opened.note}`);
    } else {
      logger.warn('no interfaces configured (Dhcp4.interfaces-config.interfaces): DHCP is not served');
    }
    if (transport !== undefined) {
      const t = transport;
      // Adaptive sockets follow the server's load (docs/transport.md), unless the operator set the frame-rate
      // thresholds (--ring-above/--ring-below/--ring-window), which the sockets then apply themselves.
      if (
        t.kind === 'linux' &&
        options.ringThresholds === undefined &&
        interfaces.some((i) => (t as LinuxTransport).receivePath(i.name) === 'adaptive')
      ) {
        ringByLoad = new RingByLoad(t as LinuxTransport);
        ringByLoad.start();
      }
      t.on('message', onMessage);
      t.on('error', (err) => logger.warn({ err, code: err.code, interface: err.interface }, err.message));
      t.on('link', (state) => {
        const info = t.kind === 'linux' ? (t as LinuxTransport).interfaceInfo(state.interface) : undefined;
        if (info !== undefined) {
          addrs.set(state.interface, addressesOf(info));
          engine.setInterfaceAddresses(addressesOf(info));
        }
        sockets = state.up && state.carrier ? 'ready' : 'retrying';
        logger.info({ link: state }, `${state.interface} is ${state.up && state.carrier ? 'up' : 'down'}`);
      });
    }
    if (options.control !== false) {
      const settings = controlListenerSettings(config.source, options.control ?? {});
      const registry = createCommandRegistry({ logger }, { highAvailability: haControl !== undefined });
      control = await startControlListeners(settings, { registry, target, logger });
      for (const u of control.unix) logger.info({ socket: u.path }, `control socket ${u.path}`);
      for (const h of control.http) {
        // The WebSocket API at /ws and the dashboard at /, on every HTTP control listener.
        webSockets.push(
          mountWebSocketApi({
            http: h,
            target,
            store,
            index: mirroringIndex(store, engine.leaseIndex),
            logger,
            serverAddresses: allAddresses,
          }),
        );
        mountDashboard(h, { logger });
        h.addGetRoute(
          '/metrics',
          metricsRoute(() =>
            renderMetrics(
              statistics.current(),
              holder.current.subnets,
              holder.current.sharedNetworks.map((n) => n.name),
            ),
          ),
        );
        logger.info(
          { http: h.url },
          `control HTTP ${h.url} (dashboard at /, WebSocket API at /ws, metrics at /metrics)`,
        );
      }
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  reclaimer.touch();
  ha?.service.start();
  await activeActive?.service.start();

  const server: ServerRuntime = {
    ha: ha?.service,
    activeActive: activeActive?.service,
    engine,
    store,
    get transport() {
      return transport;
    },
    interfaces,
    target,
    statistics,
    ddns,
    get control() {
      return control;
    },
    get config() {
      return holder.current;
    },
    stop,
    stopped,
  };
  return server;
}

export { RuntimeError };
