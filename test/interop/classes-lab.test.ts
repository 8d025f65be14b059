// Client classification against real clients in a namespace lab, `leasekeeper serve` as a process:
// - a reserved client (KNOWN) and an unknown one are served from different pools of one subnet;
// - a client behind ISC dhcrelay -a (option 82, circuit id = the relay's interface) gets the option of the
//   class that matches relay4[1].hex;
// - a vendor option 43 (a configured space) and a 125 sub-option reach the client, and decode as defined
//   (captured on the client's interface, decoded with the project's decoder and the same definitions).
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileConfig } from '../../src/config/index.ts';
import { describeOptions } from '../../src/config/describe-options.ts';
import { decodeMessage, messageTypeOf, MessageType } from '../../src/protocol/index.ts';
import { readPcap } from '../../src/transport/pcap.ts';
import { createLab } from '../lab/netns.ts';
import { serverAndClient, serverAndTwoClients } from '../lab/server-client.ts';
import { startCapture, startUdhcpc } from '../lab/peers.ts';
import { leasesOf, relayedLab, routedSubnet, startLabRelay, startLeasekeeper } from './harness.ts';

const { test } = requiring('root', 'ip', 'busybox', 'dhcrelay', 'tcpdump');

const KNOWN_MAC = '02:00:00:00:cc:01';
const UNKNOWN_MAC = '02:00:00:00:cc:02';

/** The lease's classes from lease4-get-all, without the client's VENDOR_CLASS_ (busybox's own version). */
function classesOf(lease: unknown): string[] {
  const isc = (lease as { 'user-context'?: { ISC?: Record<string, unknown> } })['user-context']?.ISC ?? {};
  return ((isc['client-classes'] ?? []) as string[]).filter((c) => !c.startsWith('VENDOR_CLASS_'));
}

test('a reserved client gets an address from the KNOWN pool, an unknown client from the UNKNOWN pool', async () => {
  const lab = await createLab('ckn');
  try {
    const [srv, known, stranger] = await serverAndTwoClients(
      lab,
      ['known', KNOWN_MAC],
      ['unknown', UNKNOWN_MAC],
    );
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        subnet4: [
          {
            id: 1,
            subnet: '198.18.0.0/24',
            pools: [
              { pool: '198.18.0.10 - 198.18.0.19', 'client-class': 'KNOWN' },
              { pool: '198.18.0.100 - 198.18.0.150', 'client-class': 'UNKNOWN' },
            ],
            // A reservation without an address: the client is KNOWN, its address comes from a pool.
            reservations: [{ 'hw-address': KNOWN_MAC, hostname: 'known-host' }],
            'option-data': [{ name: 'routers', data: '198.18.0.1' }],
          },
        ],
      },
    });
    const a = startUdhcpc(known, 'eth0');
    const b = startUdhcpc(stranger, 'eth0');
    const knownBound = await a.waitForBound(30_000);
    const strangerBound = await b.waitForBound(30_000);
    assert.match(knownBound.address, /^198\.18\.0\.1\d$/);
    assert.match(strangerBound.address, /^198\.18\.0\.1([0-4]\d|50)$/);
    const leases = await leasesOf(server);
    assert.deepEqual(classesOf(leases.find((l) => l['ip-address'] === knownBound.address)), ['KNOWN']);
    assert.deepEqual(classesOf(leases.find((l) => l['ip-address'] === strangerBound.address)), ['UNKNOWN']);
    assert.match(
      server.proc.output(),
      new RegExp(`from ${KNOWN_MAC} .*classes \\[.*KNOWN\\] -> DHCPACK 198\\.18\\.0\\.1\\d`),
    );
    await a.stop();
    await b.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});

test('a client behind dhcrelay -a gets the option of the class matching relay4[1].hex (the circuit id)', async () => {
  const lab = await createLab('crl');
  try {
    const { srv, rly, cli } = await relayedLab(lab, '02:00:00:00:cc:03');
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        'option-data': [{ name: 'domain-name', data: 'lab.example' }],
        'client-classes': [
          {
            name: 'port-other',
            test: "relay4[1].hex == 'eth9'",
            'option-data': [{ name: 'domain-name', data: 'other.example' }],
          },
          {
            name: 'port-down0',
            test: "relay4[1].hex == 'down0'",
            'option-data': [{ name: 'domain-name', data: 'down0.example' }],
          },
        ],
        subnet4: [
          { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] },
          routedSubnet(2, '198.18.1', 100, 150),
        ],
      },
    });
    await startLabRelay(rly);
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    assert.match(bound.address, /^198\.18\.1\.1([0-4]\d|50)$/);
    const env = client.events().find((e) => e.reason === 'bound')?.env ?? {};
    assert.equal(env['domain'], 'down0.example');
    const lease = (await leasesOf(server)).find((l) => l['ip-address'] === bound.address);
    assert.deepEqual(classesOf(lease), ['port-down0', 'UNKNOWN']);
    await client.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});

test('vendor option 43 (a defined space) and a 125 sub-option reach the client and decode as defined', async () => {
  const dhcp4 = {
    'valid-lifetime': 600,
    'option-def': [
      { name: 'acs-server', code: 1, space: 'lab-vendor', type: 'ipv4-address' },
      { name: 'acs-path', code: 2, space: 'lab-vendor', type: 'string' },
      { name: 'vendor-encapsulated-options', code: 43, type: 'empty', encapsulate: 'lab-vendor' },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.100 - 198.18.0.150' }],
        'option-data': [
          { name: 'vendor-encapsulated-options', 'always-send': true },
          { name: 'acs-server', space: 'lab-vendor', data: '198.18.0.9' },
          { name: 'acs-path', space: 'lab-vendor', data: '/cwmp' },
          { name: 'vivso-suboptions', data: '4491', 'always-send': true },
          { name: 'tftp-servers', space: 'vendor-4491', data: '198.18.0.69' },
        ],
      },
    ],
  };
  const lab = await createLab('cvn');
  try {
    const { srv, cli } = await serverAndClient(lab, '02:00:00:00:cc:04');
    const server = await startLeasekeeper(srv, { dhcp4 });
    const capture = await startCapture(cli, 'eth0', join(cli.dir, 'vendor.pcap'));
    const client = startUdhcpc(cli, 'eth0');
    const bound = await client.waitForBound(30_000);
    await client.stop();
    const pcap = readFileSync(await capture.stop());
    const defs = compileConfig({
      Dhcp4: { ...dhcp4, 'interfaces-config': { interfaces: ['eth0'] } },
    }).optionDefs;
    const acks = [...readPcap(pcap)]
      .filter((f) => f.kind === 'dhcp' && f.srcPort === 67)
      .map((f) => (f.kind === 'dhcp' ? decodeMessage(f.payload) : undefined)!)
      .filter((m) => messageTypeOf(m) === MessageType.ACK && m.yiaddr === bound.address);
    assert.ok(acks.length >= 1, 'the DHCPACK was captured on the client interface');
    const options = acks[0]!.options.toJSON();
    describeOptions(options, acks[0]!, defs);
    assert.deepEqual(options['vendor-encapsulated-options'], {
      'acs-server': '198.18.0.9',
      'acs-path': '/cwmp',
    });
    assert.deepEqual(options['vivso-suboptions'], [
      { enterprise: 4491, options: { 'tftp-servers': '198.18.0.69' } },
    ]);
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});
