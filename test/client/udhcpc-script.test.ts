import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { udhcpcScriptCalls } from '../../src/client/udhcpc-script.ts';
import { FakeServer, Sim, makeClient } from './harness.ts';

describe('udhcpc script calls from engine steps', () => {
  it('maps a whole life to deconfig, bound, renew, nak, deconfig, leasefail like udhcpc', () => {
    const server = new FakeServer({ leaseTime: 1000 });
    const sim = new Sim(
      makeClient({ nakBackoffMs: 0, retransmit: { kind: 'udhcpc', retries: 1, timeoutMs: 1000 } }),
      [server],
    );
    sim.start();
    sim.runFor(100);
    sim.act((c, now) => c.renew(now));
    sim.runFor(100);
    server.mode = 'nak';
    sim.act((c, now) => c.renew(now));
    sim.runFor(1_100);
    const calls = udhcpcScriptCalls(
      sim.log.map((l) => l.action),
      'eth0',
    );
    assert.deepEqual(
      calls.map((c) => c.event),
      ['deconfig', 'bound', 'renew', 'nak', 'deconfig', 'leasefail'],
    );
    assert.equal(calls[1]!.env.ip, '198.18.0.10');
    assert.equal(calls[1]!.env.mask, '24');
    assert.equal(calls[3]!.env.message, 'wrong address');
    assert.deepEqual(calls[4]!.env, { interface: 'eth0' });
  });
});
