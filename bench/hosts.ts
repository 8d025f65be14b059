/**
 * Host databases: `tsx bench/hosts.ts` (root, PostgreSQL 15 and kea-admin). A plain script, not a test.
 *
 * Fills Kea's `hosts` schema (from `kea-admin db-init pgsql`, on a throwaway cluster) with `BENCH_HOSTS` hosts
 * (default 10,000 and 50,000), each with one option, then times what a server does with them: the first read,
 * the compile and merge into the configuration, building the engine, a periodic refresh that finds nothing
 * changed (the digest only), and one after a host changed. `loop delay max` is the longest the event loop was
 * blocked meanwhile (`monitorEventLoopDelay`): how late a packet would be read.
 */
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { startTempCluster } from '../test/leases/pg-cluster.ts';
import { compileConfig } from '../src/config/index.ts';
import { HostDatabases } from '../src/runtime/host-databases.ts';
import { DhcpServerEngine } from '../src/server/index.ts';
import { createLogger } from '../src/runtime/logger.ts';
for (const N of (process.env.BENCH_HOSTS ?? '10000,50000').split(',').map(Number)) {
  const c = await startTempCluster();
  try {
    await c.createDatabase('kea');
    const host = c.connection('kea').host as string;
    execFileSync(
      'runuser',
      ['-u', 'postgres', '--', 'kea-admin', 'db-init', 'pgsql', '-u', 'postgres', '-n', 'kea', '-h', host],
      { stdio: 'ignore' },
    );
    const sql = new pg.Client(c.connection('kea'));
    await sql.connect();
    // N hosts in 198.18.0.0/15 (subnet 1), each with one text option.
    await sql.query(`INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname)
    SELECT decode(lpad(to_hex(i), 12, '0'), 'hex'), 0, 1, 3323068416 + 256 + i, 'h' || i FROM generate_series(1, ${N}) AS i`);
    await sql.query(`INSERT INTO dhcp4_options (code, formatted_value, space, persistent, host_id, scope_id)
    SELECT 15, 'h' || host_id || '.example', 'dhcp4', false, host_id, 3 FROM hosts`);
    const config = compileConfig({
      Dhcp4: {
        'hosts-database': { type: 'postgresql', name: 'kea', host, user: 'postgres' },
        subnet4: [{ id: 1, subnet: '198.18.0.0/15', pools: [{ pool: '198.18.255.0 - 198.18.255.200' }] }],
      },
    });
    const logger = createLogger({ level: 'silent' });
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    let t = performance.now();
    const dbs = await HostDatabases.open(config, { logger, maxHosts: 200000 });
    const tOpen = performance.now() - t;
    t = performance.now();
    const eff = await dbs.effective(config);
    const tMerge = performance.now() - t;
    t = performance.now();
    const engine = new DhcpServerEngine(eff);
    const tEngine = performance.now() - t;
    console.log(
      `N=${N}: read ${tOpen.toFixed(0)} ms, compile+merge ${tMerge.toFixed(0)} ms, engine build ${tEngine.toFixed(0)} ms, loop delay max ${(h.max / 1e6).toFixed(0)} ms`,
    );
    let applied = 0;
    dbs.start(
      () => config,
      (c2) => {
        applied++;
        const began = performance.now();
        engine.setConfig(c2);
        console.log(`  engine.setConfig ${(performance.now() - began).toFixed(0)} ms`);
      },
    );
    h.reset();
    t = performance.now();
    await dbs.refresh(false);
    console.log(
      `unchanged refresh (digest only) ${(performance.now() - t).toFixed(0)} ms, applied ${applied}`,
    );
    await sql.query(`UPDATE hosts SET hostname = 'changed' WHERE host_id = 5`);
    h.reset();
    t = performance.now();
    await dbs.refresh(false);
    console.log(
      `one host changed: refresh ${(performance.now() - t).toFixed(0)} ms, applied ${applied}, loop delay max ${(h.max / 1e6).toFixed(0)} ms`,
    );
    await sql.end();
    await dbs.close();
  } finally {
    await c.stop();
  }
}
