import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, BROADCAST_FLAG } from '../../src/protocol/index.ts';
import { ETH0, Lab, msg } from './harness.ts';

const MAC = 'aa:bb:cc:00:00:01';

const twoSubnets = {
  Dhcp4: {
    'interfaces-config': { interfaces: ['eth0', 'eth1'] },
    subnet4: [
      { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] },
      {
        id: 2,
        subnet: '198.18.1.0/24',
        pools: [{ pool: '198.18.1.10 - 198.18.1.20' }],
        relay: { 'ip-addresses': ['198.18.9.1'] },
      },
      { id: 3, subnet: '198.18.2.0/24', pools: [{ pool: '198.18.2.10 - 198.18.2.20' }], interface: 'eth7' },
    ],
  },
};

const agentOptions = [
  { code: 1, data: Uint8Array.from([0x65, 0x74, 0x68, 0x31]) }, // circuit-id "eth1"
  { code: 2, data: Uint8Array.from([1, 2, 3]) },
];

test('§4.1 relayed: reply to giaddr port 67, option 82 echoed (RFC 3046 §2.2), subnet from giaddr (§4.3.1)', async () => {
  const lab = new Lab(twoSubnets);
  const offer = await lab.one(
    msg(MessageType.DISCOVER, MAC, { giaddr: '198.18.1.1', options: { 'dhcp-agent-options': agentOptions } }),
  );
  assert.equal(offer.message.yiaddr, '198.18.1.10');
  assert.equal(offer.message.giaddr, '198.18.1.1');
  assert.deepEqual(offer.destination, { kind: 'relay', address: '198.18.1.1', port: 67 });
  assert.deepEqual(offer.message.options.get('dhcp-agent-options'), agentOptions);
  assert.equal(offer.message.options.codes().at(-1), 82, 'option 82 is the last option (RFC 3046 §2.1)');
});

test('RFC 3046 §2.2: option 82 is never sent to a client directly', async () => {
  const lab = new Lab(twoSubnets);
  const offer = await lab.one(
    msg(MessageType.DISCOVER, MAC, { options: { 'dhcp-agent-options': agentOptions } }),
  );
  assert.equal(offer.message.options.has('dhcp-agent-options'), false);
});

test('Kea relay.ip-addresses picks the subnet for a giaddr outside every subnet', async () => {
  const lab = new Lab(twoSubnets);
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC, { giaddr: '198.18.9.1' }));
  assert.equal(offer.message.yiaddr, '198.18.1.10');
});

test('RFC 3527 link selection (82.5) wins over giaddr; RFC 3011 subnet selection (118) picks the subnet', async () => {
  const lab = new Lab(twoSubnets);
  const linked = await lab.one(
    msg(MessageType.DISCOVER, MAC, {
      giaddr: '198.18.1.1',
      options: { 'dhcp-agent-options': [{ code: 5, data: Uint8Array.from([198, 18, 0, 0]) }] },
    }),
  );
  assert.equal(linked.message.yiaddr, '198.18.0.10');
  const selected = await lab.one(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:02', { options: { 'subnet-selection': '198.18.1.0' } }),
  );
  assert.equal(selected.message.yiaddr, '198.18.1.10');
  // RFC 3527 §3: a link we do not serve -> no answer, not giaddr's subnet.
  await lab.none(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:04', {
      giaddr: '198.18.1.1',
      options: { 'dhcp-agent-options': [{ code: 5, data: Uint8Array.from([10, 9, 9, 0]) }] },
    }),
  );
  // RFC 3011 §3: a subnet we do not serve -> no answer.
  await lab.none(
    msg(MessageType.DISCOVER, 'aa:00:00:00:00:03', { options: { 'subnet-selection': '10.9.9.9' } }),
  );
});

test('the receiving interface picks the subnet: Kea\'s subnet "interface", else the one holding its address', async () => {
  const lab = new Lab(twoSubnets);
  const named = await lab.one(msg(MessageType.DISCOVER, MAC), {
    ...ETH0,
    interface: 'eth7',
    interfaceAddresses: [{ address: '10.0.0.1', prefixLength: 8 }],
  });
  assert.equal(named.message.yiaddr, '198.18.2.10');
  assert.equal(named.message.options.get('dhcp-server-identifier'), '10.0.0.1');
  await lab.none(msg(MessageType.DISCOVER, 'aa:00:00:00:00:02'), {
    ...ETH0,
    interface: 'eth9',
    interfaceAddresses: [{ address: '10.0.0.1', prefixLength: 8 }],
  });
  assert.match(lab.lastEvent(), /no subnet for this client/);
});

test('§4.3.2: a NAK through a relay goes to the relay with the broadcast bit set', async () => {
  const lab = new Lab(twoSubnets);
  await lab.dora(MAC, { giaddr: '198.18.1.1' });
  const nak = await lab.one(
    msg(MessageType.REQUEST, MAC, {
      giaddr: '198.18.1.1',
      options: { 'dhcp-requested-address': '198.18.1.99' },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
  assert.equal(nak.destination.kind, 'relay');
  assert.equal(nak.message.flags & BROADCAST_FLAG, BROADCAST_FLAG);
});

test('RFC 4361/6842: the client identifier names the client and is echoed; same MAC, two ids -> two leases', async () => {
  const lab = new Lab();
  const id1 = Uint8Array.from([0xff, 0, 0, 0, 1, 0, 1, 2, 3]);
  const id2 = Uint8Array.from([0xff, 0, 0, 0, 2, 0, 1, 2, 3]);
  const a = await lab.dora(MAC, { options: { 'dhcp-client-identifier': id1 } });
  const b = await lab.dora(MAC, { options: { 'dhcp-client-identifier': id2 } });
  assert.notEqual(a.message.yiaddr, b.message.yiaddr);
  assert.deepEqual(a.message.options.get('dhcp-client-identifier'), id1);
  assert.equal((await lab.store.get(a.message.yiaddr))?.clientId, 'ff:00:00:00:01:00:01:02:03');
  // A NAK echoes it too (RFC 6842 §3).
  const nak = await lab.one(
    msg(MessageType.REQUEST, MAC, {
      options: { 'dhcp-client-identifier': id1, 'dhcp-requested-address': '10.1.1.1' },
    }),
  );
  assert.deepEqual(nak.message.options.get('dhcp-client-identifier'), id1);
  // Only the owner (by client id) may release.
  await lab.none(
    msg(MessageType.RELEASE, MAC, { ciaddr: a.message.yiaddr, options: { 'dhcp-client-identifier': id2 } }),
  );
  assert.equal((await lab.store.get(a.message.yiaddr))?.state, 'default');
});

test('relay agent information is kept with the lease (Kea user-context)', async () => {
  const lab = new Lab(twoSubnets);
  const ack = await lab.dora(MAC, { giaddr: '198.18.1.1', options: { 'dhcp-agent-options': agentOptions } });
  const lease = await lab.store.get(ack.message.yiaddr);
  assert.deepEqual(lease?.userContext, {
    ISC: { 'relay-agent-info': { 'sub-options': '010465746831020301 0203'.replace(/ /g, '') } },
  });
});

test('match-client-id false: the hardware address alone names the client, in the engine and in the store commit', async () => {
  const lab = new Lab({
    Dhcp4: {
      'match-client-id': false,
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
    },
  });
  const a = await lab.dora(MAC, { options: { 'dhcp-client-identifier': Uint8Array.from([1, 1, 1]) } });
  const b = await lab.dora(MAC, { options: { 'dhcp-client-identifier': Uint8Array.from([1, 2, 2]) } });
  assert.equal(b.message.yiaddr, a.message.yiaddr);
});

test("RFC 5107: the relay's server identifier override (82.11) is our server identifier for that client", async () => {
  const lab = new Lab(twoSubnets);
  const override = { code: 11, data: Uint8Array.from([198, 18, 1, 1]) };
  const init = { giaddr: '198.18.1.1', options: { 'dhcp-agent-options': [override] } };
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC, init));
  assert.equal(offer.message.options.get('dhcp-server-identifier'), '198.18.1.1');
  const ack = await lab.dora(MAC, init);
  assert.equal(ack.message.options.get('dhcp-server-identifier'), '198.18.1.1');
});
