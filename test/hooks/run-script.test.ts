// libdhcp_run_script.so built in: the script runs after the commit with Kea's hook point names and
// variables, never delaying the reply; concurrency is bounded, a hung script is killed, failures are
// logged once per interval with their count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { parseConfig } from '../../src/config/compile.ts';
import { LeaseScripts } from '../../src/hooks/lease-scripts.ts';
import { ScriptRunner } from '../../src/hooks/run-script.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { Reclaimer } from '../../src/runtime/reclaimer.ts';
import { Lab, basicConfig, msg } from '../server/harness.ts';

const LIB = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_run_script.so';
const MAC = '02:00:00:00:00:01';

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info', base: undefined },
    { write: (l: string) => void lines.push(JSON.parse(l)) },
  );
  return { logger, lines };
}

/** A directory with a script that writes its argument and environment to `<n>.<hook>.env`. */
function scriptDir(body = ''): {
  dir: string;
  script: string;
  runs: () => { hook: string; env: Record<string, string> }[];
} {
  const dir = mkdtempSync(join(tmpdir(), 'lk-run-script-'));
  const script = join(dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\n${body}\nenv > "${dir}/$$.$1.env"\n`);
  chmodSync(script, 0o755);
  const runs = (): { hook: string; env: Record<string, string> }[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.env'))
      .map((f) => {
        const env = Object.fromEntries(
          readFileSync(join(dir, f), 'utf8')
            .split('\n')
            .filter((l) => l.includes('='))
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        );
        return { hook: f.split('.')[1]!, env };
      });
  return { dir, script, runs };
}

function labWith(script: string): { lab: Lab; scripts: LeaseScripts } {
  const config = {
    Dhcp4: {
      ...basicConfig.Dhcp4,
      'hooks-libraries': [{ library: LIB, parameters: { name: script, sync: false } }],
    },
  };
  const lab = new Lab(config);
  const scripts = new LeaseScripts(pino({ level: 'silent' }));
  scripts.configure(lab.engine.currentConfig.hooks.runScript);
  lab.engine.onLeaseEvent((e) => scripts.leaseEvent(e));
  return { lab, scripts };
}

test("a grant, a renewal, a release and a decline run the script with Kea's hook points and variables", async () => {
  const { dir, script, runs } = scriptDir();
  const { lab, scripts } = labWith(script);
  try {
    const ack = await lab.dora(MAC, { options: { 'host-name': 'pc1' } });
    const address = ack.message.yiaddr;
    await scripts.idle();
    let all = runs();
    assert.deepEqual(
      all.map((r) => r.hook),
      ['leases4_committed'],
    );
    const committed = all[0]!.env;
    assert.equal(committed['QUERY4_TYPE'], 'DHCPREQUEST');
    assert.equal(committed['QUERY4_TXID'], String(0x1234));
    assert.equal(committed['QUERY4_HWADDR'], MAC);
    assert.equal(committed['QUERY4_HWADDR_TYPE'], '1');
    assert.equal(committed['QUERY4_RELAYED'], 'false');
    assert.equal(committed['QUERY4_IFACE_NAME'], 'eth0');
    assert.equal(committed['LEASES4_SIZE'], '1');
    assert.equal(committed['LEASES4_AT0_ADDRESS'], address);
    assert.equal(committed['LEASES4_AT0_HWADDR'], MAC);
    assert.equal(committed['LEASES4_AT0_HOSTNAME'], 'pc1');
    assert.equal(committed['LEASES4_AT0_STATE'], 'default');
    assert.equal(committed['LEASES4_AT0_VALID_LIFETIME'], '3600');
    assert.equal(committed['LEASES4_AT0_SUBNET_ID'], '1');
    assert.equal(committed['LEASES4_AT0_CLTT'], String(Math.floor(lab.now / 1000)));
    assert.equal(committed['DELETED_LEASES4_SIZE'], '0');
    assert.equal(committed['PATH'], undefined, "the script's environment is Kea's variables only");
    for (const f of readdirSync(dir)) if (f.endsWith('.env')) rmSync(join(dir, f));

    lab.advance(1800);
    const renew = await lab.one(msg(MessageType.REQUEST, MAC, { ciaddr: address }));
    assert.equal(renew.type, MessageType.ACK);
    await scripts.idle();
    all = runs();
    assert.deepEqual(all.map((r) => r.hook).sort(), ['lease4_renew', 'leases4_committed']);
    const renewed = all.find((r) => r.hook === 'lease4_renew')!.env;
    assert.equal(renewed['LEASE4_ADDRESS'], address);
    assert.equal(renewed['QUERY4_CIADDR'], address);
    assert.equal(renewed['SUBNET4_ID'], '1');
    assert.equal(renewed['SUBNET4_NAME'], '198.18.0.0/24');
    assert.equal(renewed['SUBNET4_PREFIX'], '198.18.0.0');
    assert.equal(renewed['SUBNET4_PREFIX_LEN'], '24');
    assert.equal(renewed['PKT4_HWADDR'], MAC);
    for (const f of readdirSync(dir)) if (f.endsWith('.env')) rmSync(join(dir, f));

    await lab.none(msg(MessageType.RELEASE, MAC, { ciaddr: address }));
    const other = await lab.dora('02:00:00:00:00:02');
    await lab.none(
      msg(MessageType.DECLINE, '02:00:00:00:00:02', {
        options: {
          'dhcp-requested-address': other.message.yiaddr,
          'dhcp-server-identifier': '198.18.0.1',
        },
      }),
    );
    await scripts.idle();
    const byHook = new Map(runs().map((r) => [r.hook, r.env]));
    assert.equal(byHook.get('lease4_release')?.['LEASE4_ADDRESS'], address);
    assert.equal(byHook.get('lease4_release')?.['QUERY4_TYPE'], 'DHCPRELEASE');
    assert.equal(byHook.get('lease4_decline')?.['LEASE4_ADDRESS'], other.message.yiaddr);
    assert.equal(byHook.get('lease4_decline')?.['QUERY4_TYPE'], 'DHCPDECLINE');
  } finally {
    scripts.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relayed request carries option 82 and its circuit and remote ids as Kea prints them', async () => {
  const { dir, script, runs } = scriptDir();
  const { lab, scripts } = labWith(script);
  try {
    const agent = [
      { code: 1, data: Uint8Array.from([0x65, 0x74, 0x68, 0x31]) },
      { code: 2, data: Uint8Array.from([1, 2, 0xab]) },
    ];
    await lab.dora(MAC, { giaddr: '198.18.0.1', options: { 'dhcp-agent-options': agent } });
    await scripts.idle();
    const env = runs()[0]!.env;
    assert.equal(env['QUERY4_RELAYED'], 'true');
    assert.equal(env['QUERY4_GIADDR'], '198.18.0.1');
    assert.equal(env['QUERY4_OPTION_82'], '0x0104657468310203010 2AB'.replace(' ', ''));
    assert.equal(env['QUERY4_OPTION_82_SUB_OPTION_1'], '0x65746831');
    assert.equal(env['QUERY4_OPTION_82_SUB_OPTION_2'], '0x0102AB');
  } finally {
    scripts.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an expired lease runs lease4_expire with the lease as it was and REMOVE_LEASE', async () => {
  const { dir, script, runs } = scriptDir();
  const { lab, scripts } = labWith(script);
  const reclaimer = new Reclaimer({
    engine: lab.engine,
    store: lab.store,
    clock: () => lab.now,
    logger: pino({ level: 'silent' }),
    onReclaimed: (lease, removed) => scripts.leaseExpired(lease, removed),
  });
  try {
    const ack = await lab.dora(MAC);
    await scripts.idle();
    lab.advance(3601);
    await reclaimer.run(false);
    await scripts.idle();
    const expire = runs().find((r) => r.hook === 'lease4_expire')?.env;
    assert.equal(expire?.['LEASE4_ADDRESS'], ack.message.yiaddr);
    assert.equal(expire?.['LEASE4_STATE'], 'default');
    assert.equal(expire?.['REMOVE_LEASE'], 'false');
  } finally {
    reclaimer.stop();
    scripts.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hung script is killed; at most `concurrency` scripts run at once', async () => {
  // Each run counts the runs alive when it starts (its own marker included), then hangs until killed.
  const { dir, script } = scriptDir();
  const alive = 'n=0; for f in "$D"/alive.*; do kill -0 "${f##*.}" 2>/dev/null && n=$((n+1)); done';
  writeFileSync(
    script,
    `#!/bin/sh\nD="${dir}"\ntouch "$D/alive.$$"\n${alive}\necho "$n" >> "$D/counts"\nexec sleep 30\n`,
  );
  const { logger, lines } = capture();
  const runner = new ScriptRunner({ script, logger, concurrency: 2, timeoutMs: 1500, intervalMs: 60_000 });
  try {
    for (let i = 0; i < 4; i++) runner.run('leases4_committed', {});
    await runner.idle();
    const counts = readFileSync(join(dir, 'counts'), 'utf8').trim().split('\n').map(Number);
    assert.equal(counts.length, 4);
    assert.ok(Math.max(...counts) <= 2, `alive at once: ${counts.join(', ')}`);
    runner.stop();
    const warn = lines.filter((l) => l['level'] === 40);
    assert.equal(warn.length, 1, 'one line for the interval');
    assert.match(
      String(warn[0]!['msg']),
      /^4 run_script failures \(.*hook\.sh\): 4 killed after running too long$/,
    );
  } finally {
    runner.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failures are counted by kind and logged once per interval; a full queue drops events', async () => {
  const { dir, script } = scriptDir('exit 3');
  const { logger, lines } = capture();
  const runner = new ScriptRunner({ script, logger, concurrency: 1, maxQueue: 3, intervalMs: 60_000 });
  const missing = new ScriptRunner({ script: join(dir, 'nope.sh'), logger, intervalMs: 60_000 });
  try {
    for (let i = 0; i < 6; i++) runner.run('lease4_release', {});
    missing.run('lease4_release', {});
    await runner.idle();
    await missing.idle();
    runner.stop();
    missing.stop();
    const msgs = lines.filter((l) => l['level'] === 40).map((l) => String(l['msg']));
    assert.equal(msgs.length, 2);
    // The first event starts at once; three wait; two find the queue full.
    assert.match(
      msgs[0]!,
      /^6 run_script failures \(.*\): 4 exit status 3, 2 events dropped \(queue full\)$/,
    );
    assert.match(msgs[1]!, /^1 run_script failures \(.*nope\.sh\): 1 cannot run \(ENOENT\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Kea's parameters: the full path and sync false; sync true and a relative path are refused", () => {
  const ok = parseConfig({
    Dhcp4: { 'hooks-libraries': [{ library: LIB, parameters: { name: '/usr/local/bin/lease-hook' } }] },
  });
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.hooks.runScript, { name: '/usr/local/bin/lease-hook' });
  const bad = parseConfig({
    Dhcp4: {
      'hooks-libraries': [
        { library: LIB, parameters: { name: 'hook.sh', sync: true } },
        { library: 'libdhcp_run_script.so', parameters: { name: '/bin/true' } },
      ],
    },
  });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.ok ? [] : bad.error.issues.map((i) => i.path), [
    'Dhcp4.hooks-libraries[0].parameters.name',
    'Dhcp4.hooks-libraries[0].parameters.sync',
  ]);
});
