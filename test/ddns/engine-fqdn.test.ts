// The engine's side of RFC 4702: OFFER and ACK answer option 81 with the server's flags and the qualified
// name, the lease records the name and fqdn-fwd/fqdn-rev, N+S together is dropped, RELEASE clears the flags,
// and with DDNS off the answer says N (the server updates nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import { Lab, basicConfig, msg } from '../server/harness.ts';

const MAC = 'aa:bb:cc:00:00:81';
const S = 0x01;
const O = 0x02;
const E = 0x04;
const N = 0x08;

const ddnsConfig = {
  Dhcp4: {
    ...basicConfig.Dhcp4,
    'dhcp-ddns': { 'enable-updates': true },
    'ddns-qualifying-suffix': 'example.com',
  },
};

async function bind(lab: Lab, fqdn: { flags: number; name: string } | undefined, hostName?: string) {
  const names = {
    ...(fqdn ? { fqdn: { flags: fqdn.flags, rcode1: 0, rcode2: 0, name: fqdn.name } } : {}),
    ...(hostName ? { 'host-name': hostName } : {}),
  };
  const offer = await lab.one(msg(MessageType.DISCOVER, MAC, { options: names }));
  const ack = await lab.one(
    msg(MessageType.REQUEST, MAC, {
      options: {
        ...names,
        'dhcp-server-identifier': '198.18.0.1',
        'dhcp-requested-address': offer.message.yiaddr,
      },
    }),
  );
  return { offer, ack };
}

test('option 81 with S: OFFER and ACK carry S, the FQDN and RCODE 255; the lease is named and flagged', async () => {
  const lab = new Lab(ddnsConfig);
  const { offer, ack } = await bind(lab, { flags: S | E, name: 'laptop' });
  for (const r of [offer, ack]) {
    const f = r.message.options.get('fqdn');
    assert.deepEqual(f, { flags: S | E, rcode1: 255, rcode2: 255, name: 'laptop.example.com.' });
  }
  assert.equal(ack.type, MessageType.ACK);
  const lease = await lab.store.get(ack.message.yiaddr);
  assert.equal(lease?.hostname, 'laptop.example.com');
  assert.match(lab.lastEvent(), /-> DHCPACK .* \(DNS A\+PTR for laptop\.example\.com queued\)$/);
  assert.equal(lease?.fqdnFwd, true);
  assert.equal(lease?.fqdnRev, true);
  // The engine's compact lease index keeps the flags too.
  assert.deepEqual(lab.engine.lease(ack.message.yiaddr), lease);

  await lab.send(msg(MessageType.RELEASE, MAC, { ciaddr: ack.message.yiaddr }));
  const released = await lab.store.get(ack.message.yiaddr);
  assert.equal(released?.state, 'expired-reclaimed');
  assert.equal(released?.fqdnFwd, undefined);
  assert.equal(released?.hostname, null);
});

test('client delegation (S=0): the server does only the PTR and answers S=0', async () => {
  const lab = new Lab(ddnsConfig);
  const { ack } = await bind(lab, { flags: 0, name: 'self.example.com.' });
  assert.equal(ack.message.options.get('fqdn')?.flags, 0);
  const lease = await lab.store.get(ack.message.yiaddr);
  assert.equal(lease?.fqdnFwd, undefined);
  assert.equal(lease?.fqdnRev, true);
});

test('option 12 only: answered with option 12 holding the qualified name', async () => {
  const lab = new Lab(ddnsConfig);
  const { ack } = await bind(lab, undefined, 'phone');
  assert.equal(ack.message.options.get('host-name'), 'phone.example.com');
  assert.equal(ack.message.options.has('fqdn'), false);
  assert.equal((await lab.store.get(ack.message.yiaddr))?.fqdnFwd, true);
});

test('N and S together: the request is dropped (RFC 4702 §2.1)', async () => {
  const lab = new Lab(ddnsConfig);
  const r = await lab.send(
    msg(MessageType.DISCOVER, MAC, { options: { fqdn: { flags: N | S, rcode1: 0, rcode2: 0, name: 'x' } } }),
  );
  assert.equal(r.length, 0);
  assert.match(lab.lastEvent(), /both N and S/);
});

test('DDNS off (no dhcp-ddns): the answer says N and O, the lease keeps the name, no flags', async () => {
  const lab = new Lab();
  const { ack } = await bind(lab, { flags: S, name: 'laptop.lab.example.' });
  assert.equal(ack.message.options.get('fqdn')?.flags, N | O);
  const lease = await lab.store.get(ack.message.yiaddr);
  assert.equal(lease?.hostname, 'laptop.lab.example');
  assert.equal(lease?.fqdnFwd, undefined);
});
