import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { ETH0, Lab, msg } from './harness.ts';

const PRINTER = 'aa:bb:cc:00:00:10';
const PHONE_ID = '01:aa:bb:cc:00:00:20';

const config = {
  Dhcp4: {
    'option-data': [
      { name: 'domain-name', data: 'global.example' },
      { name: 'ntp-servers', data: '198.18.0.123' },
      { name: 'time-offset', data: '3600', 'always-send': true },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        'option-data': [
          { name: 'routers', data: '198.18.0.1' },
          { name: 'domain-name', data: 'subnet.example' },
          { name: 'interface-mtu', data: '1400' },
        ],
        pools: [
          {
            pool: '198.18.0.10 - 198.18.0.11',
            'option-data': [{ name: 'domain-name', data: 'pool.example' }],
          },
          { pool: '198.18.0.12 - 198.18.0.20' },
        ],
        reservations: [
          {
            'hw-address': PRINTER,
            'ip-address': '198.18.0.200',
            hostname: 'printer',
            'option-data': [{ name: 'domain-name', data: 'printer.example' }],
          },
          { 'client-id': PHONE_ID, 'ip-address': '198.18.0.15' },
        ],
      },
    ],
  },
};

test('a reservation by MAC outside the pool gets its address, hostname and options (Kea: reservation > pool > subnet > global)', async () => {
  const lab = new Lab(config);
  const ack = await lab.dora(PRINTER, { options: { 'dhcp-parameter-request-list': [1, 3, 12, 15, 42] } });
  assert.equal(ack.message.yiaddr, '198.18.0.200');
  assert.equal(ack.message.options.get('host-name'), 'printer');
  assert.equal(ack.message.options.get('domain-name'), 'printer.example');
  assert.deepEqual(ack.message.options.get('ntp-servers'), ['198.18.0.123']);
  assert.equal((await lab.store.get('198.18.0.200'))?.hostname, 'printer');
});

test('option precedence for dynamic clients: pool over subnet over global', async () => {
  const lab = new Lab(config);
  const inFirstPool = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:01', { options: { 'dhcp-parameter-request-list': [15, 26] } }),
  );
  assert.equal(inFirstPool.message.yiaddr, '198.18.0.10');
  assert.equal(inFirstPool.message.options.get('domain-name'), 'pool.example');
  assert.equal(inFirstPool.message.options.get('interface-mtu'), 1400);
  const inSecond = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', {
      options: { 'dhcp-requested-address': '198.18.0.13', 'dhcp-parameter-request-list': [15] },
    }),
  );
  assert.equal(inSecond.message.options.get('domain-name'), 'subnet.example');
});

test('options follow the parameter request list; unrequested ones are left out unless always-send', async () => {
  const lab = new Lab(config);
  const offer = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:01', { options: { 'dhcp-parameter-request-list': [42, 1] } }),
  );
  const o = offer.message.options;
  assert.deepEqual(o.get('ntp-servers'), ['198.18.0.123']);
  assert.equal(o.has('interface-mtu'), false, 'not requested');
  assert.equal(o.get('time-offset'), 3600, 'always-send');
  const codes = o.codes();
  assert.ok(codes.indexOf(42) > codes.indexOf(54), 'requested options come after the mandatory ones');
});

test('an address reserved for X is never given to Y, even when Y asks for it', async () => {
  const lab = new Lab(config);
  const offer = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:01', { options: { 'dhcp-requested-address': '198.18.0.15' } }),
  );
  assert.notEqual(offer.message.yiaddr, '198.18.0.15');
  const nak = await lab.one(
    msg(MessageType.REQUEST, 'aa:00:00:00:00:01', {
      options: { 'dhcp-server-identifier': '198.18.0.1', 'dhcp-requested-address': '198.18.0.15' },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
  // The allocator never hands it out either: drain the pool.
  const given = new Set<string>();
  for (let i = 2; i < 20; i++) {
    const r = await lab.send(msg(MessageType.DISCOVER, `aa:00:00:00:01:${i.toString(16).padStart(2, '0')}`));
    for (const x of r) given.add(x.message.yiaddr);
  }
  assert.equal(given.has('198.18.0.15'), false);
  // A drained pool hands back the oldest offers (the first one included): never the reserved address.
  assert.equal(given.size, 10, '11 pool addresses less the reserved one');
});

test('a reservation by client id (option 61) inside the pool', async () => {
  const lab = new Lab(config);
  const id = Uint8Array.from(PHONE_ID.split(':').map((h) => parseInt(h, 16)));
  const ack = await lab.dora('aa:00:00:00:00:77', { options: { 'dhcp-client-identifier': id } });
  assert.equal(ack.message.yiaddr, '198.18.0.15');
});

test('a client whose address became reserved for someone else is NAKed at renewal', async () => {
  const lab = new Lab(config);
  // 198.18.0.15 is the phone's: a renewing stranger claiming it is refused.
  const nak = await lab.one(msg(MessageType.REQUEST, 'aa:00:00:00:00:01', { ciaddr: '198.18.0.15' }));
  assert.equal(nak.type, MessageType.NAK);
});

test('never hands out the network, broadcast, server or router address (the end addresses of a subnet are never assigned)', async () => {
  const lab = new Lab({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/29',
          pools: [{ pool: '198.18.0.0 - 198.18.0.7' }],
          'option-data': [{ name: 'routers', data: '198.18.0.6' }],
        },
      ],
    },
  });
  const meta = { ...ETH0, interfaceAddresses: [{ address: '198.18.0.1', prefixLength: 29 }] };
  const got: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await lab.send(
      msg(MessageType.DISCOVER, `aa:00:00:00:00:${i.toString(16).padStart(2, '0')}`),
      meta,
    );
    got.push(...r.map((x) => x.message.yiaddr));
  }
  // Four free addresses; the next four DISCOVERs get the oldest offers back.
  assert.deepEqual([...new Set(got)].sort(), ['198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5']);
  assert.equal(got.length, 8);
  assert.equal(lab.engine.statistics()['v4-offer-reused'], 4);
});

test("RFC 2132 §9.10: a reply fits the client's maximum message size, overloading sname/file when needed", async () => {
  const big = Array.from({ length: 60 }, (_, i) => `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}`).join(
    ', ',
  );
  const lab = new Lab({
    Dhcp4: {
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          'option-data': [
            { name: 'ntp-servers', data: big },
            { name: 'domain-name-servers', data: big.split(', ').slice(0, 20).join(', ') },
          ],
        },
      ],
    },
  });
  const offer = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:01', {
      options: { 'dhcp-parameter-request-list': [42, 6], 'dhcp-max-message-size': 576 },
    }),
  );
  assert.ok(offer.size + 28 <= 576);
  assert.equal(offer.message.options.get('ntp-servers')?.length, 60, 'kept whole through overload');
  assert.equal(offer.message.options.get('dhcp-lease-time'), 7200);
});

test('next-server and boot-file-name: reservation over subnet over global, into siaddr and file', async () => {
  const lab = new Lab({
    Dhcp4: {
      'next-server': '198.18.0.2',
      'boot-file-name': 'global.efi',
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          'boot-file-name': 'subnet.efi',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          reservations: [
            { 'hw-address': PRINTER, 'next-server': '198.18.0.3', 'boot-file-name': 'printer.bin' },
          ],
        },
      ],
    },
  });
  const dynamic = await lab.one(msg(MessageType.DISCOVER, 'aa:00:00:00:00:01'));
  assert.equal(dynamic.message.siaddr, '198.18.0.2');
  assert.equal(dynamic.message.file, 'subnet.efi');
  const reserved = await lab.one(msg(MessageType.DISCOVER, PRINTER));
  assert.equal(reserved.message.siaddr, '198.18.0.3');
  assert.equal(reserved.message.file, 'printer.bin');
});

test('a request with neither a hardware address nor a client identifier is dropped', async () => {
  const lab = new Lab();
  const m = msg(MessageType.DISCOVER, MAC_NONE);
  m.hlen = 0;
  await lab.none(m);
  assert.match(lab.lastEvent(), /no client identity/);
});

const MAC_NONE = '00:00:00:00:00:00';
