/**
 * Pool starvation and per-client limits: a DISCOVER flood from random MACs must not lock a real new
 * client out, and a site can cap what one client may take (`user-context.limits`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/index.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { ClientRateLimiter } from '../../src/server/rate-limit.ts';
import { ETH0, Lab, msg } from './harness.ts';

const pool = (limits?: Record<string, unknown>): unknown => ({
  Dhcp4: {
    'valid-lifetime': 3600,
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.250' }],
        ...(limits ? { 'user-context': { limits } } : {}),
      },
    ],
  },
});

const mac = (i: number): string =>
  `02:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255, 0x99].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

test('a DISCOVER flood from 2,000 random MACs does not starve a new client', async () => {
  const lab = new Lab(pool());
  for (let i = 0; i < 2000; i++) {
    lab.engine.handle(msg(MessageType.DISCOVER, mac(i + 1)), ETH0, lab.now);
    if (i % 200 === 199) lab.advance(0.1); // 2,000 per second
  }
  const s = lab.engine.statistics();
  assert.equal(s['v4-allocation-fail'], 0);
  assert.equal(s['pkt4-offer-sent'], 2000);
  assert.ok((s['v4-offer-reused'] ?? 0) >= 2000 - 241);
  const ack = await lab.dora('aa:bb:cc:00:00:01');
  assert.equal(ack.type, MessageType.ACK);
});

test('a client whose offer was given to a flooder still gets its address when it REQUESTs it', async () => {
  const lab = new Lab(pool());
  const offer = await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
  // 241 more DISCOVERs: the pool is full and the first offer (the oldest) goes to a flooder.
  for (let i = 0; i < 241; i++) lab.engine.handle(msg(MessageType.DISCOVER, mac(i + 1)), ETH0, lab.now);
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 1);
  const ack = await lab.one(
    msg(MessageType.REQUEST, 'aa:bb:cc:00:00:01', {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.equal(ack.type, MessageType.ACK, lab.lastEvent());
  assert.equal(ack.message.yiaddr, offer.message.yiaddr);
  // The flooder that was offered it second (the last one, when the pool was full) is refused.
  const nak = await lab.one(
    msg(MessageType.REQUEST, mac(241), {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
});

test('a re-offer moves its offer to the back of the queue: the oldest held is the one a full pool takes back', async () => {
  const lab = new Lab(pool());
  const clients = Array.from(
    { length: 10 },
    (_, i) => `aa:bb:cc:00:01:${(i + 1).toString(16).padStart(2, '0')}`,
  );
  // Every DISCOVER re-holds its client's offer at the end of the subnet's queue (1,100 holds in all).
  for (let round = 0; round < 110; round++) {
    for (const c of clients) lab.engine.handle(msg(MessageType.DISCOVER, c), ETH0, lab.now);
  }
  // A last round in reverse: the last client's offer is now the oldest, the first client's the newest.
  const offered = new Map<string, string>();
  for (const c of [...clients].reverse())
    offered.set(c, (await lab.one(msg(MessageType.DISCOVER, c))).message.yiaddr);
  // Fill the pool's other 231 addresses, then one DISCOVER more takes the oldest offer back.
  for (let i = 0; i < 231; i++) lab.engine.handle(msg(MessageType.DISCOVER, mac(i + 1)), ETH0, lab.now);
  const taken = await lab.one(msg(MessageType.DISCOVER, mac(232)));
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 1);
  const oldest = clients[clients.length - 1]!;
  assert.equal(taken.message.yiaddr, offered.get(oldest));
  const request = (c: string): ReturnType<Lab['one']> =>
    lab.one(
      msg(MessageType.REQUEST, c, {
        options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offered.get(c) },
      }),
    );
  // The displaced client's REQUEST still wins its address back; every other client keeps its offer.
  for (const c of clients) {
    const ack = await request(c);
    assert.equal(ack.type, MessageType.ACK, `${c}${c === oldest ? ' (displaced)' : ''}: ${lab.lastEvent()}`);
    assert.equal(ack.message.yiaddr, offered.get(c));
  }
  // The flooder that got the oldest offer is refused when it asks for it.
  const nak = await lab.one(
    msg(MessageType.REQUEST, mac(232), {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': offered.get(oldest) },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
});

test('a full pool takes its offers back oldest first, each once, however many are held', async () => {
  const lab = new Lab(pool());
  // 241 flooders fill the pool, then 241 new clients each take one offer back: the oldest left each time.
  const first: string[] = [];
  for (let i = 0; i < 241; i++)
    first.push((await lab.one(msg(MessageType.DISCOVER, mac(i + 1)))).message.yiaddr);
  const second: string[] = [];
  for (let i = 0; i < 241; i++)
    second.push((await lab.one(msg(MessageType.DISCOVER, mac(1000 + i)))).message.yiaddr);
  assert.deepEqual(second, first);
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 241);
  // And a third round takes the second round's offers back, in their order.
  for (let i = 0; i < 241; i++)
    assert.equal((await lab.one(msg(MessageType.DISCOVER, mac(2000 + i)))).message.yiaddr, second[i]);
});

test('rate-limit: a client over "N packets per minute" is dropped and counted, others are not', async () => {
  const lab = new Lab(pool({ 'rate-limit': '3 packets per minute' }));
  for (let i = 0; i < 3; i++) await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
  await lab.none(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
  assert.match(lab.lastEvent(), /no reply: over the rate limit of 3 packets per minute/);
  assert.equal(lab.engine.statistics()['pkt4-rate-limit-drop'], 1);
  await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:02'));
  lab.advance(20); // one packet's worth refilled
  await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
  await lab.none(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
});

test('rate-limit on a client class (Kea limits hook shape): only the class members are limited, each on its own', async () => {
  const config = pool() as { Dhcp4: Record<string, unknown> };
  config.Dhcp4['client-classes'] = [
    {
      name: 'phones',
      test: "substring(option[vendor-class-identifier].text, 0, 5) == 'phone'",
      'user-context': { limits: { 'rate-limit': '2 packets per minute' } },
    },
  ];
  const lab = new Lab(config);
  const phone = (m: string) =>
    msg(MessageType.DISCOVER, m, { options: { 'vendor-class-identifier': 'phone-x1' } });
  for (let i = 0; i < 2; i++) await lab.one(phone('aa:bb:cc:00:00:01'));
  await lab.none(phone('aa:bb:cc:00:00:01'));
  assert.match(lab.lastEvent(), /no reply: over the rate limit of 2 packets per minute \(class phones\)/);
  assert.equal(lab.engine.statistics()['pkt4-rate-limit-drop'], 1);
  // Another phone has its own bucket; a client outside the class is not limited at all.
  await lab.one(phone('aa:bb:cc:00:00:02'));
  for (let i = 0; i < 5; i++) await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:03'));
});

test('a class limit that only a subnet can have is refused with its path', () => {
  const config = pool() as { Dhcp4: Record<string, unknown> };
  config.Dhcp4['client-classes'] = [
    { name: 'c', test: 'pkt4.htype == 1', 'user-context': { limits: { 'leases-per-hw-address': 2 } } },
  ];
  const r = parseConfig(config);
  assert.ok(!r.ok);
  assert.match(
    r.error.message,
    /client-classes\[0\]\.user-context\.limits\.leases-per-hw-address: is a subnet limit/,
  );
});

test('leases-per-hw-address: one chaddr with 30 client identifiers gets only its limit of leases', async () => {
  const lab = new Lab(pool({ 'leases-per-hw-address': 2 }));
  const acks: string[] = [];
  for (let i = 0; i < 30; i++) {
    const id = Uint8Array.of(0xff, 0, 0, 0, i);
    const offer = await lab.send(
      msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01', { options: { 'dhcp-client-identifier': id } }),
    );
    if (offer.length === 0) continue;
    const r = await lab.one(
      msg(MessageType.REQUEST, 'aa:bb:cc:00:00:01', {
        options: {
          'dhcp-client-identifier': id,
          'dhcp-server-identifier': '198.18.0.1',
          'dhcp-requested-address': offer[0]?.message.yiaddr ?? '',
        },
      }),
    );
    if (r.type === MessageType.ACK) acks.push(r.message.yiaddr);
  }
  assert.equal(acks.length, 2);
  assert.equal((await lab.store.getAll()).filter((l) => l.state === 'default').length, 2);
  assert.equal(lab.engine.statistics()['v4-lease-limit-exceeded'], 28);
  assert.match(lab.lastEvent(), /aa:bb:cc:00:00:01 already holds 2 leases in subnet 1/);
  // A holder renews as before, and another chaddr is not affected.
  const renew = await lab.one(
    msg(MessageType.REQUEST, 'aa:bb:cc:00:00:01', {
      ciaddr: acks[0],
      options: { 'dhcp-client-identifier': Uint8Array.of(0xff, 0, 0, 0, 0) },
    }),
  );
  assert.equal(renew.type, MessageType.ACK);
  await lab.dora('aa:bb:cc:00:00:02');
});

test('leases-per-hw-address added by a new configuration counts the leases already held', async () => {
  const lab = new Lab(pool());
  const chaddr = 'aa:bb:cc:00:00:01';
  const doraWith = (i: number): Promise<unknown> =>
    lab.dora(chaddr, { options: { 'dhcp-client-identifier': Uint8Array.of(0xff, 0, 0, 0, i) } });
  await doraWith(1);
  await doraWith(2);
  // No limit yet: the server keeps no counts. Now one arrives with the configuration.
  const config = parseConfig(pool({ 'leases-per-hw-address': 2 }));
  assert.ok(config.ok);
  lab.engine.setConfig(config.config);
  await lab.none(
    msg(MessageType.DISCOVER, chaddr, {
      options: { 'dhcp-client-identifier': Uint8Array.of(0xff, 0, 0, 0, 3) },
    }),
  );
  assert.match(lab.lastEvent(), /aa:bb:cc:00:00:01 already holds 2 leases in subnet 1/);
  // And without it again, the chaddr may take more.
  const open = parseConfig(pool());
  assert.ok(open.ok);
  lab.engine.setConfig(open.config);
  await doraWith(3);
});

test('limits and offer-lifetime are checked when the configuration is read', () => {
  const bad = parseConfig(pool({ 'rate-limit': 'fast', 'address-limit': 4, 'leases-per-hw-address': 0 }));
  assert.ok(!bad.ok);
  const text = bad.error.message;
  assert.match(text, /subnet4\[0\]\.user-context\.limits\.rate-limit: "fast" is not "N packets per/);
  assert.match(text, /limits\.address-limit: unknown or unsupported limit/);
  assert.match(text, /limits\.leases-per-hw-address: must be an integer from 1 to 65535/);
  const good = parseConfig({
    Dhcp4: {
      'offer-lifetime': 3,
      'hooks-libraries': [{ library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_limits.so' }],
      'user-context': { limits: { 'rate-limit': '100 packets per second' } },
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24', 'user-context': { limits: { 'leases-per-hw-address': 1 } } },
      ],
    },
  });
  assert.ok(good.ok, good.ok ? '' : good.error.message);
  assert.equal(good.config.offerLifetime, 3);
  const s = good.config.subnets[0];
  assert.equal(s?.limits.leasesPerHwAddress, 1);
  assert.deepEqual(s?.limits.rate, { packets: 100, periodMs: 1000, text: '100 packets per second' });
});

test('offer-lifetime per subnet: 0 holds nothing (Kea 2.6), while a commit in flight stays held', async () => {
  const lab = new Lab({
    Dhcp4: {
      'offer-lifetime': 20,
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          'offer-lifetime': 0,
        },
      ],
    },
  });
  assert.equal(lab.engine.currentConfig.offerLifetime, 20);
  assert.equal(lab.engine.currentConfig.subnets[0]?.offerLifetime, 0);
  const a = await lab.one(msg(MessageType.DISCOVER, 'aa:bb:cc:00:00:01'));
  // Not held: another client may claim the address it was offered.
  const select = (mac: string, addr: string) =>
    msg(MessageType.REQUEST, mac, {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': addr },
    });
  const out = lab.engine.handle(select('aa:bb:cc:00:00:02', a.message.yiaddr), ETH0, lab.now);
  assert.ok(out.commit, 'the second client is granted the unheld address');
  // While that commit is in flight, the address is held for it even with offer-lifetime 0.
  const third = lab.engine.handle(select('aa:bb:cc:00:00:03', a.message.yiaddr), ETH0, lab.now);
  assert.equal(third.commit, null);
  assert.match(third.events[0]?.text ?? '', /DHCPNAK/);
  lab.engine.commitSucceeded(out.commit.token, lab.now);
});

test('the rate limiter tracks a bounded number of clients under a flood of new MACs', () => {
  const limiter = new ClientRateLimiter(100);
  const rate = { packets: 2, periodMs: 1000, text: '2 packets per second' };
  for (let i = 0; i < 10_000; i++) assert.ok(limiter.allow(`1 ${mac(i)}`, rate, 0));
  assert.ok(limiter.tracked <= 100, `${limiter.tracked} tracked`);
  // A client still tracked keeps its state: its third packet in the same instant is over the limit.
  assert.ok(limiter.allow('1 x', rate, 0));
  assert.ok(limiter.allow('1 x', rate, 0));
  assert.equal(limiter.allow('1 x', rate, 0), false);
  assert.ok(limiter.allow('1 x', rate, 500), 'half a second refills one packet');
});
