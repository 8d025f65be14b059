// The package as a user gets it: `npm pack`, installed into a fresh project outside the repository, then
// imported by plain node (no tsx), required from CommonJS, type-checked by a consumer with `tsc --init`'s
// defaults and no @types of its own, and its CLI run from node_modules/.bin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOT_FOR_HELP, runRecorded } from './loads.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const [NODE_MAJOR, NODE_MINOR] = process.versions.node.split('.').map(Number) as [number, number];

let work = '';
let project = '';
let tarball = '';

// npm, its lifecycle scripts and the CLI's `#!/usr/bin/env -S node ...` run on the Node under test.
// Without NODE_OPTIONS: scripts/test.sh's `--conditions=leasekeeper-source` would send imports to the sources.
const ENV = {
  ...process.env,
  NODE_OPTIONS: '',
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  return execFileSync(cmd, args, {
    cwd,
    env: ENV,
    encoding: 'utf8',
    timeout,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function node(cwd: string, file: string, source: string): string {
  writeFileSync(join(cwd, file), source);
  return sh(process.execPath, [file], cwd, 60_000);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'lk-pack-'));
  // CI packs once (LEASEKEEPER_TARBALL); otherwise pack here: prepack builds dist/ and the prebuilt addons.
  tarball = process.env.LEASEKEEPER_TARBALL ?? '';
  if (tarball === '') {
    const name = sh('npm', ['pack', '--silent', '--pack-destination', work], ROOT).trim().split('\n').pop();
    tarball = join(work, name ?? '');
  }
  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the build, the dashboard bundle, both prebuilt addons and the licence, no dev files', () => {
  const files = sh('tar', ['-tzf', tarball], work).split('\n');
  for (const f of [
    'package/dist/index.js',
    'package/dist/index.d.ts',
    'package/dist/cli/main.js',
    'package/dist/leases/sqlite-writer-thread.js',
    'package/dist/web/static/dashboard.js',
    'package/prebuilds/linux-x64/leasekeeper_transport.node',
    'package/prebuilds/linux-arm64/leasekeeper_transport.node',
    'package/LICENSE',
  ]) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
  assert.deepEqual(
    files.filter((f) => /^package\/(test|bench|examples)\/|-tsx\.js$|\.tsbuildinfo$/.test(f)),
    [],
  );
});

test('plain node imports the root and every subpath; the root loads neither pg nor better-sqlite3', () => {
  const out = node(
    project,
    'esm.mjs',
    `
import { createRequire } from 'node:module';
import * as root from 'leasekeeper';
import { decodeMessage, encodeMessage } from 'leasekeeper/protocol';
import * as server from 'leasekeeper/server';
import * as client from 'leasekeeper/client';
import { MemoryLeaseStore } from 'leasekeeper/leases/memory';
const drivers = Object.keys(createRequire(import.meta.url).cache).filter((p) => /node_modules\\/(pg|better-sqlite3)\\//.test(p));
const { SqliteLeaseStore } = await import('leasekeeper/leases/sqlite');
const { PostgresLeaseStore } = await import('leasekeeper/leases/postgresql');
console.log(JSON.stringify({
  root: typeof root.createDhcp, decode: typeof decodeMessage, encode: typeof encodeMessage,
  server: Object.keys(server).length > 0, client: Object.keys(client).length > 0,
  stores: [typeof MemoryLeaseStore, typeof SqliteLeaseStore, typeof PostgresLeaseStore], drivers,
}));
`,
  );
  assert.deepEqual(JSON.parse(out), {
    root: 'function',
    decode: 'function',
    encode: 'function',
    server: true,
    client: true,
    stores: ['function', 'function', 'function'],
    drivers: [],
  });
});

test('the quickstart runs from the installed package: offer, bind, release over the virtual network', () => {
  const out = node(
    project,
    'quickstart.mjs',
    `
import { createDhcp, VirtualNetwork, virtualUdp } from 'leasekeeper';
const net = new VirtualNetwork();
const lan = net.createLink('lan');
const routerHost = net.createHost('router');
routerHost.attach(lan, { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
const laptopHost = net.createHost('laptop');
laptopHost.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01' });
const server = await (await createDhcp(virtualUdp(routerHost))).serve({
  leaseRange: { start: '198.18.0.100', end: '198.18.0.200' },
  serverIdentifier: '198.18.0.1', netmask: '255.255.255.0', router: '198.18.0.1',
});
const client = await (await createDhcp(virtualUdp(laptopHost))).client({ mac: '02:00:00:00:00:01' });
const lease = await client.bound();
console.log(lease.address);
await client.stop({ release: true });
await server.stop();
`,
  );
  assert.equal(out.trim(), '198.18.0.100');
});

test(
  'the SQLite store runs its compiled writer thread from the package',
  { skip: NODE_MAJOR < 22 ? 'better-sqlite3 13 needs Node 22 or later' : false },
  () => {
    const out = node(
      project,
      'sqlite.mjs',
      `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { openLeaseStore } from 'leasekeeper';
const dir = mkdtempSync(join(tmpdir(), 'lk-pack-sqlite-'));
try {
  const store = await openLeaseStore({ type: 'sqlite', path: join(dir, 'leases.db'), writer: 'worker' });
  console.log(store.constructor.name, typeof store.close);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
`,
    );
    assert.equal(out.trim(), 'SqliteLeaseStore function');
  },
);

test(
  'CommonJS can require() the package (Node 22.12+ loads ES modules synchronously)',
  { skip: NODE_MAJOR === 22 && NODE_MINOR < 12 ? 'require(esm) needs Node 22.12' : false },
  () => {
    const out = node(
      project,
      'cjs.cjs',
      `const { createDhcp } = require('leasekeeper'); const { decodeMessage } = require('leasekeeper/protocol');
console.log(typeof createDhcp, typeof decodeMessage);`,
    );
    assert.equal(out.trim(), 'function function');
  },
);

test("a TypeScript consumer type-checks with `tsc --init`'s defaults and no @types of its own", () => {
  const dir = join(work, 'ts-consumer');
  mkdirSync(dir);
  execFileSync('cp', ['-r', join(project, 'node_modules'), join(project, 'package.json'), dir]);
  sh(process.execPath, [TSC, '--init'], dir);
  writeFileSync(
    join(dir, 'index.ts'),
    `import { createDhcp, VirtualNetwork, virtualUdp, openLeaseStore, type DhcpLease } from 'leasekeeper';
import { decodeMessage, encodeMessage, type DhcpMessage } from 'leasekeeper/protocol';
import { MemoryLeaseStore } from 'leasekeeper/leases/memory';

const net = new VirtualNetwork();
const host = net.createHost('router');
host.attach(net.createLink('lan'), { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
const server = await (await createDhcp(virtualUdp(host))).serve({
  leaseRange: { start: '198.18.0.100', end: '198.18.0.200' },
  serverIdentifier: '198.18.0.1',
  netmask: '255.255.255.0',
  router: '198.18.0.1',
});
server.on('bound', (lease: DhcpLease) => console.log(lease.ip));
const store = await openLeaseStore({ type: 'memory' });
const memory: MemoryLeaseStore = new MemoryLeaseStore();
const reencode = (m: DhcpMessage): Uint8Array => encodeMessage(m);
console.log(decodeMessage, reencode, store, memory);
await server.stop();
`,
  );
  assert.equal(sh(process.execPath, [TSC, '-p', '.', '--noEmit'], dir), '');
  // Misuse is caught: the consumer really sees the types, not \`any\`.
  writeFileSync(
    join(dir, 'bad.ts'),
    `import { decodeMessage } from 'leasekeeper/protocol';\nconst n: number = decodeMessage;\nconsole.log(n);\n`,
  );
  assert.throws(
    () => sh(process.execPath, [TSC, '-p', '.', '--noEmit'], dir),
    (err: { stdout?: string }) => /bad\.ts.*TS2322/.test(err.stdout ?? ''),
  );
});

test('the installed CLI: --version, and --help without loading a command', () => {
  const bin = join(project, 'node_modules', 'leasekeeper', 'dist', 'cli', 'main.js');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  // npm's bin link runs the file through its shebang: node gets the daemon's flags.
  const probe = join(work, 'exec-argv.cjs');
  writeFileSync(probe, 'process.stderr.write(`execArgv=${JSON.stringify(process.execArgv)}\\n`);\n');
  const linked = spawnSync(join(project, 'node_modules', '.bin', 'leasekeeper'), ['--version'], {
    cwd: project,
    env: { ...ENV, NODE_OPTIONS: `--require ${probe}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(linked.stdout.trim(), version, linked.stderr);
  assert.deepEqual(JSON.parse(/^execArgv=(.*)$/m.exec(linked.stderr)?.[1] ?? 'null'), [
    '--v8-pool-size=1',
    '--no-concurrent-marking',
  ]);
  const { stdout, loaded } = runRecorded([bin], ['--help'], project);
  assert.match(stdout, /^ {2}serve /m);
  assert.ok(loaded.some((m) => m.endsWith('/dist/cli/registry.js')));
  assert.deepEqual(
    loaded.filter((m) => NOT_FOR_HELP.test(m)),
    [],
  );
  assert.ok(readdirSync(join(project, 'node_modules', 'leasekeeper', 'prebuilds')).includes(`linux-x64`));
});

test('without a prebuilt addon or a compiler, the install step still succeeds and the addon reports itself unavailable', () => {
  const copy = join(work, 'no-prebuild', 'leasekeeper');
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(join(project, 'node_modules', 'leasekeeper'), copy, { recursive: true });
  rmSync(join(copy, 'prebuilds'), { recursive: true, force: true });
  // No compiler and no headers: node-gyp cannot build; the step must say so and exit 0.
  const env = { ...ENV, CC: '/bin/false', CXX: '/bin/false', npm_config_nodedir: join(work, 'no-headers') };
  const install = spawnSync(process.execPath, ['scripts/install-native.js'], {
    cwd: copy,
    env,
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, install.stderr);
  assert.match(install.stderr, /native transport addon not built .*the server will use the UDP transport/);
  // Symlink the dependencies so the copy's own modules load.
  symlinkSync(join(project, 'node_modules'), join(dirname(copy), 'node_modules'));
  const out = node(
    copy,
    'probe.mjs',
    `import { nativeAddon } from './dist/transport/linux/native.js';
const result = nativeAddon();
console.log(result.code ?? 'loaded');`,
  );
  assert.equal(out.trim(), 'ERR_TRANSPORT_NATIVE_UNAVAILABLE');
});
