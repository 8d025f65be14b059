// `serve --receive-path` and the adaptive thresholds reach the packet socket, and status-get and the
// statistics show each interface's path, its switches and its kernel drops.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { createLab, type Netns } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import { LinuxTransport } from '../../src/transport/index.ts';
import { eventually, startLeasekeeper, type Leasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip');

interface ReceiveEntry {
  interface: string;
  mode: string;
  path: string;
  switches: number;
  'kernel-drops': number;
  'udp-gso': boolean;
}

async function receiveOf(server: Leasekeeper): Promise<ReceiveEntry[]> {
  const status = await server.ctl('status-get');
  assert.equal(status.result, 0);
  return status.arguments?.['receive'] as ReceiveEntry[];
}

async function statistic(server: Leasekeeper, name: string): Promise<number | undefined> {
  const a = await server.ctl('statistic-get', { name });
  return (a.arguments?.[name] as [number, string][] | undefined)?.[0]?.[0];
}

/** Broadcasts `count` datagrams to port 67 from the client side, one per turn of a few ms. */
async function sendFrom(cli: Netns, count: number): Promise<void> {
  const client = await LinuxTransport.open({ interfaces: ['eth0'], port: 68, netns: cli.name });
  try {
    for (let i = 0; i < count; i++) {
      await client.send({ data: Buffer.alloc(300), ip: '255.255.255.255', port: 67, interface: 'eth0' });
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await client.close();
  }
}

test('serve --receive-path recvmmsg opens a plain socket; adaptive thresholds make it switch, shown by status-get and the statistics', async () => {
  const lab = await createLab('irp');
  try {
    const { srv, cli } = await serverAndClient(lab);
    const dhcp4 = {
      'lease-database': { type: 'memfile', persist: false },
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.110' }] }],
    };

    const plain = await startLeasekeeper(srv, {
      name: 'plain',
      dhcp4,
      leaseFile: null,
      serveArgs: ['--receive-path', 'recvmmsg'],
    });
    assert.deepEqual(await receiveOf(plain), [
      // `--udp-gso auto` (the default): eth0 is a veth, a software device, so no GSO.
      {
        interface: 'eth0',
        mode: 'recvmmsg',
        path: 'recvmmsg',
        switches: 0,
        'kernel-drops': 0,
        'udp-gso': false,
      },
    ]);
    assert.match(plain.proc.output(), /read with recvmmsg/);
    assert.equal(await plain.stop(), 0);

    // Onto the ring at 1 frame a second measured over 1 ms windows, and never back (below 0): the first
    // frames switch it, whatever the machine's load.
    const adaptive = await startLeasekeeper(srv, {
      name: 'adaptive',
      dhcp4,
      leaseFile: null,
      logLevel: 'debug',
      serveArgs: ['--ring-above', '1', '--ring-below', '0', '--ring-window', '1', '--udp-gso', 'on'],
    });
    const before = await receiveOf(adaptive);
    assert.deepEqual(before, [
      {
        interface: 'eth0',
        mode: 'adaptive',
        path: 'recvmmsg',
        switches: 0,
        'kernel-drops': 0,
        'udp-gso': true,
      },
    ]);
    await sendFrom(cli, 20);
    const after = await eventually(
      async () => {
        const r = await receiveOf(adaptive);
        return r[0]?.path === 'ring' ? r : undefined;
      },
      10_000,
      'the switch to the ring',
    );
    assert.equal(after[0]!.mode, 'adaptive');
    assert.ok(after[0]!.switches >= 1, JSON.stringify(after));
    assert.equal(await statistic(adaptive, 'interface[eth0].receive-ring'), 1);
    assert.ok((await statistic(adaptive, 'interface[eth0].receive-path-switches'))! >= 1);
    assert.equal(await statistic(adaptive, 'interface[eth0].pkt4-kernel-drop'), 0);
    assert.match(adaptive.proc.output(), /eth0: receive path now ring/);
    assert.equal(await adaptive.stop(), 0);
  } finally {
    await lab.close();
  }
});
