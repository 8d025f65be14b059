/** The HA building blocks on their own: the RFC 3074 hash, the configuration, failure detection, commands. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileConfig, parseConfig } from '../../src/config/index.ts';
import type { HaConfig } from '../../src/config/high-availability.ts';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { PartnerCommunication } from '../../src/ha/communication.ts';
import { loadBalanceHash, loadBalanceServer } from '../../src/ha/hash.ts';
import { parsePeerAnswer, type PeerSender } from '../../src/ha/partner-client.ts';
import { HaService } from '../../src/ha/service.ts';
import { createMessage, parseMac } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { FakeLeases, FakeTarget } from '../control/fake-target.ts';
import { makeLease } from '../leases/fixtures.ts';

const HA_LIB = '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so';

function dhcp4(ha: Record<string, unknown>): unknown {
  return {
    Dhcp4: {
      'hooks-libraries': [
        { library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so' },
        { library: HA_LIB, parameters: { 'high-availability': [ha] } },
      ],
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
    },
  };
}

const PAIR = {
  'this-server-name': 'server1',
  mode: 'load-balancing',
  peers: [
    { name: 'server1', url: 'http://198.18.0.1:8000/', role: 'primary' },
    { name: 'server2', url: 'http://198.18.0.2:8000/', role: 'secondary', 'auto-failover': true },
  ],
};

/** An HA service with `send` as its link to the peers, over a FakeLeases store; no lease sync expected. */
function haService(config: HaConfig, send: PeerSender): HaService {
  return new HaService({
    config,
    store: new FakeLeases() as never,
    parseLease: () => assert.fail('no sync here'),
    logger: createLogger({ level: 'silent' }),
    send,
  });
}

/** A ten-minute lease on 198.18.0.`last` for MAC 02:00:00:00:00:`last`. */
function haLease(last: number): Lease {
  return makeLease({
    address: `198.18.0.${last}`,
    hwAddress: `02:00:00:00:00:${last}`,
    clientId: null,
    validLifetime: 600,
    cltt: Date.UTC(2026, 0, 1),
  });
}

function discover(mac: string, clientId?: Uint8Array, secs = 0) {
  const m = createMessage({ op: 1, chaddr: parseMac(mac), secs });
  m.options.setRaw(53, Uint8Array.of(1));
  if (clientId !== undefined) m.options.setRaw(61, clientId);
  return m;
}

describe('RFC 3074 load-balancing hash', () => {
  it('is a permutation walk seeded with the key length', () => {
    // An empty key hashes to its seed 0; a one-byte key k to MixTable[1 ^ k].
    assert.equal(loadBalanceHash(new Uint8Array(0)), 0);
    assert.equal(loadBalanceHash(Uint8Array.of(1)), 251); // MixTable[0]
    assert.equal(loadBalanceHash(Uint8Array.of(0)), 175); // MixTable[1]
    const seen = new Set<number>();
    for (let k = 0; k < 256; k++) seen.add(loadBalanceHash(Uint8Array.of(k)));
    assert.equal(seen.size, 256);
  });

  it('hashes the client identifier when there is one, else chaddr', () => {
    const mac = '02:00:00:00:00:07';
    const byMac = loadBalanceHash(parseMac(mac)) % 2;
    assert.equal(loadBalanceServer(discover(mac), 2), byMac);
    const id = Uint8Array.of(0, 0xaa, 0xbb, 0xcc);
    assert.equal(loadBalanceServer(discover(mac, id), 2), loadBalanceHash(id) % 2);
    const none = createMessage({ op: 1, hlen: 0 });
    assert.equal(loadBalanceServer(none, 2), -1);
  });
});

describe('libdhcp_ha.so configuration', () => {
  it("accepts Kea's hook entry with its defaults", () => {
    const c = compileConfig(dhcp4(PAIR)).highAvailability!;
    assert.equal(c.mode, 'load-balancing');
    assert.equal(c.thisServer.name, 'server1');
    assert.equal(c.partner?.name, 'server2');
    assert.equal(c.heartbeatDelay, 10_000);
    assert.equal(c.maxResponseDelay, 60_000);
    assert.equal(c.maxUnackedClients, 10);
    assert.equal(c.syncPageLimit, 10_000);
  });

  it("TLS towards a peer: the peer's trust-anchor, cert-file and key-file, else the relationship's", () => {
    const c = compileConfig(
      dhcp4({
        ...PAIR,
        'trust-anchor': '/etc/kea/ca.pem',
        'cert-file': '/etc/kea/server1.pem',
        'key-file': '/etc/kea/server1.key',
        peers: [
          PAIR.peers[0],
          { ...PAIR.peers[1], url: 'https://198.18.0.2:8000/', 'trust-anchor': '/etc/kea/other-ca.pem' },
        ],
      }),
    ).highAvailability!;
    const partner = c.partner!;
    assert.deepEqual(
      [partner.trustAnchor, partner.certFile, partner.keyFile],
      ['/etc/kea/other-ca.pem', '/etc/kea/server1.pem', '/etc/kea/server1.key'],
    );
  });

  for (const [what, change, path] of [
    ['an unknown this-server-name', { 'this-server-name': 'server9' }, 'this-server-name'],
    [
      'two primaries',
      { peers: PAIR.peers.map((p) => ({ ...p, role: 'primary' })) },
      'high-availability[0].peers',
    ],
    ['an unknown parameter', { 'heartbeat-dely': 5 }, 'heartbeat-dely'],
    ['a standby in load balancing', { mode: 'hot-standby' }, 'peers'],
  ] as const) {
    it(`refuses ${what}, naming the JSON path`, () => {
      const r = parseConfig(dhcp4({ ...PAIR, ...change }));
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error.message, new RegExp(path.replace(/[[\]]/g, '\\$&')));
    });
  }

  it('still refuses other hook libraries', () => {
    const r = parseConfig({ Dhcp4: { 'hooks-libraries': [{ library: '/x/libdhcp_flex_id.so' }] } });
    assert.equal(r.ok, false);
  });
});

describe("Kea's failure detection", () => {
  const settings = { maxResponseDelay: 1000, maxAckDelay: 5000, maxUnackedClients: 2 };

  it('counts a client unacked once its secs pass max-ack-delay, byte-swapped secs included', () => {
    let now = 0;
    const p = new PartnerCommunication(settings, () => now);
    assert.equal(p.interrupted(), false);
    now = 1001;
    assert.equal(p.interrupted(), true);
    p.analyze(discover('02:00:00:00:00:01', undefined, 1)); // trying for 1 s: connecting, not unacked
    p.analyze(discover('02:00:00:00:00:02', undefined, 6));
    p.analyze(discover('02:00:00:00:00:02', undefined, 7)); // the same client again
    p.analyze(discover('02:00:00:00:00:03', undefined, 0x0600)); // 6 s, byte-swapped
    assert.equal(p.failureDetected(), false); // 2 unacked: not more than 2
    p.analyze(discover('02:00:00:00:00:01', undefined, 9)); // the first client is now unacked too
    assert.equal(p.failureDetected(), true);
    const r = p.report();
    assert.equal(r['connecting-clients'], 3);
    assert.equal(r['unacked-clients'], 3);
    assert.equal(r['analyzed-packets'], 5);
    p.poke();
    assert.equal(p.interrupted(), false);
    assert.equal(p.failureDetected(), false);
  });
});

describe('the ha-* commands', () => {
  function setup(send: PeerSender): {
    service: HaService;
    run: (c: string, a?: unknown) => Promise<unknown>;
  } {
    const config: HaConfig = compileConfig(dhcp4(PAIR)).highAvailability!;
    const service = haService(config, send);
    const target = Object.assign(new FakeTarget(), { ha: service });
    const registry = createCommandRegistry({}, { highAvailability: true });
    const ctx = { target, via: 'internal' as const, agent: false, now: () => Date.now() };
    return { service, run: (command, args) => registry.run(command, args, ctx) };
  }

  it("answer in Kea's shapes", async () => {
    const { run } = setup(async () => assert.fail('nothing is sent'));
    const hb = (await run('ha-heartbeat')) as { result: number; arguments: Record<string, unknown> };
    assert.equal(hb.result, 0);
    assert.equal(hb.arguments['state'], 'waiting');
    assert.deepEqual(hb.arguments['scopes'], []);
    assert.match(String(hb.arguments['date-time']), /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.equal(hb.arguments['unsent-update-count'], 0);
    assert.deepEqual(await run('ha-scopes', { scopes: ['server1', 'server2'] }), {
      result: 0,
      text: 'New HA scopes configured.',
    });
    assert.deepEqual(await run('ha-scopes', { scopes: ['nobody'] }), {
      result: 1,
      text: "invalid server name specified 'nobody' while enabling/disabling HA scopes",
    });
    assert.deepEqual(await run('ha-scopes', {}), {
      result: 1,
      text: "'scopes' is mandatory for the 'ha-scopes' command",
    });
    assert.deepEqual(await run('ha-continue'), { result: 0, text: 'HA state machine is not paused.' });
    assert.deepEqual(await run('ha-reset'), {
      result: 0,
      text: 'HA state machine already in WAITING state.',
    });
    assert.deepEqual(await run('ha-maintenance-notify', { cancel: false }), {
      result: 0,
      text: 'Server is in-maintenance state.',
    });
    assert.deepEqual(await run('ha-maintenance-notify', { cancel: true }), {
      result: 0,
      text: 'Server maintenance canceled.',
    });
    assert.deepEqual(await run('ha-sync', {}), {
      result: 1,
      text: "'server-name' is mandatory for the 'ha-sync' command",
    });
    const status = (await run('status-get')) as { arguments: Record<string, unknown> };
    const ha = (status.arguments['high-availability'] as Record<string, unknown>[])[0]!;
    assert.equal(ha['ha-mode'], 'load-balancing');
    const servers = ha['ha-servers'] as { local: Record<string, unknown>; remote: Record<string, unknown> };
    assert.deepEqual(servers.local, { role: 'primary', scopes: [], state: 'waiting' });
    assert.equal(servers.remote['role'], 'secondary');
    assert.equal(servers.remote['in-touch'], false);
  });

  it('ha-maintenance-start puts the partner in maintenance, or goes partner-down when it is gone', async () => {
    const sent: string[] = [];
    const up = setup(async (_peer, command) => {
      sent.push(command);
      return { result: 0, text: 'Server is in-maintenance state.', arguments: undefined };
    });
    const a = (await up.run('ha-maintenance-start')) as { result: number };
    assert.equal(a.result, 0);
    assert.deepEqual(sent, ['ha-maintenance-notify']);
    assert.equal(up.service.state, 'partner-in-maintenance');
    assert.deepEqual(up.service.scopes, ['server1', 'server2']);

    const down = setup(async () => {
      throw new Error('connection refused');
    });
    const b = (await down.run('ha-maintenance-start')) as { text: string };
    assert.match(b.text, /partner-down state/);
    assert.equal(down.service.state, 'partner-down');
    assert.deepEqual(down.service.scopes, ['server1', 'server2']);
  });

  it("keep a peer's answer text to one bounded, escaped line", () => {
    const a = parsePeerAnswer([{ result: 1, text: `refused\n\u001b[31mforged line${'x'.repeat(1000)}` }]);
    assert.equal(a.result, 1);
    assert.ok(!a.text.includes('\n') && !a.text.includes('\u001b'));
    assert.ok(a.text.length < 340);
    assert.throws(() => parsePeerAnswer('not an answer'));
  });

  it('answer "not supported" while the HA service is not running', async () => {
    const registry = createCommandRegistry({}, { highAvailability: true });
    const ctx = { target: new FakeTarget(), via: 'internal' as const, agent: false, now: () => Date.now() };
    assert.equal(((await registry.run('ha-heartbeat', undefined, ctx)) as { result: number }).result, 2);
  });
});

describe('lease updates to a backup (passive-backup)', () => {
  const lease = haLease(10);
  function primary(waitBackupAck: boolean, send: PeerSender): HaService {
    const config = compileConfig(
      dhcp4({
        'this-server-name': 'server1',
        mode: 'passive-backup',
        'wait-backup-ack': waitBackupAck,
        peers: [
          { name: 'server1', url: 'http://198.18.0.1:8000/', role: 'primary' },
          { name: 'backup1', url: 'http://198.18.0.3:8000/', role: 'backup' },
        ],
      }),
    ).highAvailability!;
    return haService(config, send);
  }

  it('does not hold the reply for a backup unless wait-backup-ack', async () => {
    const sent: string[] = [];
    const silent = primary(false, async (_peer, command, args) => {
      sent.push(`${command} ${JSON.stringify(args)}`);
      return new Promise(() => undefined); // the backup never answers
    });
    assert.equal(await silent.replicate([{ op: 'claim', lease, matchClientId: true }]), true);
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, /^lease4-update .*"force-create":true/);
    assert.match(sent[0]!, /"expire":\d+/);

    const failing = primary(true, async () => {
      throw new Error('connection refused');
    });
    assert.equal(await failing.replicate([{ op: 'claim', lease, matchClientId: true }]), false);
  });
});

describe('communication-recovery (load balancing with delayed-updates-limit)', () => {
  it('queues updates while the partner is silent, then sends them and returns to load-balancing', async () => {
    let partnerUp = true;
    const updates: string[] = [];
    const send: PeerSender = async (_peer, command, args) => {
      if (!partnerUp) throw new Error('connection refused');
      if (command === 'ha-heartbeat') {
        return {
          result: 0,
          text: '',
          arguments: { state: 'load-balancing', 'date-time': new Date().toUTCString(), scopes: ['server2'] },
        };
      }
      if (command === 'lease4-update') updates.push(String((args as Record<string, unknown>)['ip-address']));
      return { result: 0, text: '', arguments: undefined };
    };
    const config = compileConfig(
      dhcp4({
        ...PAIR,
        'heartbeat-delay': 20,
        'max-response-delay': 60_000,
        'sync-leases': false,
        'delayed-updates-limit': 5,
      }),
    ).highAvailability!;
    const service = haService(config, send);
    const lease = (last: number) => ({
      op: 'claim' as const,
      matchClientId: true,
      lease: haLease(last),
    });
    const until = async (what: string, check: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(check(), `gave up waiting: ${what}`);
    };
    service.start();
    try {
      await until('load-balancing', () => service.state === 'load-balancing');
      assert.equal(await service.replicate([lease(10)]), true);
      assert.deepEqual(updates, ['198.18.0.10']);

      partnerUp = false;
      // The update that fails is not acknowledged (no ACK for that client); the partner is unavailable.
      assert.equal(await service.replicate([lease(11)]), false);
      await until('communication-recovery', () => service.state === 'communication-recovery');
      // Now updates are held back and the client gets its ACK at once.
      assert.equal(service.replicate([lease(12)]), null);
      assert.deepEqual(updates, ['198.18.0.10']);

      partnerUp = true;
      await until('back in load-balancing', () => service.state === 'load-balancing');
      assert.deepEqual(updates, ['198.18.0.10', '198.18.0.12']);
    } finally {
      await service.stop();
    }
  });
});
