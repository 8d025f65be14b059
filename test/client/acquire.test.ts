import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { FakeServer, MAC_BYTES, Sim, T0, makeClient } from './harness.ts';

const { DISCOVER, REQUEST, DECLINE } = MessageType;

describe('acquisition: INIT -> SELECTING -> REQUESTING -> BOUND', () => {
  it('does DORA and binds with the lease timed from the REQUEST (RFC 2131 §4.4.1)', () => {
    const server = new FakeServer({ leaseTime: 3600 });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(1_000);

    assert.deepEqual(sim.states(), ['INIT', 'SELECTING', 'REQUESTING', 'BOUND']);
    assert.deepEqual(sim.sentTypes(), [DISCOVER, REQUEST]);
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'configure:bound']);
    const lease = sim.client.lease;
    assert.ok(lease);
    assert.equal(lease.address, '198.18.0.10');
    assert.equal(lease.serverId, '198.18.0.1');
    assert.equal(lease.subnetMask, '255.255.255.0');
    assert.equal(lease.prefixLength, 24);
    assert.deepEqual(lease.routers, ['198.18.0.1']);
    assert.deepEqual(lease.dnsServers, ['198.18.0.53']);
    const requestAt = sim.sends()[1]!.at;
    assert.equal(lease.obtainedAt, requestAt);
    assert.equal(lease.renewAt, requestAt + 1800_000); // T1 = 0.5 * lease
    assert.equal(lease.rebindAt, requestAt + 3150_000); // T2 = 0.875 * lease
    assert.equal(lease.expiresAt, requestAt + 3600_000);
    assert.equal(sim.client.nextDeadline(), lease.renewAt);
    const stats = sim.client.stats;
    assert.equal(stats.leasesObtained, 1);
    assert.deepEqual(stats.sent, { DHCPDISCOVER: 1, DHCPREQUEST: 1 });
    assert.deepEqual(stats.received, { DHCPOFFER: 1, DHCPACK: 1 });
  });

  it('sends the DISCOVER and REQUEST fields of RFC 2131 Table 5 and udhcpc default options', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient({ hostname: 'box', vendorClass: 'leasekeeper', requestOptions: [119] }), [
      server,
    ]);
    sim.start();
    sim.runFor(1_000);
    const [discover, request] = sim.sends().map((s) => s.action);
    assert.ok(discover && request);
    for (const a of [discover, request]) {
      assert.equal(a.to, '255.255.255.255');
      assert.equal(a.from, '0.0.0.0');
      assert.equal(a.via, 'raw');
      assert.equal(a.message.ciaddr, '0.0.0.0');
      assert.deepEqual(a.message.chaddr.subarray(0, 6), MAC_BYTES);
      assert.deepEqual(a.message.options.get('dhcp-client-identifier'), Uint8Array.of(1, ...MAC_BYTES));
      assert.deepEqual(
        a.message.options.get('dhcp-parameter-request-list'),
        [1, 3, 6, 12, 15, 26, 28, 33, 42, 119, 121],
      );
      assert.equal(a.message.options.get('dhcp-max-message-size'), 576);
      assert.equal(a.message.options.get('host-name'), 'box');
      assert.equal(a.message.options.get('vendor-class-identifier'), 'leasekeeper');
    }
    assert.equal(discover.message.options.has('dhcp-server-identifier'), false);
    assert.equal(discover.message.options.has('dhcp-requested-address'), false);
    // SELECTING: 50 and 54 MUST be present, and the xid is the OFFER's.
    assert.equal(request.message.options.get('dhcp-requested-address'), '198.18.0.10');
    assert.equal(request.message.options.get('dhcp-server-identifier'), '198.18.0.1');
    assert.equal(request.message.xid, discover.message.xid);
  });

  it('honours the server T1/T2 (options 58/59)', () => {
    const server = new FakeServer({ leaseTime: 1000, t1: 100, t2: 200 });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(1_000);
    const lease = sim.client.lease!;
    assert.equal(lease.renewAt! - lease.obtainedAt, 100_000);
    assert.equal(lease.rebindAt! - lease.obtainedAt, 200_000);
  });

  it('falls back to the RFC defaults when T1 > T2 or T2 > lease', () => {
    const server = new FakeServer({ leaseTime: 1000, t1: 900, t2: 2000 });
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.runFor(1_000);
    const lease = sim.client.lease!;
    assert.equal(lease.renewalTime, 500);
    assert.equal(lease.rebindingTime, 875);
  });

  it('retransmits a lost DISCOVER with RFC 2131 §4.1 backoff: 4 s, 8 s, 16 s', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient(), [server]);
    sim.dropToServer = 3;
    sim.start();
    sim.runFor(60_000);
    const discovers = sim
      .sends()
      .filter((s) => s.action.message.options.get('dhcp-message-type') === DISCOVER);
    assert.deepEqual(
      discovers.map((d) => d.at - T0),
      [0, 4_000, 12_000, 28_000],
    );
    assert.equal(new Set(discovers.map((d) => d.action.message.xid)).size, 1);
    assert.deepEqual(
      discovers.map((d) => d.action.message.secs),
      [0, 4, 12, 28],
    );
    assert.equal(sim.client.stateName, 'BOUND');
    assert.equal(sim.client.stats.retransmissions, 3);
  });

  it('randomizes the backoff by ±1 s with the injected random source', () => {
    let r = 0;
    const seq = [0, 0.999, 0, 0.5]; // xid, jitter -1 s, jitter ~+1 s, ...
    const client = makeClient({ random: () => seq[r++ % seq.length]! });
    const sim = new Sim(client, [new FakeServer()]);
    sim.dropToServer = 2;
    sim.start();
    sim.runFor(30_000);
    const at = sim.sends().map((s) => s.at - T0);
    assert.equal(at[1], 4_000 + Math.round((0.999 * 2 - 1) * 1000));
    assert.equal(at[2]! - at[1]!, 8_000 - 1_000);
  });

  it('retransmits a REQUEST whose ACK was lost, then binds', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient(), [server]);
    sim.start();
    sim.dropFromServer = 0;
    // Lose the first REQUEST (the DISCOVER goes through).
    const origApply = sim.apply.bind(sim);
    let requests = 0;
    sim.apply = (step) => {
      for (const a of step.actions) {
        if (a.type === 'send' && a.message.options.get('dhcp-message-type') === REQUEST && requests++ === 0) {
          sim.dropToServer = 1;
        }
      }
      origApply(step);
    };
    sim.runFor(30_000);
    const reqs = sim.sends().filter((s) => s.action.message.options.get('dhcp-message-type') === REQUEST);
    assert.equal(reqs.length, 2);
    assert.equal(reqs[1]!.at - reqs[0]!.at, 4_000);
    assert.equal(sim.client.stateName, 'BOUND');
    // The lease is timed from the first REQUEST of the exchange.
    assert.equal(sim.client.lease!.obtainedAt, reqs[0]!.at);
  });

  it('goes back to INIT when REQUESTs stay unanswered (RFC 2131 §4.4.1)', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient({ retransmit: { kind: 'rfc2131', requestAttempts: 2 } }), [server]);
    // The server goes quiet right after its OFFER.
    server.tweak = (reply) => {
      if (reply.options.get('dhcp-message-type') === MessageType.OFFER) server.mode = 'silent';
    };
    sim.start();
    sim.runFor(5 + 4_000 + 8_000);
    assert.deepEqual(sim.states(), ['INIT', 'SELECTING', 'REQUESTING', 'INIT', 'SELECTING']);
    assert.deepEqual(sim.sentTypes(), [DISCOVER, REQUEST, REQUEST, DISCOVER]);
  });

  it('ignores duplicated OFFERs and ACKs on the wire and counts them', () => {
    const sim = new Sim(makeClient(), [new FakeServer()]);
    sim.copies = 2;
    sim.start();
    sim.runFor(1_000);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.deepEqual(sim.sentTypes(), [DISCOVER, REQUEST]);
    const stats = sim.client.stats;
    assert.equal(stats.bogus.unexpected, 1); // the second OFFER, while REQUESTING
    assert.equal(stats.bogus.duplicate, 1); // the second ACK, after binding
    assert.equal(stats.leasesObtained, 1);
  });

  it('declares leasefail after the retries when no server answers, then tries again after tryAgainMs', () => {
    const server = new FakeServer();
    server.mode = 'silent';
    const sim = new Sim(
      makeClient({ retransmit: { kind: 'rfc2131', discoverAttempts: 3, tryAgainMs: 20_000 } }),
      [server],
    );
    sim.start();
    sim.runFor(4_000 + 8_000 + 16_000 - 1);
    assert.equal(sim.events().filter((e) => e.type === 'leasefail').length, 0);
    sim.runFor(1);
    const fails = sim.events().filter((e) => e.type === 'leasefail');
    assert.equal(fails.length, 1);
    assert.equal(sim.client.stateName, 'INIT');
    assert.equal(sim.client.stats.leaseFailures, 1);
    sim.runFor(20_000);
    assert.equal(sim.client.stateName, 'SELECTING');
    assert.deepEqual(sim.sentTypes(), [DISCOVER, DISCOVER, DISCOVER, DISCOVER]);
    assert.notEqual(sim.sends()[3]!.action.message.xid, undefined);
  });

  it('follows udhcpc -t 3 -T 1 -A 2: three discovers a second apart, then a 2 s pause', () => {
    const server = new FakeServer();
    server.mode = 'silent';
    const sim = new Sim(
      makeClient({ retransmit: { kind: 'udhcpc', retries: 3, timeoutMs: 1_000, tryAgainMs: 2_000 } }),
      [server],
    );
    sim.start();
    sim.runFor(6_500);
    assert.deepEqual(
      sim.sends().map((s) => s.at - T0),
      [0, 1_000, 2_000, 5_000, 6_000],
    );
    const fail = sim.events().find((e) => e.type === 'leasefail');
    assert.deepEqual(fail, { type: 'leasefail', retryAt: T0 + 5_000 });
  });
});

describe('offer selection', () => {
  it('waits within the selection window for the requested address (-r) and takes it', () => {
    const a = new FakeServer({ serverId: '198.18.0.1', address: '198.18.0.10' });
    const b = new FakeServer({ serverId: '198.18.0.2', address: '198.18.0.77' });
    const sim = new Sim(makeClient({ requestedAddress: '198.18.0.77', selectionWindowMs: 1_000 }), [a, b]);
    // b answers later than a.
    b.tweak = () => undefined;
    sim.start();
    sim.runFor(2_000);
    const discover = sim.sends()[0]!.action.message;
    assert.equal(discover.options.get('dhcp-requested-address'), '198.18.0.77');
    assert.equal(sim.client.lease?.address, '198.18.0.77');
    assert.equal(sim.client.lease?.serverId, '198.18.0.2');
    // Server a saw the broadcast REQUEST naming b and stayed silent (RFC 2131 §3.1 step 3).
    assert.equal(a.receivedOfType(REQUEST).length, 1);
  });

  it('takes the first offer when the requested address is not offered within the window', () => {
    const a = new FakeServer({ serverId: '198.18.0.1', address: '198.18.0.10' });
    const sim = new Sim(makeClient({ requestedAddress: '198.18.0.99', selectionWindowMs: 1_500 }), [a]);
    sim.start();
    sim.runFor(1_000);
    assert.equal(sim.client.stateName, 'SELECTING');
    sim.runFor(1_000);
    assert.equal(sim.client.lease?.address, '198.18.0.10');
    const request = sim.sends()[1]!;
    assert.equal(request.at - T0, 5 + 1_500);
  });

  it('takes the first acceptable offer at once without -r', () => {
    const a = new FakeServer({ serverId: '198.18.0.1', address: '198.18.0.10' });
    const b = new FakeServer({ serverId: '198.18.0.2', address: '198.18.0.77' });
    const sim = new Sim(makeClient(), [a, b]);
    sim.start();
    sim.runFor(1_000);
    assert.equal(sim.client.lease?.serverId, '198.18.0.1');
    const offers = sim.events().filter((e) => e.type === 'offer');
    assert.equal(offers.length, 1);
    assert.equal(sim.client.stats.bogus.unexpected, 1); // b's offer arrived while REQUESTING
  });
});

describe('ARP probe and DECLINE (RFC 2131 §4.4.1, RFC 5227)', () => {
  it('probes the ACKed address before binding', () => {
    const sim = new Sim(makeClient({ arpProbe: true }), [new FakeServer()]);
    sim.start();
    sim.runFor(500);
    assert.equal(sim.client.stateName, 'REQUESTING');
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'probe:198.18.0.10']);
    sim.runFor(1_000);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'probe:198.18.0.10', 'configure:bound']);
  });

  it('declines an address in use, waits 10 s, and starts over', () => {
    const server = new FakeServer();
    const sim = new Sim(makeClient({ arpProbe: true }), [server]);
    let conflicts = 1;
    sim.probeAnswer = () => conflicts-- > 0;
    sim.start();
    sim.runFor(2_000);
    assert.equal(sim.client.stateName, 'INIT');
    const decline = server.receivedOfType(DECLINE)[0];
    assert.ok(decline);
    assert.equal(decline.options.get('dhcp-requested-address'), '198.18.0.10');
    assert.equal(decline.options.get('dhcp-server-identifier'), '198.18.0.1');
    assert.equal(decline.ciaddr, '0.0.0.0');
    assert.equal(decline.options.has('dhcp-parameter-request-list'), false);
    const declineSend = sim
      .sends()
      .find((s) => s.action.message.options.get('dhcp-message-type') === DECLINE)!;
    assert.equal(declineSend.action.to, '255.255.255.255');
    assert.equal(sim.client.stats.declines, 1);
    assert.ok(sim.events().some((e) => e.type === 'decline' && e.address === '198.18.0.10'));
    // No configure happened for the conflicting address.
    assert.deepEqual(sim.runtimeActions(), ['deconfigure:start', 'probe:198.18.0.10']);
    const declinedAt = declineSend.at;
    sim.runFor(15_000);
    const nextDiscover = sim
      .sends()
      .filter((s) => s.action.message.options.get('dhcp-message-type') === DISCOVER)[1]!;
    assert.equal(nextDiscover.at - declinedAt, 10_000);
    assert.equal(sim.client.stateName, 'BOUND');
  });

  it('binds when the probe is never answered (timeout = no conflict)', () => {
    const sim = new Sim(makeClient({ arpProbe: true, probeTimeoutMs: 3_000 }), [new FakeServer()]);
    sim.probeAnswer = () => undefined;
    sim.start();
    sim.runFor(2_000);
    assert.equal(sim.client.stateName, 'REQUESTING');
    sim.runFor(2_000);
    assert.equal(sim.client.stateName, 'BOUND');
    assert.ok(sim.events().some((e) => e.type === 'probe-timeout'));
  });

  it('ignores a probe result for another address', () => {
    const sim = new Sim(makeClient({ arpProbe: true }), [new FakeServer()]);
    sim.probeAnswer = () => undefined;
    sim.start();
    sim.runFor(100);
    sim.act((c, now) => c.probeResult(now, { address: '198.18.0.99', conflict: true }));
    assert.equal(sim.client.stateName, 'REQUESTING');
    assert.equal(sim.client.stats.declines, 0);
  });
});
