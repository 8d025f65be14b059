import { success } from '../answer.ts';
import { fail, isInteger, optionalMap } from '../args.ts';
import { AGENT_COMMANDS, type CommandRegistry } from '../registry.ts';
import type { LeaseStoreHealth } from '../../leases/index.ts';
import type { JsonObject } from '../json.ts';

/** list-commands, shutdown, leases-reclaim, status-get, version-get, build-report. */
export function registerServerCommands(registry: CommandRegistry): void {
  registry.register('list-commands', async (_args, ctx) => {
    const names = ctx.registry.names();
    // The Control Agent lists only what it answers itself when no service is named.
    return success(undefined, ctx.agent ? names.filter((n) => AGENT_COMMANDS.has(n)) : names);
  });

  registry.register('shutdown', async (args, ctx) => {
    const exitValue = optionalMap(args)['exit-value'];
    if (exitValue !== undefined && !isInteger(exitValue)) fail("parameter 'exit-value' is not an integer");
    ctx.target.shutdown(exitValue);
    return success('Shutting down.');
  });

  registry.register('leases-reclaim', async (args, ctx) => {
    const remove = optionalMap(args)['remove'];
    if (remove === undefined) fail("Missing mandatory 'remove' parameter.");
    if (typeof remove !== 'boolean') fail("'remove' parameter expected to be a boolean.");
    await ctx.target.reclaim(remove);
    return success('Reclamation of expired leases is complete.');
  });

  registry.register('status-get', async (_args, ctx) => {
    const s = ctx.target.status();
    if (ctx.agent) return success(undefined, { pid: s.pid, reload: s.reload, uptime: s.uptime });
    const enabled = ctx.target.dhcp.enabled();
    return success(undefined, {
      // Kea 2.4's dhcp-state; Kea 2.2 has the other keys.
      'dhcp-state': {
        'disabled-by-db-connection': false,
        'disabled-by-local-command': [],
        'disabled-by-remote-command': [],
        'disabled-by-user': !enabled,
        'globally-disabled': !enabled,
      },
      // Kea's HA hook adds its relationships (one in Kea 2.2) to status-get.
      ...(ctx.target.ha === undefined ? {} : { 'high-availability': [ctx.target.ha.status()] }),
      ...(s.leaseStore === undefined ? {} : { 'lease-store': leaseStoreStatus(s.leaseStore) }),
      'multi-threading-enabled': s.multiThreadingEnabled,
      pid: s.pid,
      // leasekeeper's own: how each interface's packet socket reads (Kea has no such key).
      ...(s.receive === undefined
        ? {}
        : {
            receive: s.receive.map((r) => ({
              interface: r.interface,
              mode: r.mode,
              path: r.path,
              switches: r.switches,
              'kernel-drops': r.kernelDrops,
              ...(r.udpGso === undefined ? {} : { 'udp-gso': r.udpGso }),
            })),
          }),
      reload: s.reload,
      sockets: {
        ...(s.socketErrors === undefined ? {} : { errors: [...s.socketErrors] }),
        status: s.sockets,
      },
      uptime: s.uptime,
    });
  });

  registry.register('version-get', async (_args, ctx) => {
    const v = ctx.target.version();
    return success(v.version, { extended: v.extended });
  });

  registry.register('build-report', async (_args, ctx) => success(ctx.target.version().buildReport));
}

/** leasekeeper's own `status-get` key (Kea has none): `state`, and while failing since when and how often. */
function leaseStoreStatus(h: LeaseStoreHealth): JsonObject {
  return {
    state: h.state,
    ...(h.failingSince === undefined ? {} : { 'failing-since': h.failingSince }),
    ...(h.failedWrites === undefined ? {} : { 'failed-writes': h.failedWrites }),
    ...(h.lastError === undefined ? {} : { 'last-error': h.lastError }),
    ...(h.lastOutage === undefined
      ? {}
      : {
          'last-outage': {
            from: h.lastOutage.from,
            to: h.lastOutage.to,
            'failed-writes': h.lastOutage.failedWrites,
          },
        }),
    ...(h.listen === undefined
      ? {}
      : {
          listen: {
            state: h.listen.state,
            failures: h.listen.failures,
            'last-error': h.listen.lastError,
            'last-error-at': h.listen.lastErrorAt,
          },
        }),
    ...(h.warnings === undefined
      ? {}
      : { warnings: { count: h.warnings.count, last: h.warnings.last, 'last-at': h.warnings.lastAt } }),
  };
}
