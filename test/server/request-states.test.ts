import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { makeLease } from '../leases/fixtures.ts';
import { ETH0, Lab, T0, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';

test("§4.3.2 INIT-REBOOT: the client's own address is ACKed (and the lease extended)", async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  lab.advance(600);
  const again = await lab.one(
    msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': ack.message.yiaddr } }),
  );
  assert.equal(again.type, MessageType.ACK);
  assert.equal(again.message.yiaddr, ack.message.yiaddr);
  assert.equal((await lab.store.get(ack.message.yiaddr))?.expiresAt, T0 + 600_000 + 3600_000);
  assert.equal(
    lab.engine.statistics()['cumulative-assigned-addresses'],
    1,
    'a renewal is not a new assignment',
  );
});

test('§4.3.2 INIT-REBOOT: an address on the wrong network is NAKed, broadcast', async () => {
  const lab = new Lab();
  await lab.dora(MAC);
  const nak = await lab.one(
    msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': '10.1.2.3' } }),
  );
  assert.equal(nak.type, MessageType.NAK);
  assert.equal(nak.destination.kind, 'broadcast');
  assert.match(nak.message.options.get('dhcp-message') ?? '', /not on subnet 198\.18\.0\.0\/24/);
});

test("§4.3.2 INIT-REBOOT: an address that is not the client's is NAKed", async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const wrong = ack.message.yiaddr === '198.18.0.12' ? '198.18.0.13' : '198.18.0.12';
  const nak = await lab.one(msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': wrong } }));
  assert.equal(nak.type, MessageType.NAK);
});

test('§4.3.2 INIT-REBOOT: no record of the client -> silent (MUST remain silent)', async () => {
  const lab = new Lab();
  await lab.none(msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': '198.18.0.12' } }));
  assert.match(lab.lastEvent(), /no record of this client/);
  assert.equal(lab.engine.statistics()['pkt4-nak-sent'], 0);
});

test('§4.3.2 RENEWING: unicast REQUEST with ciaddr extends the lease; ACK unicast to ciaddr (§4.1), ciaddr echoed', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  lab.advance(1800);
  const renew = await lab.one(msg(MessageType.REQUEST, MAC, { ciaddr: addr }), {
    ...ETH0,
    sourceAddress: addr,
  });
  assert.equal(renew.type, MessageType.ACK);
  assert.equal(renew.message.ciaddr, addr); // Table 3: ACK carries the request's ciaddr
  assert.deepEqual(renew.destination, { kind: 'unicast', address: addr, port: 68 });
  assert.equal((await lab.store.get(addr))?.expiresAt, T0 + 1800_000 + 3600_000);
  assert.equal(lab.engine.nextDeadline(), T0 + 1800_000 + 3600_000);
});

test("§4.3.2 REBINDING: broadcast REQUEST with ciaddr: ACKed when correct, NAKed when the address is another client's", async () => {
  const lab = new Lab();
  const a = await lab.dora('aa:00:00:00:00:01');
  await lab.dora('aa:00:00:00:00:02');
  lab.advance(3200);
  const rebind = await lab.one(msg(MessageType.REQUEST, 'aa:00:00:00:00:01', { ciaddr: a.message.yiaddr }), {
    ...ETH0,
    broadcast: true,
  });
  assert.equal(rebind.type, MessageType.ACK);
  const thief = await lab.one(msg(MessageType.REQUEST, 'aa:00:00:00:00:02', { ciaddr: a.message.yiaddr }), {
    ...ETH0,
    broadcast: true,
  });
  assert.equal(thief.type, MessageType.NAK);
  assert.equal(thief.destination.kind, 'broadcast'); // §4.1: NAKs are broadcast when giaddr is 0
});

test('a store conflict (another server holds the address) never yields an ACK: the engine NAKs and learns the holder', async () => {
  const store = new MemoryLeaseStore();
  const lab = new Lab(undefined, store);
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC));
  // Another server takes the address behind our back, without us seeing its change callback.
  lab.unsubscribe();
  await store.commit(
    makeLease({
      address: offer.message.yiaddr,
      hwAddress: 'ee:ee:ee:ee:ee:ee',
      clientId: null,
      cltt: lab.now,
    }),
    { now: lab.now },
  );
  const replies = await lab.send(
    msg(MessageType.REQUEST, MAC, {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.deepEqual(
    replies.map((r) => r.type),
    [MessageType.NAK],
  );
  assert.equal(lab.engine.lease(offer.message.yiaddr)?.hwAddress, 'ee:ee:ee:ee:ee:ee');
  // The next DISCOVER picks another address.
  const next = await lab.one(msg(MessageType.DISCOVER, MAC));
  assert.notEqual(next.message.yiaddr, offer.message.yiaddr);
  assert.equal(lab.engine.statistics()['pkt4-ack-sent'], 0);
});

test("two servers on one store learn each other's leases through change callbacks", async () => {
  const store = new MemoryLeaseStore();
  const a = new Lab(undefined, store);
  const b = new Lab(undefined, store);
  const ack = await a.dora('aa:00:00:00:00:01');
  assert.equal(b.engine.lease(ack.message.yiaddr)?.hwAddress, 'aa:00:00:00:00:01');
  const offer = await b.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  assert.notEqual(offer.message.yiaddr, ack.message.yiaddr);
});

test('loadLeases seeds the index: a restarted engine keeps affinity and never reoffers a held address', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const restarted = new Lab();
  restarted.now = lab.now;
  restarted.engine.loadLeases(await lab.store.getAll());
  const mine = await restarted.one(msg(MessageType.DISCOVER, MAC));
  assert.equal(mine.message.yiaddr, ack.message.yiaddr);
  const theirs = await restarted.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  assert.notEqual(theirs.message.yiaddr, ack.message.yiaddr);
});

test('the client-requested lease time (option 51) is clamped to min/max-valid-lifetime; renew-timer overrides 50%', async () => {
  const lab = new Lab({
    Dhcp4: {
      'valid-lifetime': 600,
      'min-valid-lifetime': 300,
      'max-valid-lifetime': 900,
      'renew-timer': 100,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
    },
  });
  const long = await lab.one(msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-lease-time': 99999 } }));
  assert.equal(long.message.options.get('dhcp-lease-time'), 900);
  assert.equal(long.message.options.get('dhcp-renewal-time'), 100);
  assert.equal(long.message.options.get('dhcp-rebinding-time'), 787);
  const short = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', { options: { 'dhcp-lease-time': 5 } }),
  );
  assert.equal(short.message.options.get('dhcp-lease-time'), 300);
});

test('a client that moves to another address gives up the old one (one lease per client per subnet)', async () => {
  const lab = new Lab();
  const first = await lab.dora(MAC);
  const other = first.message.yiaddr === '198.18.0.19' ? '198.18.0.18' : '198.18.0.19';
  const ack = await lab.one(
    msg(MessageType.REQUEST, MAC, {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': other },
    }),
  );
  assert.equal(ack.message.yiaddr, other);
  assert.equal((await lab.store.get(first.message.yiaddr))?.state, 'expired-reclaimed');
  assert.equal(lab.engine.statistics()['subnet[1].assigned-addresses'], 1);
});

test('while a commit is in flight the address stays held: a second client asking for it is NAKed, the first gets its ACK', async () => {
  const lab = new Lab();
  const offer = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'));
  const addr = offer.message.yiaddr;
  const selecting = (mac: string) =>
    msg(MessageType.REQUEST, mac, {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': addr },
    });
  const first = lab.engine.handle(selecting('aa:00:00:00:00:01'), ETH0, lab.now);
  assert.ok(first.commit, 'first REQUEST waits for its commit');
  const second = await lab.one(selecting('aa:00:00:00:00:02'));
  assert.equal(second.type, MessageType.NAK);
  const { settle } = await import('../../src/server/settle.ts');
  const done = await settle(lab.engine, first, lab.store, lab.now);
  assert.equal(done.replies[0]?.message.options.get('dhcp-message-type'), MessageType.ACK);
  assert.equal((await lab.store.get(addr))?.hwAddress, 'aa:00:00:00:00:01');
});

test('a lease removed in the store (lease4-del, another server) frees the address in the engine', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  await lab.store.remove(ack.message.yiaddr);
  assert.equal(lab.engine.lease(ack.message.yiaddr), undefined);
  assert.equal(lab.engine.statistics()['subnet[1].assigned-addresses'], 0);
  const other = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', {
      options: { 'dhcp-requested-address': ack.message.yiaddr },
    }),
  );
  assert.equal(other.message.yiaddr, ack.message.yiaddr);
});

/** A DISCOVER answered, then the REQUEST for the offer handled up to its commit (not yet made). */
async function requestAwaitingCommit(lab: Lab) {
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC));
  const req = msg(MessageType.REQUEST, MAC, {
    options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offer.message.yiaddr },
  });
  const step = lab.engine.handle(req, ETH0, lab.now);
  assert.ok(step.commit);
  return { offer, req, step, commit: step.commit };
}

test('a store error (not a refusal) aborts the exchange: no ACK, no NAK, the address stays held for the client', async () => {
  const lab = new Lab();
  const { offer, req, commit } = await requestAwaitingCommit(lab);
  const aborted = lab.engine.commitAborted(commit.token, lab.now);
  assert.equal(aborted.replies.length, 0);
  assert.match(aborted.events[0]?.text ?? '', /lease store is unavailable/);
  assert.equal(lab.engine.statistics()['pkt4-nak-sent'], 0);
  const stranger = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', {
      options: { 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.notEqual(stranger.message.yiaddr, offer.message.yiaddr);
  const retry = await lab.one(req);
  assert.equal(retry.type, MessageType.ACK);
});

test('settle: a store that throws rejects the exchange and the commit loop aborts its token (no reply, retry ACKed)', async () => {
  const lab = new Lab();
  const { offer, req, step, commit } = await requestAwaitingCommit(lab);
  const diskFull = new Error('disk full');
  const failing = {
    commit: () => Promise.reject(diskFull),
    markDeclined: () => Promise.reject(diskFull),
    reclaim: () => Promise.reject(diskFull),
  };
  const { settle } = await import('../../src/server/settle.ts');
  await assert.rejects(settle(lab.engine, step, failing, lab.now), diskFull);
  assert.throws(() => lab.engine.commitSucceeded(commit.token, lab.now), {
    code: 'ERR_ENGINE_UNKNOWN_COMMIT_TOKEN',
  });
  assert.equal(lab.engine.statistics()['pkt4-nak-sent'], 0);
  assert.equal(await lab.store.get(offer.message.yiaddr), null);
  const retry = await lab.one(req);
  assert.equal(retry.type, MessageType.ACK);
});
