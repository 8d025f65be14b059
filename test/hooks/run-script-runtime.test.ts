// libdhcp_run_script.so in the running server: a real DORA on the virtual LAN runs the configured script
// after the commit; a configuration without the hook (config-set) stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { compileConfig } from '../../src/config/index.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { startServer } from '../../src/runtime/index.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { VirtualDhcpClient } from '../web/virtual-client.ts';

async function files(dir: string, pattern: RegExp, count: number): Promise<string[]> {
  // Scripts run after the reply: poll for their output, bounded (about 10 s).
  for (let i = 0; i < 200; i++) {
    const found = readdirSync(dir).filter((f) => pattern.test(f));
    if (found.length >= count) return found;
    await sleep(50);
  }
  return readdirSync(dir).filter((f) => pattern.test(f));
}

test('the running server runs the script on leases4_committed, and stops when the hook is configured away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-run-script-rt-'));
  const script = join(dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\necho "$LEASES4_AT0_ADDRESS" > "${dir}/$$.$1"\n`);
  chmodSync(script, 0o755);
  const dhcp4 = {
    'interfaces-config': { interfaces: ['eth0'] },
    subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] }],
  };
  const net = new VirtualNetwork();
  const lan = net.createLink('lan');
  const srv = net.createHost('srv');
  srv.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01', addresses: ['198.18.0.1/24'] });
  const server = await startServer({
    config: compileConfig({
      Dhcp4: {
        ...dhcp4,
        'hooks-libraries': [
          { library: '/usr/lib/kea/hooks/libdhcp_run_script.so', parameters: { name: script } },
        ],
      },
    }),
    store: new MemoryLeaseStore(),
    transport: {
      transport: srv.openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address: '198.18.0.1', prefixLength: 24 }] }],
    },
    logger: pino({ level: 'silent' }),
  });
  const clients: VirtualDhcpClient[] = [];
  try {
    const first = new VirtualDhcpClient(net.createHost('a'), lan, {
      mac: '02:00:00:00:aa:01',
      hostname: 'a',
    });
    clients.push(first);
    await first.obtain();
    assert.equal((await files(dir, /\.leases4_committed$/, 1)).length, 1);

    const outcome = await server.target.config.set({ Dhcp4: dhcp4 });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error);
    const second = new VirtualDhcpClient(net.createHost('b'), lan, {
      mac: '02:00:00:00:aa:02',
      hostname: 'b',
    });
    clients.push(second);
    await second.obtain();
    await sleep(300);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.leases4_committed')).length, 1);
  } finally {
    for (const c of clients) await c.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
