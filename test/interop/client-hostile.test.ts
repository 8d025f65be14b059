/**
 * `leasekeeper client` against a hostile server in lab namespaces: lease time 0, subnet mask 0.0.0.0, a
 * router off the link and a domain name carrying a nameserver line. The client must not loop (one
 * lease, two script runs), configure /24 and not /0, keep the injected line out of resolv.conf, and report
 * the failed route as a failure (log, `ctl status`, `-q` exit code). Then the missing udhcpc pieces
 * against a sane scripted server: -P PORT, --inform, -r from a manifest's default_ip.
 * Root, iproute2, 198.18.0.0/15 only; the route the hostile server asks for cannot be added.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type LabProcess, type Netns } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { ctl, scriptEvents, spawnClient, writeScript } from '../runtime/client-helpers.ts';

const { test } = requiring('root', 'ip', 'busybox');

const SERVER = fileURLToPath(new URL('../client/interop/scripted-server.ts', import.meta.url));
const FAST = ['-t', '2', '-T', '1', '-A', '1', '--no-arp'];
/** How long a client runs after binding, to show that it does not bind again (the lease-0 storm did ~30/s). */
const WATCH_MS = 3_000;

async function labWith(
  lab: Lab,
  mode: 'hostile' | 'plain',
  clientPort = 68,
): Promise<{ cli: Netns; server: LabProcess }> {
  const { srv, cli } = await serverAndClient(lab);
  const server = srv.spawn(process.execPath, ['--import', 'tsx', SERVER, mode, String(clientPort)]);
  await server.waitFor(/ready/, 20_000);
  return { cli, server };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

test('hostile server, built-in applier: one lease, /24, no injected resolv.conf line, the failure reported', async () => {
  const lab = await createLab('chb');
  try {
    const { cli, server } = await labWith(lab, 'hostile');
    const resolv = join(cli.dir, 'resolv.conf');
    const sock = join(cli.dir, 'client.sock');
    const p = spawnClient(cli, [
      '-i',
      'eth0',
      '-f',
      '--resolv-conf',
      resolv,
      '--control-socket',
      sock,
      ...FAST,
    ]);
    await p.waitFor(/not applied/, 30_000);
    await pause(WATCH_MS);
    const out = p.output();
    assert.equal(count(out, /lease of \S+ obtained/g), 1, out);
    assert.match(out, /lease time 0 s raised to 30 s/);
    assert.match(out, /subnet mask 0\.0\.0\.0 refused, using 255\.255\.255\.0/);
    assert.ok(count(server.output(), /^req 1$/gm) <= 1, server.output());
    assert.deepEqual(await cli.addresses('eth0'), ['198.18.0.10/24']);

    const conf = readFileSync(resolv, 'utf8');
    assert.doesNotMatch(conf, /203\.0\.113\.66/);
    assert.match(conf, /^nameserver 198\.18\.0\.53$/m);
    assert.doesNotMatch(conf, /^search/m);

    const st = await ctl(sock, 'status');
    const status = JSON.parse(st.stdout) as {
      arguments: { state: string; configuration: string; applyError: { message: string } };
    };
    assert.equal(status.arguments.state, 'BOUND');
    assert.equal(status.arguments.configuration, 'failed');
    assert.match(status.arguments.applyError.message, /route replace default via 198\.19\.0\.1/);
    assert.match(status.arguments.applyError.message, /refused DNS search names/);
    assert.equal(await p.stop('SIGTERM'), 0);

    // -q: a lease that could not be applied is not a success.
    const q = spawnClient(cli, ['-i', 'eth0', '-q', ...FAST]);
    assert.equal(await q.exited, 1, q.output());
    assert.match(q.output(), /not applied/);
  } finally {
    await lab.close();
  }
});

test('hostile server, udhcpc script: deconfig and bound only, mask 24, the domain shown as "bad"', async () => {
  const lab = await createLab('chs');
  try {
    const { cli } = await labWith(lab, 'hostile');
    const { script, log } = writeScript(cli.dir);
    const p = spawnClient(cli, ['-i', 'eth0', '-f', '-s', script, '--no-route', ...FAST]);
    await p.waitFor(/lease of \S+ obtained/, 30_000);
    await pause(WATCH_MS);
    const events = scriptEvents(readFileSync(log, 'utf8'));
    assert.deepEqual(
      events.map((e) => e.event),
      ['deconfig', 'bound'],
    );
    const bound = events[1]!.env;
    assert.equal(bound['mask'], '24');
    assert.equal(bound['subnet'], '255.255.255.0');
    assert.equal(bound['domain'], 'bad');
    assert.equal(bound['lease'], '0');
    assert.deepEqual(await cli.addresses('eth0'), ['198.18.0.10/24']);
    assert.equal(await p.stop('SIGTERM'), 0);
  } finally {
    await lab.close();
  }
});

test('-P 1068 with -r from the manifest default_ip; --inform prints the answer; a bad manifest fails clearly', async () => {
  const lab = await createLab('chp');
  try {
    const { cli, server } = await labWith(lab, 'plain', 1068);
    const manifest = join(cli.dir, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ default_ip: '198.18.0.57' }));
    const p = spawnClient(cli, [
      '-i',
      'eth0',
      '-q',
      '-P',
      '1068',
      '--manifest',
      manifest,
      '--no-route',
      ...FAST,
    ]);
    assert.equal(await p.exited, 0, p.output());
    assert.match(p.output(), /requesting 198\.18\.0\.57 \(default_ip of /);
    assert.deepEqual(await cli.addresses('eth0'), ['198.18.0.57/24']);

    const inf = spawnClient(cli, ['-i', 'eth0', '-P', '1068', '--inform', '198.18.0.57', ...FAST]);
    assert.equal(await inf.exited, 0, inf.output());
    assert.match(inf.output(), /^dns=198\.18\.0\.53$/m);
    assert.match(inf.output(), /^domain=lab\.example$/m);
    assert.match(server.output(), /^req 8$/m);

    writeFileSync(manifest, JSON.stringify({ default_ip: 'not an address' }));
    const bad = spawnClient(cli, ['-i', 'eth0', '-q', '-P', '1068', '--manifest', manifest, ...FAST]);
    assert.equal(await bad.exited, 1);
    assert.match(bad.output(), /bad manifest: .*"default_ip" is not an IPv4 address: "not an address"/);
  } finally {
    await lab.close();
  }
});
