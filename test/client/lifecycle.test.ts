import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { FakeServer, Sim, makeClient } from './harness.ts';

const { DISCOVER, REQUEST, RELEASE, INFORM } = MessageType;

function boundSim(leaseTime = 1000, overrides = {}): { sim: Sim; server: FakeServer } {
  const server = new FakeServer({ leaseTime });
  const sim = new Sim(makeClient(overrides), [server]);
  sim.start();
  sim.runFor(100);
  assert.equal(sim.client.stateName, 'BOUND');
  return { sim, server };
}

function requestsAfter(
  sim: Sim,
  from: number,
): { at: number; to: string; ciaddr: string; has50: boolean; has54: boolean }[] {
  return sim
    .sends()
    .filter((s) => s.at >= from && s.action.message.options.get('dhcp-message-type') === REQUEST)
    .map((s) => ({
      at: s.at,
      to: s.action.to,
      ciaddr: s.action.message.ciaddr,
      has50: s.action.message.options.has('dhcp-requested-address'),
      has54: s.action.message.options.has('dhcp-server-identifier'),
    }));
}

describe('transaction ids', () => {
  it('never reuses a recent xid, so a late ACK of the DORA cannot answer the renewal', () => {
    // random() is constant in these tests: the engine must still pick distinct xids.
    const { sim } = boundSim(1000);
    const doraXid = sim.sends()[0]!.action.message.xid;
    sim.act((c, now) => c.renew(now));
    const renewXid = sim.sends().at(-1)!.action.message.xid;
    assert.notEqual(renewXid, doraXid);
  });
});

describe('BOUND -> RENEWING -> BOUND', () => {
  it('renews at T1 with a unicast REQUEST from the bound address and extends the lease', () => {
    const { sim } = boundSim(1000);
    const first = sim.client.lease!;
    sim.runUntil(first.renewAt! - 1);
    assert.equal(sim.client.stateName, 'BOUND');
    sim.runUntil(first.renewAt! + 100);
    assert.deepEqual(sim.states().slice(-2), ['RENEWING', 'BOUND']);
    const [renew] = requestsAfter(sim, first.renewAt!);
    // RFC 2131 §4.3.2 RENEWING: ciaddr set, no 50, no 54, unicast to the server.
    assert.deepEqual(renew, {
      at: first.renewAt!,
      to: '198.18.0.1',
      ciaddr: '198.18.0.10',
      has50: false,
      has54: false,
    });
    const send = sim.sends().at(-1)!.action;
    assert.equal(send.via, 'udp');
    assert.equal(send.from, '198.18.0.10');
    const renewed = sim.client.lease!;
    assert.equal(renewed.obtainedAt, first.renewAt);
    assert.equal(renewed.expiresAt, first.renewAt! + 1000_000);
    assert.deepEqual(sim.runtimeActions().slice(-1), ['configure:renew']);
    assert.ok(sim.events().some((e) => e.type === 'lease-renewed'));
    const stats = sim.client.stats;
    assert.equal(stats.renews, 1);
    assert.equal(stats.renewed, 1);
    assert.equal(stats.leasesObtained, 1);
  });

  it('renews on command (udhcpc SIGUSR1)', () => {
    const { sim } = boundSim(1000);
    sim.runFor(10_000);
    sim.act((c, now) => c.renew(now));
    sim.runFor(100);
    assert.deepEqual(sim.states().slice(-2), ['RENEWING', 'BOUND']);
    assert.equal(sim.client.lease!.obtainedAt, sim.now - 100);
  });
});

describe('a server that stops answering mid-lease', () => {
  it('goes RENEWING, then REBINDING at T2, then deconfigures at expiry and restarts at INIT', () => {
    const { sim, server } = boundSim(1000, { minRenewRetransmitMs: 60_000 });
    const lease = sim.client.lease!;
    server.mode = 'silent';
    sim.runUntil(lease.expiresAt! - 1);
    assert.equal(sim.client.stateName, 'REBINDING');
    assert.ok(sim.client.lease, 'still configured before expiry');

    const t1 = lease.renewAt!;
    const t2 = lease.rebindAt!;
    const renewing = requestsAfter(sim, t1).filter((r) => r.at < t2);
    const rebinding = requestsAfter(sim, t2);
    // RFC 2131 §4.4.5: retransmit after half the time left to T2 (375 s -> 187.5 s, ...), at least 60 s.
    assert.deepEqual(
      renewing.map((r) => r.at - t1),
      [0, 187_500, 281_250, 341_250],
    );
    assert.ok(renewing.every((r) => r.to === '198.18.0.1' && r.ciaddr === '198.18.0.10'));
    // REBINDING: broadcast, half the time to expiry (125 s -> 62.5 s), at least 60 s.
    assert.deepEqual(
      rebinding.map((r) => r.at - t2),
      [0, 62_500, 122_500],
    );
    assert.ok(
      rebinding.every(
        (r) => r.to === '255.255.255.255' && r.ciaddr === '198.18.0.10' && !r.has50 && !r.has54,
      ),
    );
    assert.equal(sim.sends().find((s) => s.at === t2)!.action.via, 'udp');

    sim.runUntil(lease.expiresAt!);
    assert.equal(sim.client.lease, null);
    assert.deepEqual(sim.runtimeActions().slice(-1), ['deconfigure:expired']);
    assert.deepEqual(sim.states().slice(-4), ['RENEWING', 'REBINDING', 'INIT', 'SELECTING']);
    assert.equal(sim.sends().at(-1)!.action.message.options.get('dhcp-message-type'), DISCOVER);
    assert.ok(sim.events().some((e) => e.type === 'lease-expired'));
    const stats = sim.client.stats;
    assert.equal(stats.renews, 1);
    assert.equal(stats.rebinds, 1);
    assert.equal(stats.expirations, 1);
  });

  it('is rescued in REBINDING by any server (a new server id is adopted)', () => {
    const a = new FakeServer({ serverId: '198.18.0.1', leaseTime: 1000 });
    const sim = new Sim(makeClient(), [a]);
    sim.start();
    sim.runFor(100);
    const lease = sim.client.lease!;
    a.mode = 'silent';
    const b = new FakeServer({ serverId: '198.18.0.2', leaseTime: 1000 });
    sim.servers.push(b);
    sim.runUntil(lease.rebindAt! + 100);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.equal(sim.client.lease!.serverId, '198.18.0.2');
    // b did not hear the unicasts to a while RENEWING, only the REBINDING broadcast.
    assert.equal(b.receivedOfType(REQUEST).length, 1);
  });
});

describe('DHCPNAK', () => {
  it('in REQUESTING: restarts at INIT after the NAK pause, without deconfiguring anything', () => {
    const server = new FakeServer();
    server.tweak = (reply) => {
      if (reply.options.get('dhcp-message-type') === MessageType.OFFER) server.mode = 'nak';
    };
    const sim = new Sim(makeClient({ nakBackoffMs: 3_000 }), [server]);
    sim.start();
    sim.runFor(100);
    assert.equal(sim.client.stateName, 'INIT');
    const nak = sim.events().find((e) => e.type === 'nak');
    assert.ok(nak && nak.type === 'nak');
    assert.equal(nak.text, 'wrong address');
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start']);
    server.mode = 'normal';
    server.tweak = null;
    sim.runFor(3_000 - 100 - 10);
    assert.equal(sim.client.stateName, 'INIT', 'still pausing after the NAK');
    sim.runFor(100);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.equal(sim.client.stats.naks, 1);
  });

  it('in RENEWING: deconfigures, reports the lease lost, restarts at INIT', () => {
    const { sim, server } = boundSim(1000, { nakBackoffMs: 0 });
    server.mode = 'nak';
    sim.act((c, now) => c.renew(now));
    sim.runFor(100);
    assert.equal(sim.client.lease, null);
    assert.deepEqual(sim.runtimeActions().slice(-1), ['deconfigure:nak']);
    assert.deepEqual(sim.states().slice(-3), ['RENEWING', 'INIT', 'SELECTING']);
    assert.ok(sim.events().some((e) => e.type === 'lease-lost' && e.reason === 'nak'));
  });
});

describe('INIT-REBOOT with a remembered lease', () => {
  function remembered(): ReturnType<typeof boundSim>['sim']['client']['lease'] {
    const { sim } = boundSim(1000);
    return sim.client.lease;
  }

  it('asks for the old address (option 50, no 54, ciaddr 0) and binds on ACK', () => {
    const prev = remembered()!;
    const server = new FakeServer({ leaseTime: 1000 });
    const sim = new Sim(makeClient(), [server]);
    sim.start({ previousLease: prev });
    sim.runFor(100);
    assert.deepEqual(sim.states(), ['INIT-REBOOT', 'REBOOTING', 'BOUND']);
    const req = sim.sends()[0]!.action;
    assert.equal(req.message.options.get('dhcp-message-type'), REQUEST);
    assert.equal(req.message.options.get('dhcp-requested-address'), prev.address);
    assert.equal(req.message.options.has('dhcp-server-identifier'), false);
    assert.equal(req.message.ciaddr, '0.0.0.0');
    assert.equal(req.to, '255.255.255.255');
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'configure:bound']);
  });

  it('falls back to INIT on NAK', () => {
    const prev = remembered()!;
    const server = new FakeServer({ address: '198.18.0.20' });
    const sim = new Sim(makeClient({ nakBackoffMs: 0 }), [server]);
    sim.start({ previousLease: prev });
    sim.runFor(100);
    assert.deepEqual(sim.states(), ['INIT-REBOOT', 'REBOOTING', 'INIT', 'SELECTING', 'REQUESTING', 'BOUND']);
    assert.equal(sim.client.lease!.address, '198.18.0.20');
    assert.equal(sim.client.stats.naks, 1);
  });

  it('falls back to INIT when nobody answers the REBOOTING requests', () => {
    const prev = remembered()!;
    const server = new FakeServer();
    server.mode = 'silent';
    const sim = new Sim(makeClient({ retransmit: { kind: 'rfc2131', requestAttempts: 2 } }), [server]);
    sim.start({ previousLease: prev });
    sim.runFor(4_000 + 8_000);
    assert.deepEqual(sim.states(), ['INIT-REBOOT', 'REBOOTING', 'INIT', 'SELECTING']);
    assert.deepEqual(sim.sentTypes(), [REQUEST, REQUEST, DISCOVER]);
  });
});

describe('RELEASE (RFC 2131 §4.4.6)', () => {
  it('unicasts RELEASE with ciaddr and server id, deconfigures, and waits in RELEASED until renew', () => {
    const { sim, server } = boundSim(1000);
    sim.act((c, now) => c.release(now));
    const release = server.receivedOfType(RELEASE)[0];
    assert.ok(release);
    assert.equal(release.ciaddr, '198.18.0.10');
    assert.equal(release.options.get('dhcp-server-identifier'), '198.18.0.1');
    assert.equal(release.options.has('dhcp-requested-address'), false);
    assert.equal(release.options.has('dhcp-parameter-request-list'), false);
    const send = sim.sends().at(-1)!.action;
    assert.equal(send.to, '198.18.0.1');
    assert.equal(send.broadcast, false);
    assert.equal(sim.client.stateName, 'RELEASED');
    assert.equal(sim.client.lease, null);
    assert.deepEqual(sim.runtimeActions().slice(-1), ['deconfigure:released']);
    assert.equal(sim.client.nextDeadline(), null);
    sim.runFor(10_000_000);
    assert.equal(sim.client.stateName, 'RELEASED');
    sim.act((c, now) => c.renew(now));
    sim.runFor(100);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.equal(sim.client.stats.releases, 1);
  });

  it('releases on stop when asked (udhcpc -R), and not otherwise', () => {
    const a = boundSim(1000, { releaseOnStop: true });
    a.sim.act((c, now) => c.stop(now));
    assert.equal(a.server.receivedOfType(RELEASE).length, 1);
    assert.equal(a.sim.client.stateName, 'STOPPED');
    assert.deepEqual(a.sim.runtimeActions().slice(-1), ['deconfigure:released']);

    const b = boundSim(1000);
    b.sim.act((c, now) => c.stop(now));
    assert.equal(b.server.receivedOfType(RELEASE).length, 0);
    assert.equal(b.sim.client.stateName, 'STOPPED');
    assert.deepEqual(b.sim.runtimeActions().slice(-1), ['configure:bound']);
    // A stopped engine has no timers left, even with a lease left on the interface.
    assert.equal(b.sim.client.nextDeadline(), null);
  });
});

describe('DHCPINFORM (RFC 2131 §4.4.3)', () => {
  it('asks for configuration for an address the host already has, without touching the state', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient(), [server]);
    sim.act((c, now) => c.inform(now, { address: '198.18.0.42' }));
    sim.runFor(100);
    const inform = server.receivedOfType(INFORM)[0];
    assert.ok(inform);
    assert.equal(inform.ciaddr, '198.18.0.42');
    assert.equal(inform.options.has('dhcp-requested-address'), false);
    assert.equal(inform.options.has('dhcp-server-identifier'), false);
    assert.ok(inform.options.has('dhcp-parameter-request-list'));
    const send = sim.sends()[0]!.action;
    assert.equal(send.from, '198.18.0.42');
    assert.equal(send.via, 'udp');
    const ack = sim.events().find((e) => e.type === 'inform-ack');
    assert.ok(ack && ack.type === 'inform-ack');
    assert.deepEqual(ack.message.options.get('domain-name-servers'), ['198.18.0.53']);
    assert.equal(sim.client.stateName, 'STOPPED');
    assert.equal(sim.client.stats.informs, 1);
    assert.equal(sim.client.nextDeadline(), null);
  });

  it('uses the bound address by default and retransmits, then gives up', () => {
    const { sim, server } = boundSim(100_000, { retransmit: { kind: 'rfc2131', discoverAttempts: 2 } });
    server.mode = 'silent';
    sim.act((c, now) => c.inform(now));
    sim.runFor(4_000 + 8_000);
    const informs = server.receivedOfType(INFORM);
    assert.equal(informs.length, 2);
    assert.equal(informs[0]!.ciaddr, '198.18.0.10');
    assert.ok(sim.events().some((e) => e.type === 'inform-failed'));
    assert.equal(sim.client.stateName, 'BOUND');
  });

  it('refuses without an address', () => {
    const sim = new Sim(makeClient(), []);
    assert.throws(() => sim.client.inform(sim.now), { code: 'ERR_CLIENT_NO_ADDRESS' });
  });
});

describe('link down and up', () => {
  it('keeps a lease through a link flap and verifies it with INIT-REBOOT', () => {
    const { sim, server } = boundSim(1000);
    sim.act((c, now) => c.linkDown(now));
    sim.runFor(60_000);
    assert.equal(sim.sends().length, 2, 'nothing sent while the link is down');
    sim.act((c, now) => c.linkUp(now));
    sim.runFor(100);
    assert.deepEqual(sim.states().slice(-3), ['INIT-REBOOT', 'REBOOTING', 'BOUND']);
    // The address was not dropped: the ACK for it is a renewal.
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'configure:bound', 'configure:renew']);
    assert.equal(server.receivedOfType(REQUEST).length, 2);
  });

  it('deconfigures a lease that expires while the link is down, and starts over on link up', () => {
    const { sim } = boundSim(1000);
    const lease = sim.client.lease!;
    sim.act((c, now) => c.linkDown(now));
    sim.runUntil(lease.expiresAt! + 1_000);
    assert.equal(sim.client.lease, null);
    assert.deepEqual(sim.runtimeActions().slice(-1), ['deconfigure:expired']);
    assert.equal(sim.sends().length, 2);
    sim.act((c, now) => c.linkUp(now));
    sim.runFor(100);
    assert.deepEqual(sim.states().slice(-3), ['SELECTING', 'REQUESTING', 'BOUND']);
  });

  it('abandons an acquisition on link down and restarts it on link up', () => {
    const server = new FakeServer();
    server.mode = 'silent';
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.act((c, now) => c.linkDown(now));
    assert.equal(sim.client.stateName, 'INIT');
    sim.runFor(100_000);
    assert.equal(sim.sends().length, 1);
    server.mode = 'normal';
    sim.act((c, now) => c.linkUp(now));
    sim.runFor(100);
    assert.equal(sim.client.stateName, 'BOUND');
  });
});

describe('restart after a stop without release', () => {
  it('deconfigures the address the earlier run left configured', () => {
    const { sim } = boundSim(1000);
    const lease = sim.client.lease!;
    sim.act((c, now) => c.stop(now));
    sim.start();
    const deconfig = sim.log
      .map((l) => l.action)
      .filter((a) => a.type === 'deconfigure')
      .at(-1);
    assert.ok(deconfig && deconfig.type === 'deconfigure');
    assert.equal(deconfig.reason, 'start');
    assert.equal(deconfig.lease, lease);
    assert.equal(sim.client.lease, null);
  });
});

describe('status and start jitter', () => {
  it('reports state, lease, server and statistics as JSON-safe data', () => {
    const { sim } = boundSim(1000);
    const st = sim.client.status();
    assert.equal(st.state, 'BOUND');
    assert.equal(st.serverId, '198.18.0.1');
    assert.equal(st.lease?.address, '198.18.0.10');
    assert.equal(st.linkUp, true);
    assert.equal(st.nextDeadline, st.lease?.renewAt);
    assert.deepEqual(JSON.parse(JSON.stringify(st)), st);
  });

  it('waits a random time up to startJitterMs before the first DISCOVER (RFC 2131 §4.4.1)', () => {
    const sim = new Sim(makeClient({ startJitterMs: 10_000, random: () => 0.25 }), [new FakeServer()]);
    sim.start();
    assert.equal(sim.sends().length, 0);
    assert.equal(sim.client.nextDeadline(), sim.now + 2_500);
    sim.runFor(2_500);
    assert.equal(sim.sends().length, 1);
  });

  it('keeps the DECLINE pause across a link flap', () => {
    const sim = new Sim(makeClient({ arpProbe: true }), [new FakeServer()]);
    sim.probeAnswer = () => true;
    sim.start();
    sim.runFor(2_000);
    assert.equal(sim.client.stateName, 'INIT');
    const wakeAt = sim.client.nextDeadline();
    sim.act((c, now) => c.linkDown(now));
    sim.act((c, now) => c.linkUp(now));
    assert.equal(sim.client.nextDeadline(), wakeAt);
  });
});

describe('commands in the wrong state', () => {
  it('start() twice throws ERR_CLIENT_STATE', () => {
    const sim = new Sim(makeClient(), []);
    sim.start();
    assert.throws(() => sim.client.start(sim.now), { name: 'ClientStateError', code: 'ERR_CLIENT_STATE' });
  });
});
