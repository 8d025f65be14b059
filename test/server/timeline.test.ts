import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { ETH0, Lab, T0, basicConfig, msg } from './harness.ts';

/** Runs the engine's expiry the way the runtime does: a timer at nextDeadline(), writes committed. */
async function runTimersUntil(lab: Lab, until: number): Promise<void> {
  for (let d = lab.engine.nextDeadline(); d !== null && d <= until; d = lab.engine.nextDeadline()) {
    lab.now = d;
    for (const w of lab.engine.reclaim(lab.now, { remove: false })) {
      if (w.op === 'reclaim') await lab.store.reclaim(w.address, { remove: w.remove, now: lab.now });
    }
  }
  lab.now = until;
}

test('a day in virtual time: DORA, renew at T1, missed renewals, rebind, expiry, reclaim, INIT-REBOOT after expiry', async () => {
  const lab = new Lab({ Dhcp4: { ...basicConfig.Dhcp4, 'valid-lifetime': 600 } });
  const MAC = 'aa:bb:cc:00:00:42';
  const ack = await lab.dora(MAC);
  const addr = ack.message.yiaddr;
  const t1 = ack.message.options.get('dhcp-renewal-time') ?? 0;
  const t2 = ack.message.options.get('dhcp-rebinding-time') ?? 0;
  assert.deepEqual([t1, t2], [300, 525]);

  // RENEWING at T1: unicast, lease extended from now.
  await runTimersUntil(lab, T0 + t1 * 1000);
  const renew = await lab.one(msg(MessageType.REQUEST, MAC, { ciaddr: addr }));
  assert.equal(renew.type, MessageType.ACK);
  assert.equal((await lab.store.get(addr))?.expiresAt, T0 + (300 + 600) * 1000);

  // The client misses its renewals and REBINDs at T2 of the new lease: broadcast, still ours.
  await runTimersUntil(lab, T0 + (300 + 525) * 1000);
  const rebind = await lab.one(msg(MessageType.REQUEST, MAC, { ciaddr: addr }), { ...ETH0, broadcast: true });
  assert.equal(rebind.type, MessageType.ACK);
  const expires = T0 + (825 + 600) * 1000;
  assert.equal(lab.engine.nextDeadline(), expires);

  // It goes silent; the lease expires and is reclaimed at exactly its deadline.
  await runTimersUntil(lab, expires + 60_000);
  assert.equal((await lab.store.get(addr))?.state, 'expired-reclaimed');
  const s = lab.engine.statistics();
  assert.equal(s['reclaimed-leases'], 1);
  assert.equal(s['subnet[1].assigned-addresses'], 0);

  // Back after a reboot: INIT-REBOOT for its old address. We still have a record (reclaimed): ACK.
  const reboot = await lab.one(
    msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': addr } }),
  );
  assert.equal(reboot.type, MessageType.ACK);
  assert.equal(reboot.message.yiaddr, addr);
  assert.equal(
    lab.engine.statistics()['cumulative-assigned-addresses'],
    2,
    'a reclaimed lease granted again is a new assignment',
  );
});

test('an interface without an IPv4 address and a single subnet (a virtual network) serves that subnet', async () => {
  const lab = new Lab({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '192.168.1.0/24',
          pools: [{ pool: '192.168.1.100 - 192.168.1.200' }],
          'option-data': [
            { name: 'dhcp-server-identifier', data: '192.168.1.1' },
            { name: 'routers', data: '192.168.1.1' },
          ],
        },
      ],
    },
  });
  const meta = { interface: 'tap0', interfaceAddresses: [], sourceAddress: '0.0.0.0', sourcePort: 68 };
  const ack = await lab.dora('aa:bb:cc:00:00:01', {}, meta);
  assert.equal(ack.message.yiaddr, '192.168.1.100');
  assert.equal(ack.message.options.get('dhcp-server-identifier'), '192.168.1.1');
});
