/** Seed 001, "check leaky sockets": opening and closing each transport 1,000 times leaks no descriptor. */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createLab } from '../lab/netns.ts';
import { VirtualNetwork } from '../../src/transport/virtual/index.ts';
import { UdpTransport } from '../../src/transport/udp.ts';
import { LinuxTransport, arpProbe } from '../../src/transport/linux/transport.ts';
import { carrierUp } from './linux-helpers.ts';

const { test } = requiring('root', 'ip');

const ROUNDS = 1000;

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

async function assertNoLeak(what: string, once: () => Promise<void>, rounds = ROUNDS): Promise<void> {
  // Warm-up: descriptors Node and the loader create lazily, process-wide, are not leaks (one round was not
  // always enough for the first test of the file to see them all).
  for (let i = 0; i < 10; i++) await once();
  await new Promise((resolve) => setImmediate(resolve));
  const before = fdCount();
  for (let i = 0; i < rounds; i++) await once();
  const after = fdCount();
  // Fewer is no leak: a descriptor something else held lazily may close meanwhile (seen once: 31 after 32).
  assert.ok(after <= before, `${what}: ${after - before} descriptors leaked over ${rounds} rounds`);
}

test('virtual: 1,000 open/close cycles leak no descriptor', async () => {
  const net = new VirtualNetwork();
  const h = net.createHost('h');
  h.attach(net.createLink('l'), { ifname: 'eth0', addresses: ['198.18.0.1/24'] });
  await assertNoLeak('virtual', async () => {
    const t = h.openTransport({ port: 67 });
    await t.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 });
    await t.close();
  });
});

test('udp: 1,000 open/close cycles leak no descriptor', async () => {
  await assertNoLeak('udp', async () => {
    const t = await UdpTransport.open({ port: 0, address: '127.0.0.1' });
    await t.send({ data: Buffer.from('x'), ip: '127.0.0.1', port: t.port });
    await t.close();
  });
});

test('linux: 1,000 open/close cycles (UDP + packet socket each), failed opens and ARP probes leak no descriptor', async () => {
  const lab = await createLab('trf');
  try {
    const a = await lab.namespace('a');
    const b = await lab.namespace('b');
    await lab.veth(a, 'va', b, 'vb');
    await a.addAddress('va', '198.18.0.1/24');
    await carrierUp(a.name, 'va');
    await assertNoLeak('linux', async () => {
      const t = await LinuxTransport.open({ interfaces: ['va'], port: 67, netns: a.name });
      await t.send({ data: Buffer.from('x'), ip: '255.255.255.255', port: 68 });
      await t.close();
    });
    // Fewer rounds: closing a packet socket waits for an RCU grace period in the kernel (~13 ms here).
    await assertNoLeak(
      'arpProbe',
      async () => {
        const r = await arpProbe('va', '198.18.0.9', 1, { netns: a.name, probes: 1 });
        assert.equal(r.inUse, false);
      },
      200,
    );
    // A failed open (unknown interface) must not leak either.
    await assertNoLeak('failed open', async () => {
      await assert.rejects(LinuxTransport.open({ interfaces: ['va', 'nope0'], port: 67, netns: a.name }), {
        code: 'ERR_NO_INTERFACE',
      });
    });
  } finally {
    await lab.close();
  }
});
