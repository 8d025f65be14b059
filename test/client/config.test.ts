import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveClientConfig } from '../../src/client/config.ts';
import { retransmitDelay, renewRetransmitDelay } from '../../src/client/backoff.ts';
import { leaseTimers } from '../../src/client/lease.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { FakeServer, MAC_BYTES, Sim, makeClient } from './harness.ts';

describe('client configuration', () => {
  it('defaults to udhcpc: client id 01+MAC, max size 576, its request list', () => {
    const c = resolveClientConfig({ hwAddress: '02-00-5E-00-00-01' });
    assert.deepEqual(c.clientId, Uint8Array.of(1, ...MAC_BYTES));
    assert.equal(c.maxMessageSize, 576);
    assert.deepEqual(c.parameterRequestList, [1, 3, 6, 12, 15, 26, 28, 33, 42, 121]);
    assert.equal(c.retransmit.kind, 'rfc2131');
    assert.equal(c.arpProbe, true);
  });

  it('sends no option 61 with clientId null (udhcpc -C) and only -O options after -o', () => {
    const sim = new Sim(makeClient({ clientId: null, parameterRequestList: [], requestOptions: [3, 1, 3] }), [
      new FakeServer(),
    ]);
    sim.start();
    const discover = sim.sends()[0]!.action.message;
    assert.equal(discover.options.has('dhcp-client-identifier'), false);
    assert.deepEqual(discover.options.get('dhcp-parameter-request-list'), [1, 3]);
  });

  it('adds -x options to what it sends and sets the BROADCAST flag with -B', () => {
    const sim = new Sim(
      makeClient({ extraOptions: [{ code: 224, data: Uint8Array.of(1, 2) }], broadcastFlag: true }),
      [new FakeServer()],
    );
    sim.start();
    sim.runFor(100);
    const [discover, request] = sim.sends().map((s) => s.action.message);
    assert.deepEqual(discover!.options.getRaw(224), Uint8Array.of(1, 2));
    assert.equal(discover!.flags, 0x8000);
    assert.equal(request!.flags, 0x8000);
    sim.act((c, now) => c.renew(now));
    const renew = sim.sends().at(-1)!.action.message;
    assert.equal(renew.options.get('dhcp-message-type'), MessageType.REQUEST);
    assert.equal(renew.flags, 0, 'a client with an address does not ask for broadcast replies');
  });

  it('rejects impossible settings with ERR_CLIENT_CONFIG', () => {
    for (const bad of [
      { hwAddress: 'zz:00' },
      { hwAddress: MAC_BYTES, requestedAddress: '1.2.3' },
      // Leading zeros read as octal in some parsers: refused here as everywhere else.
      { hwAddress: MAC_BYTES, requestedAddress: '198.018.0.10' },
      { hwAddress: MAC_BYTES, maxMessageSize: 500 },
      { hwAddress: MAC_BYTES, requestOptions: [0] },
      { hwAddress: MAC_BYTES, clientId: Uint8Array.of(1) },
      { hwAddress: MAC_BYTES, retransmit: { kind: 'udhcpc' as const, retries: 0 } },
    ]) {
      assert.throws(() => resolveClientConfig(bad), { name: 'ClientConfigError', code: 'ERR_CLIENT_CONFIG' });
    }
  });

  it('refuses options that cannot be encoded at construction, not mid-lease', () => {
    const huge = Array.from({ length: 10 }, (_, i) => ({ code: 200 + i, data: new Uint8Array(255) }));
    assert.throws(() => makeClient({ extraOptions: huge }), {
      name: 'ClientConfigError',
      code: 'ERR_CLIENT_CONFIG',
    });
  });

  it('lets -x override a built-in option such as the client identifier', () => {
    const sim = new Sim(makeClient({ extraOptions: [{ code: 61, data: Uint8Array.of(0, 1, 2, 3) }] }), [
      new FakeServer(),
    ]);
    sim.start();
    assert.deepEqual(sim.sends()[0]!.action.message.options.getRaw(61), Uint8Array.of(0, 1, 2, 3));
  });

  it('never waits less than 10 s after a DECLINE (RFC 2131 §4.4.1)', () => {
    assert.equal(resolveClientConfig({ hwAddress: MAC_BYTES, declineBackoffMs: 1 }).declineBackoffMs, 10_000);
  });
});

describe('timers', () => {
  const rfc = resolveClientConfig({ hwAddress: MAC_BYTES }).retransmit;
  it('doubles from 4 s to a 64 s cap with ±1 s jitter', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 9].map((a) => retransmitDelay(rfc, a, () => 0.5)),
      [4_000, 8_000, 16_000, 32_000, 64_000, 64_000, 64_000],
    );
    assert.equal(
      retransmitDelay(rfc, 0, () => 0),
      3_000,
    );
    assert.equal(
      retransmitDelay(rfc, 0, () => 0.9999),
      5_000,
    );
  });

  it('renew retransmissions: half the remaining time, at least 60 s', () => {
    assert.equal(renewRetransmitDelay(0, 1_000_000, 60_000), 500_000);
    assert.equal(renewRetransmitDelay(0, 100_000, 60_000), 60_000);
  });

  it('T1/T2 defaults and sanity', () => {
    assert.deepEqual(leaseTimers(1000), { t1: 500, t2: 875 });
    assert.deepEqual(leaseTimers(1000, 100, 200), { t1: 100, t2: 200 });
    assert.deepEqual(leaseTimers(1000, 300), { t1: 300, t2: 875 });
    assert.deepEqual(leaseTimers(1000, 950), { t1: 500, t2: 875 });
    assert.deepEqual(leaseTimers(1000, undefined, 2000), { t1: 500, t2: 875 });
  });

  it('an infinite lease (0xffffffff) never renews nor expires', () => {
    const server = new FakeServer({ leaseTime: 0xffffffff });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(100);
    const lease = sim.client.lease!;
    assert.equal(lease.expiresAt, null);
    assert.equal(lease.renewAt, null);
    assert.equal(sim.client.nextDeadline(), null);
  });
});
