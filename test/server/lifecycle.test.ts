import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { ETH0, Lab, T0, basicConfig, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';

test('§4.3.4 RELEASE from the owner frees the address, keeps the record, and the client gets it back (affinity)', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  await lab.none(
    msg(MessageType.RELEASE, MAC, { ciaddr: addr, options: { 'dhcp-server-identifier': '198.18.0.1' } }),
  );
  assert.equal((await lab.store.get(addr))?.state, 'expired-reclaimed');
  assert.equal(lab.engine.statistics()['subnet[1].assigned-addresses'], 0);
  await lab.dora('aa:00:00:00:00:02'); // someone else gets a fresh address, not the released one
  const back = await lab.one(msg(MessageType.DISCOVER, MAC));
  assert.equal(back.message.yiaddr, addr);
});

test('§4.3.4 RELEASE from anyone but the owner is ignored', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  await lab.none(msg(MessageType.RELEASE, 'aa:00:00:00:00:99', { ciaddr: ack.message.yiaddr }));
  assert.match(lab.lastEvent(), /is not leased to this client/);
  assert.equal((await lab.store.get(ack.message.yiaddr))?.state, 'default');
});

test('§4.3.3 DECLINE puts the address in probation (decline-probation-period), counts it, never reoffers it until reclaimed', async () => {
  const lab = new Lab({ Dhcp4: { ...basicConfig.Dhcp4, 'decline-probation-period': 600 } });
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  await lab.none(
    msg(MessageType.DECLINE, MAC, {
      options: { 'dhcp-requested-address': addr, 'dhcp-server-identifier': '198.18.0.1' },
    }),
  );
  const stored = await lab.store.get(addr);
  assert.equal(stored?.state, 'declined');
  assert.equal(stored?.hwAddress, '');
  assert.equal(stored?.expiresAt, lab.now + 600_000);
  let s = lab.engine.statistics();
  assert.equal(s['declined-addresses'], 1);
  assert.equal(s['subnet[1].declined-addresses'], 1);
  // The decliner starts over and gets a different address; asking for the declined one does not help.
  const next = await lab.one(msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-requested-address': addr } }));
  assert.notEqual(next.message.yiaddr, addr);
  assert.equal(lab.engine.nextDeadline(), T0 + 10_000); // the offer just made
  lab.advance(601);
  const writes = lab.engine.reclaim(lab.now, { remove: true });
  assert.deepEqual(writes, [{ op: 'reclaim', address: addr, remove: true }]);
  s = lab.engine.statistics();
  assert.equal(s['reclaimed-declined-addresses'], 1);
  assert.equal(s['declined-addresses'], 0);
  const later = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', { options: { 'dhcp-requested-address': addr } }),
  );
  assert.equal(later.message.yiaddr, addr);
});

test("§4.3.3 DECLINE of an address that is not the client's lease is ignored", async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  await lab.none(
    msg(MessageType.DECLINE, 'aa:00:00:00:00:02', {
      options: { 'dhcp-requested-address': ack.message.yiaddr },
    }),
  );
  assert.equal((await lab.store.get(ack.message.yiaddr))?.state, 'default');
  assert.equal(lab.engine.statistics()['declined-addresses'], 0);
});

test('§4.3.5 INFORM gets a DHCPACK with configuration only: no yiaddr, no lease time, unicast to ciaddr', async () => {
  const lab = new Lab();
  const ack = await lab.one(
    msg(MessageType.INFORM, MAC, {
      ciaddr: '198.18.0.77',
      options: { 'dhcp-parameter-request-list': [1, 3, 6] },
    }),
    { ...ETH0, sourceAddress: '198.18.0.77' },
  );
  assert.equal(ack.type, MessageType.ACK);
  assert.equal(ack.message.yiaddr, '0.0.0.0');
  assert.equal(ack.message.options.has('dhcp-lease-time'), false);
  assert.equal(ack.message.options.has('dhcp-renewal-time'), false);
  assert.deepEqual(ack.message.options.get('domain-name-servers'), ['198.18.0.53']);
  assert.deepEqual(ack.destination, { kind: 'unicast', address: '198.18.0.77', port: 68 });
  assert.equal(await lab.store.get('198.18.0.77'), null);
});

test('expiry: reclaim({remove:false}) keeps expired-reclaimed leases for affinity; the client gets its old address back', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  assert.equal(lab.engine.nextDeadline(), T0 + 3600_000);
  lab.advance(3601);
  const writes = lab.engine.reclaim(lab.now, { remove: false });
  assert.deepEqual(writes, [{ op: 'reclaim', address: addr, remove: false }]);
  await lab.store.reclaim(addr, { remove: false, now: lab.now });
  assert.equal((await lab.store.get(addr))?.state, 'expired-reclaimed');
  assert.equal(lab.engine.statistics()['reclaimed-leases'], 1);
  assert.equal(lab.engine.nextDeadline(), null);
  const back = await lab.dora(MAC);
  assert.equal(back.message.yiaddr, addr);
});

test('expiry: reclaim({remove:true}) deletes the lease', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  lab.advance(3601);
  const writes = lab.engine.reclaim(lab.now, { remove: true });
  assert.equal(writes.length, 1);
  assert.equal(lab.engine.lease(ack.message.yiaddr), undefined);
  assert.deepEqual(lab.engine.reclaim(lab.now, { remove: true }), [], 'nothing left to reclaim');
});

test('dhcp-disable drops client traffic and counts it in pkt4-receive-drop', async () => {
  const lab = new Lab();
  lab.engine.setEnabled(false);
  await lab.none(msg(MessageType.DISCOVER, MAC));
  let s = lab.engine.statistics();
  assert.equal(s['pkt4-received'], 1);
  assert.equal(s['pkt4-receive-drop'], 1);
  assert.equal(s['pkt4-discover-received'], 0);
  lab.engine.setEnabled(true);
  await lab.one(msg(MessageType.DISCOVER, MAC));
  s = lab.engine.statistics();
  assert.equal(s['pkt4-discover-received'], 1);
  assert.equal(s['pkt4-offer-sent'], 1);
});

test("statistics carry Kea's names, per subnet included", async () => {
  const lab = new Lab();
  await lab.dora(MAC);
  lab.engine.recordParseFailure();
  const s = lab.engine.statistics();
  assert.equal(s['pkt4-received'], 3);
  assert.equal(s['pkt4-parse-failed'], 1);
  assert.equal(s['pkt4-request-received'], 1);
  assert.equal(s['pkt4-ack-sent'], 1);
  assert.equal(s['pkt4-sent'], 2);
  assert.equal(s['subnet[1].total-addresses'], 11);
  assert.equal(s['subnet[1].assigned-addresses'], 1);
  assert.equal(s['subnet[1].cumulative-assigned-addresses'], 1);
});

test('setConfig keeps existing leases and rebuilds the allocator for the new pools', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const next = structuredClone(basicConfig);
  next.Dhcp4.subnet4[0]!.pools = [{ pool: '198.18.0.10 - 198.18.0.11' }];
  const { compileConfig } = await import('../../src/config/compile.ts');
  lab.engine.setConfig(compileConfig(next));
  assert.equal(lab.engine.lease(ack.message.yiaddr)?.hwAddress, MAC);
  const other = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  assert.equal(other.message.yiaddr, '198.18.0.11');
  assert.equal(lab.engine.statistics()['subnet[1].total-addresses'], 2);
});

test('an unknown commit token is a usage error with a stable code', () => {
  const lab = new Lab();
  assert.throws(() => lab.engine.commitSucceeded(999, lab.now), {
    name: 'EngineUsageError',
    code: 'ERR_ENGINE_UNKNOWN_COMMIT_TOKEN',
  });
});

test('reclaim honours a limit (Kea max-reclaim-leases): the rest stay due for the next run', async () => {
  const lab = new Lab();
  await lab.dora('aa:00:00:00:00:01');
  await lab.dora('aa:00:00:00:00:02');
  await lab.dora('aa:00:00:00:00:03');
  lab.advance(3601);
  assert.equal(lab.engine.reclaim(lab.now, { remove: false, limit: 2 }).length, 2);
  assert.equal(lab.engine.nextDeadline(), T0 + 3600_000);
  assert.equal(lab.engine.reclaim(lab.now, { remove: false, limit: 2 }).length, 1);
  assert.equal(lab.engine.nextDeadline(), null);
});

test('echo-client-id false: option 61 is not echoed (Kea compatibility switch for pre-RFC 6842 clients)', async () => {
  const lab = new Lab({ Dhcp4: { ...basicConfig.Dhcp4, 'echo-client-id': false } });
  const offer = await lab.one(
    msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-client-identifier': Uint8Array.from([1, 2, 3]) } }),
  );
  assert.equal(offer.message.options.has('dhcp-client-identifier'), false);
});

test('reclaimDue: a lease another server renewed meanwhile is not reclaimed, and the engine learns it is still held', async () => {
  const { reclaimDue } = await import('../../src/server/settle.ts');
  const lab = new Lab();
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  lab.unsubscribe();
  lab.advance(3601);
  // Another server renewed it in the shared store; our engine did not hear about it.
  const lease = await lab.store.get(addr);
  await lab.store.commit({ ...lease!, cltt: lab.now, expiresAt: lab.now + 3600_000 }, { now: lab.now });
  const done = await reclaimDue(lab.engine, lab.store, lab.now, { remove: false });
  assert.equal(done, 0);
  assert.equal(lab.engine.lease(addr)?.state, 'default');
  assert.equal(lab.engine.lease(addr)?.expiresAt, lab.now + 3600_000);
  const other = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', { options: { 'dhcp-requested-address': addr } }),
  );
  assert.notEqual(other.message.yiaddr, addr);
});
