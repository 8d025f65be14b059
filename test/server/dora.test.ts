import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, BROADCAST_FLAG } from '../../src/protocol/index.ts';
import { ETH0, Lab, T0, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';

test('RFC 2131 §4.3.1: DISCOVER gets an OFFER from the pool, with 53, 54, 51, 58, 59, mask, routers, DNS', async () => {
  const lab = new Lab();
  const offer = await lab.one(
    msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-parameter-request-list': [1, 3, 6, 15] } }),
  );
  assert.equal(offer.type, MessageType.OFFER);
  assert.equal(offer.message.yiaddr, '198.18.0.10');
  assert.equal(offer.message.ciaddr, '0.0.0.0'); // Table 3: ciaddr 0 in an OFFER
  assert.equal(offer.message.xid, 0x1234);
  const o = offer.message.options;
  assert.equal(o.get('dhcp-server-identifier'), '198.18.0.1');
  assert.equal(o.get('dhcp-lease-time'), 3600);
  assert.equal(o.get('dhcp-renewal-time'), 1800); // T1 = 50% (§4.4.5)
  assert.equal(o.get('dhcp-rebinding-time'), 3150); // T2 = 87.5%
  assert.equal(o.get('subnet-mask'), '255.255.255.0');
  assert.deepEqual(o.get('routers'), ['198.18.0.1']);
  assert.deepEqual(o.get('domain-name-servers'), ['198.18.0.53']);
  // §4.1: no giaddr, no ciaddr, no broadcast bit: unicast to yiaddr at chaddr.
  assert.deepEqual(offer.destination, { kind: 'link-unicast', address: '198.18.0.10', mac: MAC, port: 68 });
  assert.equal(lab.events.at(-1)?.destination, 'link-layer unicast to aa:bb:cc:00:00:01 (198.18.0.10:68)');
  // The offer is not a lease: nothing written to the store.
  assert.equal(await lab.store.get('198.18.0.10'), null);
});

test('RFC 2131 §4.3.2 SELECTING: REQUEST with our server id is ACKed only after the store committed the lease', async () => {
  const lab = new Lab();
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC));
  const req = msg(MessageType.REQUEST, MAC, {
    options: {
      'dhcp-server-identifier': '198.18.0.1',
      'dhcp-requested-address': offer.message.yiaddr,
      'host-name': 'box',
    },
  });
  const step = lab.engine.handle(req, ETH0, lab.now);
  assert.equal(step.replies.length, 0, 'no ACK before the commit');
  assert.ok(step.commit);
  assert.equal(step.commit.writes[0]?.op, 'claim');
  const lease = step.commit.writes[0]?.op === 'claim' ? step.commit.writes[0].lease : undefined;
  assert.equal(lease?.address, '198.18.0.10');
  assert.equal(lease?.expiresAt, T0 + 3600_000);
  await lab.store.commit(lease!, { now: lab.now });
  const done = lab.engine.commitSucceeded(step.commit.token, lab.now);
  assert.equal(done.replies.length, 1);
  assert.equal(done.replies[0]?.message.options.get('dhcp-message-type'), MessageType.ACK);
  assert.equal(done.replies[0]?.message.yiaddr, '198.18.0.10');
  assert.equal(
    done.events[0]?.text,
    'DHCPREQUEST for 198.18.0.10 from aa:bb:cc:00:00:01 (box) via eth0 -> DHCPACK 198.18.0.10 lease 3600s',
  );
  assert.equal((await lab.store.get('198.18.0.10'))?.hostname, 'box');
});

test('§4.3.1: an offered address is held, so two clients are never offered the same one; it frees after the offer lifetime (10 s)', async () => {
  const lab = new Lab();
  const a = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'));
  const b = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  assert.notEqual(a.message.yiaddr, b.message.yiaddr);
  // A retransmitted DISCOVER gets the same offer.
  const a2 = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'));
  assert.equal(a2.message.yiaddr, a.message.yiaddr);
  assert.equal(lab.engine.nextDeadline(), T0 + 10_000);
  lab.advance(11);
  assert.deepEqual(lab.engine.reclaim(lab.now, { remove: false }), []); // offers are not in the store
  // A client asking for the expired offer's address gets it.
  const c = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:03', {
      options: { 'dhcp-requested-address': a.message.yiaddr },
    }),
  );
  assert.equal(c.message.yiaddr, a.message.yiaddr);
});

test('§4.3.2 SELECTING: a REQUEST naming another server releases our offer silently', async () => {
  const lab = new Lab();
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC));
  await lab.none(
    msg(MessageType.REQUEST, MAC, {
      options: { 'dhcp-server-identifier': '198.18.0.254', 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.match(lab.lastEvent(), /no reply: client chose server 198\.18\.0\.254/);
  const other = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:09', {
      options: { 'dhcp-requested-address': offer.message.yiaddr },
    }),
  );
  assert.equal(other.message.yiaddr, offer.message.yiaddr, 'the released offer is free again');
});

test('§4.3.2 SELECTING: a REQUEST for an address held by another client is NAKed, broadcast (§4.1)', async () => {
  const lab = new Lab();
  const first = await lab.dora('aa:00:00:00:00:01');
  const nak = await lab.one(
    msg(MessageType.REQUEST, 'aa:00:00:00:00:02', {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': first.message.yiaddr },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
  assert.equal(nak.message.yiaddr, '0.0.0.0');
  assert.equal(nak.message.options.get('dhcp-server-identifier'), '198.18.0.1');
  assert.equal(nak.message.options.has('dhcp-lease-time'), false);
  assert.deepEqual(nak.destination, { kind: 'broadcast', address: '255.255.255.255', port: 68 });
});

test('§4.1: the broadcast bit sends OFFER and ACK to 255.255.255.255', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC, { flags: BROADCAST_FLAG });
  assert.deepEqual(ack.destination, { kind: 'broadcast', address: '255.255.255.255', port: 68 });
  assert.equal(ack.message.flags & BROADCAST_FLAG, BROADCAST_FLAG);
});

test('§4.3.1: lease affinity: a returning client gets its current address back', async () => {
  const lab = new Lab();
  await lab.dora('aa:00:00:00:00:01');
  const second = await lab.dora('aa:00:00:00:00:02');
  const again = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'));
  assert.equal(again.message.yiaddr, second.message.yiaddr);
  assert.equal(lab.engine.statistics()['cumulative-assigned-addresses'], 2);
});

test('§4.3.1: the requested address (option 50) is offered when free and in a pool', async () => {
  const lab = new Lab();
  const offer = await lab.one(
    msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-requested-address': '198.18.0.15' } }),
  );
  assert.equal(offer.message.yiaddr, '198.18.0.15');
  const outside = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', { options: { 'dhcp-requested-address': '198.18.0.100' } }),
  );
  assert.equal(outside.message.yiaddr, '198.18.0.10', 'an address outside every pool is not handed out');
});

test('an exhausted pool sends no OFFER and counts v4-allocation-fail', async () => {
  const lab = new Lab({
    Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.11' }] }] },
  });
  await lab.dora('aa:00:00:00:00:01');
  await lab.dora('aa:00:00:00:00:02');
  await lab.none(msg(MessageType.DISCOVER, 'aa:00:00:00:00:03'));
  assert.match(lab.lastEvent(), /no free address in subnet 1/);
  assert.equal(lab.engine.statistics()['v4-allocation-fail'], 1);
});

test('RFC 4702: a client that names itself only in the FQDN option (81) has that name on its lease', async () => {
  const lab = new Lab();
  const ack = await lab.dora(MAC, {
    options: { fqdn: { flags: 0x01, rcode1: 0, rcode2: 0, name: 'laptop.lab.' } },
  });
  assert.equal((await lab.store.get(ack.message.yiaddr))?.hostname, 'laptop.lab');
});

test('RFC 2132 §9.14: a one-octet client identifier is malformed: no offer, no lease, counted as junk', async () => {
  const lab = new Lab();
  // The codec refuses to build one; a hostile client sends it anyway.
  const shortId = <T extends { options: { setRaw(code: number, data: Uint8Array): unknown } }>(m: T): T => {
    m.options.setRaw(61, Uint8Array.of(1));
    return m;
  };
  await lab.none(shortId(msg(MessageType.DISCOVER, MAC)));
  assert.match(lab.lastEvent(), /malformed client identifier/);
  await lab.none(
    shortId(msg(MessageType.REQUEST, MAC, { options: { 'dhcp-requested-address': '198.18.0.10' } })),
  );
  assert.equal((await lab.store.getAll()).length, 0);
  assert.equal(lab.engine.statistics()['pkt4-receive-drop'], 2);
  // The same client with a well-formed identifier is served.
  await lab.one(
    msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-client-identifier': Uint8Array.of(1, 2) } }),
  );
});
