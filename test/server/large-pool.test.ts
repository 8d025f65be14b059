import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { intToIpv4 } from '../../src/config/ipv4.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { ETH0, Lab, T0, msg } from './harness.ts';

test('a /16 pool with 60,000 leases loaded still allocates only free addresses, and prefers none of the held ones', async () => {
  const lab = new Lab({
    Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.0.0/16' }] }] },
  });
  const base = (198 << 24) | (18 << 16);
  const leases: Lease[] = [];
  for (let i = 1; i <= 60_000; i++) {
    leases.push({
      address: intToIpv4((base + i) >>> 0),
      hwAddress: `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      clientId: null,
      subnetId: 1,
      validLifetime: 3600,
      cltt: T0,
      expiresAt: T0 + 3600_000,
      hostname: null,
      state: 'default',
      userContext: null,
    });
  }
  lab.engine.loadLeases(leases);
  const meta = { ...ETH0, interfaceAddresses: [{ address: '198.18.255.254', prefixLength: 16 }] };
  const s = lab.engine.statistics();
  assert.equal(s['subnet[1].assigned-addresses'], 60_000);
  assert.equal(s['subnet[1].total-addresses'], 65_536);
  const offer = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'), meta);
  assert.equal(offer.message.yiaddr, intToIpv4((base + 60_001) >>> 0));
  // The remaining free addresses: 65,536 - network - broadcast - server - 60,000 leased - 1 offered.
  let free = 0;
  for (let i = 0; i < 5_600; i++) {
    const r = lab.engine.handle(
      msg(
        MessageType.DISCOVER,
        `aa:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      ),
      meta,
      lab.now,
    );
    if (r.replies.length === 1) free++;
  }
  // Past the free addresses, the oldest offers are handed out again (never a leased address).
  const reused = lab.engine.statistics()['v4-offer-reused'] ?? 0;
  assert.equal(free - reused, 65_536 - 3 - 60_000 - 1);
});
