import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { ETH0, Lab, msg } from './harness.ts';

/** Two subnets on eth0's link: a two-address one first, then a roomy one. */
const config = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0'] },
    'valid-lifetime': 3600,
    'shared-networks': [
      {
        name: 'floor-1',
        interface: 'eth0',
        'option-data': [{ name: 'domain-name', data: 'floor1.example' }],
        'valid-lifetime': 1800,
        subnet4: [
          {
            id: 10,
            subnet: '198.18.0.0/24',
            pools: [{ pool: '198.18.0.10 - 198.18.0.11' }],
            'option-data': [{ name: 'routers', data: '198.18.0.1' }],
          },
          {
            id: 11,
            subnet: '198.18.1.0/24',
            pools: [{ pool: '198.18.1.10 - 198.18.1.50' }],
            'option-data': [{ name: 'routers', data: '198.18.1.1' }],
          },
        ],
      },
    ],
  },
};

const mac = (n: number): string => `02:00:00:00:01:${n.toString(16).padStart(2, '0')}`;

test('a full subnet of a shared network sends the next client to the next subnet, with its options', async () => {
  const lab = new Lab(config);
  const first = await lab.dora(mac(1));
  const second = await lab.dora(mac(2));
  assert.deepEqual([first.message.yiaddr, second.message.yiaddr], ['198.18.0.10', '198.18.0.11']);
  const third = await lab.dora(mac(3));
  assert.equal(third.message.yiaddr, '198.18.1.10');
  assert.deepEqual(third.message.options.get('routers'), ['198.18.1.1']);
  assert.equal(third.message.options.get('domain-name'), 'floor1.example');
  assert.equal(third.message.options.get('dhcp-lease-time'), 1800);
  const leases = await lab.store.getAll();
  assert.deepEqual(leases.map((l) => [l.address, l.subnetId]).sort(), [
    ['198.18.0.10', 10],
    ['198.18.0.11', 10],
    ['198.18.1.10', 11],
  ]);
});

test("a client's lease in any subnet of the network is honoured: renewing, rebooting and discovering again", async () => {
  const lab = new Lab(config);
  await lab.dora(mac(1));
  await lab.dora(mac(2));
  const third = await lab.dora(mac(3));
  assert.equal(third.message.yiaddr, '198.18.1.10');
  // The first subnet frees an address; the client still keeps its own in the second.
  await lab.none(
    msg(MessageType.RELEASE, mac(1), {
      ciaddr: '198.18.0.10',
      options: { 'dhcp-server-identifier': '198.18.0.1' },
    }),
  );
  const again = await lab.one(msg(MessageType.DISCOVER, mac(3)));
  assert.equal(again.message.yiaddr, '198.18.1.10');
  const reboot = await lab.one(
    msg(MessageType.REQUEST, mac(3), { options: { 'dhcp-requested-address': '198.18.1.10' } }),
  );
  assert.equal(reboot.type, MessageType.ACK, lab.lastEvent());
  const renew = await lab.one(msg(MessageType.REQUEST, mac(3), { ciaddr: '198.18.1.10' }));
  assert.equal(renew.type, MessageType.ACK, lab.lastEvent());
  assert.equal(renew.message.yiaddr, '198.18.1.10');
});

test('every subnet of the network full: no offer, and the event names the network', async () => {
  const small = structuredClone(config);
  const net = small.Dhcp4['shared-networks'][0];
  if (net?.subnet4[1]) net.subnet4[1].pools = [{ pool: '198.18.1.10 - 198.18.1.10' }];
  const lab = new Lab(small);
  for (let i = 1; i <= 3; i++) await lab.dora(mac(i));
  await lab.none(msg(MessageType.DISCOVER, mac(4)));
  assert.match(lab.lastEvent(), /shared network "floor-1"/);
});

const RELAY = '198.18.5.1';
const CIRCUIT = Buffer.from('port-7');

test('host-reservation-identifiers: circuit-id and duid reservations, the order deciding between two matches', async () => {
  const duid = [0x00, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x09, 0x09];
  const clientId = new Uint8Array([0xff, 0, 0, 0, 1, ...duid]);
  const relayed = (order: string[]) => ({
    Dhcp4: {
      'host-reservation-identifiers': order,
      subnet4: [
        {
          id: 1,
          subnet: '198.18.5.0/24',
          pools: [{ pool: '198.18.5.10 - 198.18.5.20' }],
          'option-data': [{ name: 'routers', data: RELAY }],
          reservations: [
            { 'circuit-id': "'port-7'", 'ip-address': '198.18.5.100' },
            {
              duid: duid.map((b) => b.toString(16).padStart(2, '0')).join(':'),
              'ip-address': '198.18.5.101',
            },
          ],
        },
      ],
    },
  });
  const discover = () =>
    msg(MessageType.DISCOVER, mac(9), {
      giaddr: RELAY,
      options: {
        'dhcp-client-identifier': clientId,
        'dhcp-agent-options': [{ code: 1, data: CIRCUIT }],
      },
    });
  const meta = { ...ETH0, sourceAddress: RELAY, sourcePort: 67 };
  const byCircuit = new Lab(relayed(['circuit-id', 'duid']));
  assert.equal((await byCircuit.one(discover(), meta)).message.yiaddr, '198.18.5.100');
  const byDuid = new Lab(relayed(['duid', 'circuit-id']));
  assert.equal((await byDuid.one(discover(), meta)).message.yiaddr, '198.18.5.101');
  // Neither type listed: no reservation applies, a pool address is offered.
  const neither = new Lab(relayed(['hw-address']));
  assert.equal((await neither.one(discover(), meta)).message.yiaddr, '198.18.5.10');
});

test('a hw-address reservation is not used when host-reservation-identifiers lists only client-id', async () => {
  const lab = new Lab({
    Dhcp4: {
      'host-reservation-identifiers': ['client-id'],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          reservations: [{ 'hw-address': mac(5), 'ip-address': '198.18.0.200' }],
        },
      ],
    },
  });
  const offer = await lab.one(msg(MessageType.DISCOVER, mac(5)));
  assert.equal(offer.message.yiaddr, '198.18.0.10');
});

test('flex-id: the flex_id hook expression picks the reservation (here the relay remote id)', async () => {
  const lab = new Lab({
    Dhcp4: {
      'hooks-libraries': [
        {
          library: '/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_id.so',
          parameters: { 'identifier-expression': 'relay4[2].hex' },
        },
      ],
      'host-reservation-identifiers': ['flex-id', 'hw-address'],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.5.0/24',
          pools: [{ pool: '198.18.5.10 - 198.18.5.20' }],
          reservations: [{ 'flex-id': "'modem-42'", 'ip-address': '198.18.5.142' }],
        },
      ],
    },
  });
  const meta = { ...ETH0, sourceAddress: RELAY, sourcePort: 67 };
  const discover = (remote: string) =>
    msg(MessageType.DISCOVER, mac(7), {
      giaddr: RELAY,
      options: { 'dhcp-agent-options': [{ code: 2, data: Buffer.from(remote) }] },
    });
  assert.equal((await lab.one(discover('modem-42'), meta)).message.yiaddr, '198.18.5.142');
  assert.equal((await lab.one(discover('modem-43'), meta)).message.yiaddr, '198.18.5.10');
});
