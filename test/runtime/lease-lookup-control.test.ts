// The lease4-get-by-* commands and lease4-get by identifier through a running server's control socket: with
// the SQLite and memory stores the engine's index answers them (the store's lookups by client are never
// called, since SQLite would scan its table on the event loop); a shared backend answers itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendUnix } from '../../src/control/client.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import type { LeaseStore } from '../../src/leases/store.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer } from '../../src/runtime/server.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { config } from './helpers.ts';

const SERVER_ID = '198.18.0.1';
const LOOKUPS = ['getByHwAddress', 'getByClientId', 'getByHostname'] as const;

interface Answer {
  readonly result: number;
  readonly arguments?: { readonly leases?: readonly Record<string, unknown>[] } & Record<string, unknown>;
}

/** The store, counting the calls of its lookups by client; `backend` as given. */
function counted(store: LeaseStore, backend: string): { store: LeaseStore; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, key) {
      if (key === 'backend') return backend;
      if ((LOOKUPS as readonly (string | symbol)[]).includes(key)) calls++;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, calls: () => calls };
}

async function withServer(
  store: LeaseStore,
  body: (command: (name: string, args: Record<string, unknown>) => Promise<Answer>) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-lookup-'));
  const socket = join(dir, 'ctl.sock');
  const net = new VirtualNetwork();
  const link = net.createLink('lan');
  const host = net.createHost('srv');
  host.attach(link, { ifname: 'eth0', addresses: [`${SERVER_ID}/16`] });
  const server = await startServer({
    config: config({
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.250' }] },
        { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.10 - 198.18.1.250' }] },
      ],
    }),
    store,
    transport: {
      transport: host.openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address: SERVER_ID, prefixLength: 16 }] }],
    },
    logger: createLogger({ level: 'silent' }),
    control: { controlSocket: socket },
  });
  try {
    await body(async (command, args) => (await sendUnix(socket, { command, arguments: args })) as Answer);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const addresses = (a: Answer): string[] => (a.arguments?.leases ?? []).map((l) => String(l['ip-address']));

/** Three leases of one client in two subnets, one of another client, one written to the store directly. */
async function exercise(
  store: LeaseStore,
  command: (name: string, args: Record<string, unknown>) => Promise<Answer>,
): Promise<void> {
  const mac = '02:00:00:00:00:0a';
  const add = (ip: string, subnetId: number, hw: string, hostname: string): Promise<Answer> =>
    command('lease4-add', {
      'ip-address': ip,
      'subnet-id': subnetId,
      'hw-address': hw,
      'client-id': `01:${hw}`,
      hostname,
    });
  assert.equal((await add('198.18.1.20', 2, mac, 'Laptop.example')).result, 0);
  assert.equal((await add('198.18.0.30', 1, mac, 'laptop.EXAMPLE')).result, 0);
  assert.equal((await add('198.18.0.20', 1, '02:00:00:00:00:0b', 'printer')).result, 0);
  // Written around the control commands: the index follows the store's change callbacks.
  const direct: Lease = {
    address: '198.18.0.40',
    hwAddress: mac,
    clientId: null,
    subnetId: 1,
    validLifetime: 3600,
    cltt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    hostname: null,
    state: 'declined',
    userContext: null,
  };
  assert.equal((await store.commit(direct, { mode: 'insert' })).ok, true);

  const byHw = await command('lease4-get-by-hw-address', { 'hw-address': '02:00:00:00:00:0A' });
  assert.equal(byHw.result, 0);
  assert.deepEqual(addresses(byHw), ['198.18.0.30', '198.18.0.40', '198.18.1.20']);
  assert.equal(byHw.arguments?.leases?.[1]?.['state'], 1);
  const byId = await command('lease4-get-by-client-id', { 'client-id': `01:${mac}` });
  assert.deepEqual(addresses(byId), ['198.18.0.30', '198.18.1.20']);
  const byName = await command('lease4-get-by-hostname', { hostname: 'LAPTOP.example' });
  assert.deepEqual(addresses(byName), ['198.18.0.30', '198.18.1.20']);
  const none = await command('lease4-get-by-hostname', { hostname: 'absent' });
  assert.equal(none.result, 3);

  const inSubnet = await command('lease4-get', {
    'identifier-type': 'hw-address',
    identifier: mac,
    'subnet-id': 2,
  });
  assert.equal(inSubnet.result, 0);
  assert.equal(inSubnet.arguments?.['ip-address'], '198.18.1.20');
  const byClientInSubnet = await command('lease4-get', {
    'identifier-type': 'client-id',
    identifier: `01:${mac}`,
    'subnet-id': 1,
  });
  assert.equal(byClientInSubnet.arguments?.['ip-address'], '198.18.0.30');

  assert.equal((await command('lease4-del', { 'ip-address': '198.18.0.30' })).result, 0);
  assert.deepEqual(addresses(await command('lease4-get-by-client-id', { 'client-id': `01:${mac}` })), [
    '198.18.1.20',
  ]);
}

test('with SQLite the engine index answers the lookups by client; the store is never scanned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-lookup-db-'));
  try {
    const sqlite = await SqliteLeaseStore.open({ path: join(dir, 'leases.db'), writer: 'inline' });
    const { store, calls } = counted(sqlite, 'sqlite');
    await withServer(store, (command) => exercise(sqlite, command));
    assert.equal(calls(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shared backend (PostgreSQL) answers the lookups by client itself, with the same answers', async () => {
  const memory = new MemoryLeaseStore();
  const { store, calls } = counted(memory, 'postgresql');
  await withServer(store, (command) => exercise(memory, command));
  assert.ok(calls() >= 6, `the store answered ${calls()} lookups`);
});
