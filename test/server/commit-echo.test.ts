import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import type { Lease } from '../../src/leases/index.ts';
import { ETH0, Lab, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';

/** A DISCOVER and the REQUEST for its offer, handled but not yet committed: the grant's lease and token. */
async function grantInFlight(lab: Lab): Promise<{ lease: Lease; token: number }> {
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC));
  const step = lab.engine.handle(
    msg(MessageType.REQUEST, MAC, {
      options: {
        'dhcp-server-identifier': '198.18.0.1',
        'dhcp-requested-address': offer.message.yiaddr,
      },
    }),
    ETH0,
    lab.now,
  );
  const write = step.commit?.writes[0];
  assert.ok(step.commit && write?.op === 'claim');
  return { lease: write.lease, token: step.commit.token };
}

test('a grant whose commit the store echoed back leaves the index at what the store holds now', async () => {
  const lab = new Lab();
  const { lease, token } = await grantInFlight(lab);
  await lab.store.commit(lease, { now: lab.now }); // the store's change callback echoes the grant
  // Another server (or an operator) writes the address after our commit, before our ACK is built.
  const later: Lease = Object.freeze({ ...lease, cltt: lease.cltt + 1000, hostname: 'renamed' });
  lab.engine.applyLeaseChange({ kind: 'updated', lease: later });
  const done = lab.engine.commitSucceeded(token, lab.now);
  assert.equal(done.replies[0]?.message.options.get('dhcp-message-type'), MessageType.ACK);
  assert.deepEqual(lab.engine.lease(lease.address), later);
});

test('a grant the store never echoed is written into the index by commitSucceeded', async () => {
  const lab = new Lab();
  lab.unsubscribe();
  const { lease, token } = await grantInFlight(lab);
  await lab.store.commit(lease, { now: lab.now });
  assert.equal(lab.engine.lease(lease.address), undefined);
  lab.engine.commitSucceeded(token, lab.now);
  assert.deepEqual(lab.engine.lease(lease.address), lease);
});

test('an echo of another write to the address does not stand for the grant', async () => {
  const lab = new Lab();
  const { lease, token } = await grantInFlight(lab);
  const other: Lease = Object.freeze({ ...lease, hwAddress: 'aa:bb:cc:00:00:99', clientId: null });
  lab.engine.applyLeaseChange({ kind: 'updated', lease: other });
  lab.engine.commitSucceeded(token, lab.now);
  assert.deepEqual(lab.engine.lease(lease.address), lease);
});

test('a retransmitted REQUEST: each grant in flight for the address is written when its own commit succeeds', async () => {
  const lab = new Lab();
  lab.unsubscribe();
  const first = await grantInFlight(lab);
  lab.advance(1);
  const again = lab.engine.handle(
    msg(MessageType.REQUEST, MAC, {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': first.lease.address },
    }),
    ETH0,
    lab.now,
  );
  assert.ok(again.commit);
  lab.engine.commitSucceeded(first.token, lab.now);
  assert.deepEqual(lab.engine.lease(first.lease.address), first.lease);
  lab.engine.commitSucceeded(again.commit.token, lab.now);
  assert.equal(lab.engine.lease(first.lease.address)?.cltt, lab.now);
});

test('a change whose address is not an IPv4 address text is ignored, whatever its type', () => {
  const lab = new Lab();
  const lease: Lease = Object.freeze({
    address: '198.18.0.10',
    hwAddress: MAC,
    clientId: null,
    subnetId: 1,
    validLifetime: 3600,
    cltt: lab.now,
    expiresAt: lab.now + 3_600_000,
    hostname: null,
    state: 'default',
    userContext: null,
  });
  for (const address of ['198.18.0.256', '', null, undefined, 3_222_405_130])
    lab.engine.applyLeaseChange({ kind: 'updated', lease: { ...lease, address } as unknown as Lease });
  assert.equal(lab.engine.leases().length, 0);
  lab.engine.applyLeaseChange({ kind: 'updated', lease });
  assert.deepEqual(lab.engine.lease('198.18.0.10'), lease);
});
