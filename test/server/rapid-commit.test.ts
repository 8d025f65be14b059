import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { makeLease } from '../leases/fixtures.ts';
import { ETH0, Lab, basicConfig, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';
const rapidConfig = { Dhcp4: { ...basicConfig.Dhcp4, 'rapid-commit': true } };

test('RFC 4039 §4: a rapid-commit DISCOVER gets a committed DHCPACK with option 80, only after the commit', async () => {
  const lab = new Lab(rapidConfig);
  const step = lab.engine.handle(
    msg(MessageType.DISCOVER, MAC, { options: { 'rapid-commit': true } }),
    ETH0,
    lab.now,
  );
  assert.equal(step.replies.length, 0);
  assert.ok(step.commit);
  const lab2 = new Lab(rapidConfig);
  const ack = await lab2.one(msg(MessageType.DISCOVER, MAC, { options: { 'rapid-commit': true } }));
  assert.equal(ack.type, MessageType.ACK);
  assert.equal(ack.message.options.get('rapid-commit'), true);
  assert.equal((await lab2.store.get(ack.message.yiaddr))?.hwAddress, MAC);
});

test('RFC 4039: without rapid-commit configured, option 80 gets an ordinary OFFER', async () => {
  const lab = new Lab();
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC, { options: { 'rapid-commit': true } }));
  assert.equal(offer.type, MessageType.OFFER);
  assert.equal(offer.message.options.has('rapid-commit'), false);
});

test('a refused rapid commit picks another address and never ACKs the refused one', async () => {
  const store = new MemoryLeaseStore();
  const lab = new Lab(rapidConfig, store);
  lab.unsubscribe(); // another server's leases arrive unseen
  for (const address of ['198.18.0.10', '198.18.0.11']) {
    await store.commit(
      makeLease({ address, hwAddress: 'ee:ee:ee:ee:ee:ee', clientId: null, cltt: lab.now }),
      { now: lab.now },
    );
  }
  const replies = await lab.send(msg(MessageType.DISCOVER, MAC, { options: { 'rapid-commit': true } }));
  assert.equal(replies.length, 1);
  assert.equal(replies[0]?.type, MessageType.ACK);
  assert.equal(replies[0]?.message.yiaddr, '198.18.0.12');
  assert.equal(lab.engine.lease('198.18.0.10')?.hwAddress, 'ee:ee:ee:ee:ee:ee', 'learned from the refusal');
  assert.equal(lab.engine.statistics()['pkt4-ack-sent'], 1);
});

test('a full pool gives the oldest unconfirmed offer to a new client; expired offers are swept first', async () => {
  const lab = new Lab({
    Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.11' }] }] },
  });
  await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'));
  await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  const third = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:03'));
  assert.equal(third.message.yiaddr, '198.18.0.10', "the first client's offer, the oldest");
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 1);
  assert.equal(lab.engine.statistics()['v4-allocation-fail'], 0);
  lab.advance(11);
  const offer = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:04'));
  assert.equal(offer.type, MessageType.OFFER);
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 1, 'an expired offer is not counted as reused');
});
