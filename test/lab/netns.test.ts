import { requiring } from './needs.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createLab, cleanupStaleLabs, processAlive, requireRoot, type Lab } from './netns.ts';

const { test } = requiring('root', 'ip', 'busybox');

function namespaces(): string[] {
  try {
    return readdirSync('/var/run/netns');
  } catch {
    return [];
  }
}

test('requireRoot passes as root', () => {
  assert.doesNotThrow(() => requireRoot());
});

test('namespaces exist while the lab is open and are gone after close; close is idempotent', async () => {
  const lab = await createLab('lt');
  try {
    const a = await lab.namespace('a');
    const b = await lab.namespace('b');
    assert.notEqual(a.name, b.name);
    assert.ok(a.name.includes(lab.id));
    assert.ok(namespaces().includes(a.name));
    assert.ok(namespaces().includes(b.name));
    assert.ok(existsSync(lab.dir));
    // IPv6 off and lo up inside
    const v6 = await a.run('cat', ['/proc/sys/net/ipv6/conf/all/disable_ipv6']);
    assert.equal(v6.stdout.trim(), '1');
    const lo = await a.run('ip', ['-j', 'link', 'show', 'lo']);
    assert.match(lo.stdout, /"UP"/);
    // nothing else but lo: no routes, no default route
    const routes = await a.run('ip', ['-4', 'route', 'show']);
    assert.equal(routes.stdout.trim(), '');
    await lab.close();
    assert.ok(!namespaces().includes(a.name));
    assert.ok(!namespaces().includes(b.name));
    assert.ok(!existsSync(lab.dir));
    await lab.close();
    await assert.rejects(() => lab.namespace('c'), /closed/);
  } finally {
    await lab.close();
  }
});

test('namespaces are deleted when the test body throws', async () => {
  let lab: Lab | undefined;
  let name = '';
  await assert.rejects(async () => {
    lab = await createLab('lt');
    try {
      const ns = await lab.namespace('x');
      name = ns.name;
      assert.ok(namespaces().includes(name));
      throw new Error('boom');
    } finally {
      await lab.close();
    }
  }, /boom/);
  assert.ok(name !== '');
  assert.ok(!namespaces().includes(name));
});

test('two labs in one process get different ids and names', async () => {
  const l1 = await createLab('lt');
  const l2 = await createLab('lt');
  try {
    assert.notEqual(l1.id, l2.id);
    const a = await l1.namespace('s');
    const b = await l2.namespace('s');
    assert.notEqual(a.name, b.name);
  } finally {
    await l1.close();
    await l2.close();
  }
});

test('a veth pair joins two namespaces: addresses, MACs and ping work', async () => {
  const lab = await createLab('lt');
  try {
    const srv = await lab.namespace('srv');
    const cli = await lab.namespace('cli');
    await lab.veth(srv, 'eth0', cli, 'eth0', { aMac: '02:00:00:00:00:01', bMac: '02:00:00:00:00:02' });
    assert.equal(await srv.mac('eth0'), '02:00:00:00:00:01');
    assert.equal(await cli.mac('eth0'), '02:00:00:00:00:02');
    await srv.addAddress('eth0', '198.18.0.1/24');
    await cli.addAddress('eth0', '198.18.0.2/24');
    assert.deepEqual(await srv.addresses('eth0'), ['198.18.0.1/24']);
    assert.deepEqual(await cli.addresses('eth0'), ['198.18.0.2/24']);
    const ping = await cli.run('busybox', ['ping', '-c', '1', '-W', '2', '198.18.0.1']);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, /1 packets received/);
    await cli.setLink('eth0', false);
    const down = await cli.run('busybox', ['ping', '-c', '1', '-W', '1', '198.18.0.1']);
    assert.notEqual(down.code, 0);
  } finally {
    await lab.close();
  }
});

test('addresses outside 198.18.0.0/15 are refused', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('a');
    await assert.rejects(() => ns.addAddress('lo', '10.0.0.1/8'), /198\.18\.0\.0\/15/);
    await assert.rejects(() => ns.addAddress('lo', '198.20.0.1/24'), /198\.18\.0\.0\/15/);
    await ns.addAddress('lo', '198.19.255.1/32');
    assert.deepEqual(
      (await ns.addresses('lo')).filter((a) => a.startsWith('198.')),
      ['198.19.255.1/32'],
    );
  } finally {
    await lab.close();
  }
});

test('a bridge joins three namespaces on one segment', async () => {
  const lab = await createLab('lt');
  try {
    const hosts = [await lab.namespace('h0'), await lab.namespace('h1'), await lab.namespace('h2')];
    await lab.bridge(
      'br',
      hosts.map((ns) => ({ ns, ifname: 'eth0' })),
    );
    for (const [i, ns] of hosts.entries()) await ns.addAddress('eth0', `198.18.1.${i + 1}/24`);
    const ping = await hosts[2]!.run('busybox', ['ping', '-c', '1', '-W', '2', '198.18.1.1']);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  } finally {
    await lab.close();
  }
});

test('spawn gives the real program PID, output and waitFor; close kills it', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('p');
    const proc = ns.spawn('sleep', ['60']);
    const echo = ns.spawn('sh', ['-c', 'echo ready; exec sleep 60']);
    await echo.waitFor(/ready/, 5000);
    // `ip netns exec` execs: the PID is sleep's own (its comm would be 'ip' otherwise), in the lab's netns
    // (the same PID is `ip` for the instant before it execs: wait, bounded, for the exec)
    let comm = '';
    for (let i = 0; i < 100 && comm !== 'sleep'; i++) {
      comm = readFileSync(`/proc/${proc.pid}/comm`, 'utf8').trim();
      if (comm !== 'sleep') await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(comm, 'sleep');
    const pids = execFileSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' });
    assert.ok(pids.split('\n').includes(String(proc.pid)), pids);
    assert.match(echo.output(), /ready/);
    await lab.close();
    assert.equal(processAlive(proc.pid), false);
    assert.equal(await proc.exited, null); // killed by a signal
  } finally {
    await lab.close();
  }
});

test('waitFor rejects with the output on exit and on timeout; stop escalates to SIGKILL', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('w');
    const quick = ns.spawn('sh', ['-c', 'echo hello-out; exit 3']);
    await assert.rejects(() => quick.waitFor(/never/, 5000), /exited before[\s\S]*hello-out/);
    assert.equal(await quick.exited, 3);
    const stubborn = ns.spawn('sh', ['-c', "trap '' TERM; echo armed; while :; do sleep 1; done"]);
    await stubborn.waitFor(/armed/, 5000);
    await assert.rejects(() => stubborn.waitFor(/never/, 200), /timeout[\s\S]*armed/);
    assert.equal(await stubborn.stop('SIGTERM', 300), null);
    assert.equal(processAlive(stubborn.pid), false);
  } finally {
    await lab.close();
  }
});

test('run returns code and output, feeds stdin, rejects on timeout', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('r');
    const r = await ns.run('sh', ['-c', 'cat; echo err >&2; exit 4'], { input: 'in-data' });
    assert.deepEqual(r, { code: 4, stdout: 'in-data', stderr: 'err\n' });
    await assert.rejects(() => ns.run('sleep', ['10'], { timeoutMs: 200 }), /timed out/);
  } finally {
    await lab.close();
  }
});

test('processes a program started inside the namespace (not via spawn) are killed on close', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('d');
    // a daemon that detaches from its parent: only `ip netns pids` can still find it
    const r = await ns.run('sh', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!']);
    const pid = Number(r.stdout.trim());
    assert.ok(processAlive(pid));
    await lab.close();
    assert.equal(processAlive(pid), false);
  } finally {
    await lab.close();
  }
});

test('cleanupStaleLabs deletes namespaces of dead owners only', async () => {
  // a dead owner: a short-lived child process's PID
  const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
  assert.equal(processAlive(dead), false);
  const stale = `lk-lt-${dead}-1-old`;
  const lab = await createLab('lt'); // first, as its own once-per-process sweep would take `stale`
  execFileSync('ip', ['netns', 'add', stale]);
  try {
    const mine = await lab.namespace('live');
    const deleted = cleanupStaleLabs();
    // Another test process's sweep may delete `stale` first (any sweep removes dead owners' namespaces), so
    // what must hold is that it is gone, and that this sweep reported only dead owners' namespaces.
    assert.ok(!namespaces().includes(stale));
    assert.ok(namespaces().includes(mine.name));
    assert.ok(!deleted.includes(mine.name));
    for (const name of deleted) assert.match(name, /^lk-[a-z]+-\d+-/);
    assert.ok(deleted.every((name) => !processAlive(Number(name.split('-')[2]))));
  } finally {
    await lab.close();
    if (namespaces().includes(stale)) execFileSync('ip', ['netns', 'del', stale]);
  }
});

for (const mode of ['exit', 'throw', 'signal'] as const) {
  test(`a process that ends by ${mode} without close() still removes its lab`, async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'exit-child.ts'), mode],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      if (mode === 'signal') {
        for (let i = 0; i < 1200 && !out.includes('"ns"'); i++) await new Promise((r) => setTimeout(r, 50));
        child.kill('SIGINT');
      }
      await exited;
      const info = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? 'null') as {
        ns: string;
        pid: number;
        dir: string;
      } | null;
      assert.ok(info, out);
      assert.ok(!namespaces().includes(info.ns), `${info.ns} left behind`);
      assert.equal(processAlive(info.pid), false);
      assert.equal(existsSync(info.dir), false);
    } finally {
      clearTimeout(deadline);
      cleanupStaleLabs();
    }
  });
}

test('exited resolves when the program exits even if its own child keeps the output pipe open', async () => {
  const lab = await createLab('lt');
  try {
    const ns = await lab.namespace('k');
    const proc = ns.spawn('sh', ['-c', 'sleep 30 & echo started; exit 5']);
    assert.equal(await proc.exited, 5);
    assert.match(proc.output(), /started/);
    const r = await ns.run('sh', ['-c', 'sleep 30 & echo bg; exit 2']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, 'bg\n');
  } finally {
    await lab.close();
  }
});
