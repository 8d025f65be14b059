/**
 * A hostile or broken server against the engine, in virtual time: a lease time of 0 (or a T1 of 0) must
 * not make the client bind and expire, or renew, in a tight loop; a subnet mask of 0.0.0.0 or a
 * non-contiguous one must never reach the interface.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { MIN_LEASE_SECONDS, classfulMask, isUsableMask } from '../../src/client/lease-sanity.ts';
import { udhcpcEnvironment } from '../../src/client/udhcpc-env.ts';
import { FakeServer, Sim, makeClient } from './harness.ts';

const HOUR = 3_600_000;

/** How many configure and deconfigure actions (script runs) the engine asked for. */
function scriptRuns(sim: Sim): number {
  return sim.runtimeActions().filter((a) => a.startsWith('configure') || a.startsWith('deconfigure')).length;
}

describe('lease time floor', () => {
  it('a lease time of 0 is used as 30 s (udhcpc 1.35): at most one renewal per 15 s', () => {
    const server = new FakeServer({ leaseTime: 0 });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(HOUR);
    const lease = sim.client.lease!;
    assert.equal(lease.leaseTime, MIN_LEASE_SECONDS);
    assert.equal(lease.renewalTime, MIN_LEASE_SECONDS / 2);
    // One hour: the start's deconfig, bound, then a renewal every 15 s (240), never an expiry.
    assert.ok(scriptRuns(sim) <= 2 + HOUR / 15_000, `script runs: ${scriptRuns(sim)}`);
    assert.equal(sim.client.stats.expirations, 0);
    assert.equal(sim.sentTypes().filter((t) => t === MessageType.DISCOVER).length, 1);
    const adjusted = sim.events().filter((e) => e.type === 'lease-adjusted');
    // Reported once, not at each of the 240 renewals that repeat it.
    assert.equal(adjusted.length, 1);
    assert.deepEqual(adjusted[0]?.type === 'lease-adjusted' ? adjusted[0].notes : null, [
      'lease time 0 s raised to 30 s',
    ]);
    // The script still sees what the server sent, as with udhcpc.
    assert.equal(udhcpcEnvironment(lease, 'eth0').lease, '0');
  });

  it('a server that ACKs lease 0 and ignores renewals: one expiry and one DORA per 30 s', () => {
    const server = new FakeServer({ leaseTime: 0 });
    const answer = server.reply.bind(server);
    // RENEWING and REBINDING requests carry ciaddr: those go unanswered, so every lease expires.
    server.reply = (req) => (req.ciaddr === '0.0.0.0' ? answer(req) : null);
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(HOUR);
    assert.equal(sim.client.stats.expirations, HOUR / 30_000 - 1);
    // deconfig at start, then per 30 s lease a bound and its expiry's deconfig.
    assert.ok(scriptRuns(sim) <= 1 + 2 * (HOUR / 30_000), `script runs: ${scriptRuns(sim)}`);
  });

  it('a server that ACKs lease 0 and NAKs every renewal: one cycle per 18 s (T1 + the NAK pause)', () => {
    const server = new FakeServer({ leaseTime: 0 });
    server.tweak = (reply, req) => {
      if (req.ciaddr !== '0.0.0.0') reply.options.set('dhcp-message-type', MessageType.NAK);
    };
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(HOUR);
    assert.ok(sim.client.stats.naks <= HOUR / 18_000, `NAKs: ${sim.client.stats.naks}`);
    assert.ok(scriptRuns(sim) <= 1 + 2 * (HOUR / 18_000), `script runs: ${scriptRuns(sim)}`);
  });

  it('a T1 of 0 with a long lease falls back to half the lease', () => {
    const server = new FakeServer({ leaseTime: 3600, t1: 0, t2: 0 });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(HOUR / 4);
    assert.equal(sim.client.lease!.renewalTime, 1800);
    assert.equal(sim.client.stats.renews, 0);
    assert.equal(scriptRuns(sim), 2);
  });
});

describe('subnet mask checks', () => {
  it('knows a usable mask from a refused one', () => {
    assert.equal(isUsableMask(0xffffff00), true);
    assert.equal(isUsableMask(0xffffffff), true);
    assert.equal(isUsableMask(0x80000000), true);
    assert.equal(isUsableMask(0), false);
    assert.equal(isUsableMask(0xff00ff00), false);
    assert.equal(isUsableMask(0x00ffffff), false);
    assert.equal(classfulMask('10.1.2.3'), 0xff000000);
    assert.equal(classfulMask('172.16.0.1'), 0xffff0000);
    assert.equal(classfulMask('198.18.0.10'), 0xffffff00);
  });

  for (const mask of ['0.0.0.0', '255.0.255.0']) {
    it(`a mask of ${mask} becomes the class-based mask, for the applier and the script`, () => {
      const server = new FakeServer({ mask });
      const sim = new Sim(makeClient(), [server]);
      sim.start();
      sim.runFor(100);
      const lease = sim.client.lease!;
      assert.equal(lease.subnetMask, '255.255.255.0');
      assert.equal(lease.prefixLength, 24);
      const env = udhcpcEnvironment(lease, 'eth0');
      assert.equal(env.subnet, '255.255.255.0');
      assert.equal(env.mask, '24');
      const adjusted = sim.events().find((e) => e.type === 'lease-adjusted');
      assert.deepEqual(adjusted?.type === 'lease-adjusted' ? adjusted.notes : null, [
        `subnet mask ${mask} refused, using 255.255.255.0`,
      ]);
    });
  }
});

describe('options read through the option table', () => {
  it('a value whose bytes do not fit its type counts as absent, as the server reads it', () => {
    const server = new FakeServer();
    server.tweak = (reply) => {
      reply.options.setRaw(51, Uint8Array.of(0, 0, 0x1c, 0x20, 0)); // 7200 s plus a stray byte
      reply.options.setRaw(3, Uint8Array.of(198, 18, 0, 1, 198)); // one router and a fifth byte
      reply.options.setRaw(26, Uint8Array.of(5, 220, 0)); // MTU 1500 in three bytes
      reply.options.setRaw(15, Uint8Array.of(0x6c, 0x61, 0x6e, 0, 0)); // "lan" and its trailing NULs
    };
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(100);
    const lease = sim.client.lease!;
    assert.equal(lease.leaseTime, 3600, 'no usable option 51: one hour, as udhcpc');
    assert.deepEqual(lease.routers, []);
    assert.equal(lease.mtu, null);
    assert.equal(lease.domainName, 'lan', 'RFC 2132 §2: trailing NULs are not part of the text');
    assert.equal(lease.serverId, '198.18.0.1');
  });
});
