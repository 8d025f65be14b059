// A PXE-style ISC dhclient (option 60 "PXEClient:Arch:00007", option 93 = 7) against `leasekeeper serve` with
// Kea client classes, in a namespace lab: it gets its class's boot file and server name; a
// plain dhclient on the same link does not. Both appear with their classes in the server log and in
// lease4-get-all's user context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { serverAndTwoClients } from '../lab/server-client.ts';
import { startDhclient } from '../lab/peers.ts';
import { eventually, leasesOf, startLeasekeeper } from './harness.ts';

const PXE_MAC = '02:00:00:00:bb:01';
const PLAIN_MAC = '02:00:00:00:bb:02';

const PXE_CONF = [
  'option pxe-system-type code 93 = unsigned integer 16;',
  'send vendor-class-identifier "PXEClient:Arch:00007:UNDI:003016";',
  'send pxe-system-type 7;',
  'also request bootfile-name, tftp-server-name;',
].join('\n');

test('a PXE dhclient gets the boot file and server name of its class; a plain dhclient does not', async () => {
  const lab = await createLab('pxe');
  try {
    const [srv, pxe, plain] = await serverAndTwoClients(lab, ['pxe', PXE_MAC], ['plain', PLAIN_MAC]);
    const server = await startLeasekeeper(srv, {
      dhcp4: {
        'valid-lifetime': 600,
        'client-classes': [
          {
            name: 'pxe-efi64',
            test: "substring(option[60].hex,0,9) == 'PXEClient' and option[93].hex == 0x0007",
            'next-server': '198.18.0.5',
            'server-hostname': 'tftp.lab',
            'boot-file-name': 'efi64/shimx64.efi',
          },
        ],
        subnet4: [
          {
            id: 1,
            subnet: '198.18.0.0/24',
            pools: [{ pool: '198.18.0.100 - 198.18.0.150' }],
            'option-data': [{ name: 'routers', data: '198.18.0.1' }],
          },
        ],
      },
    });
    const pxeClient = startDhclient(pxe, 'eth0', { extraConf: PXE_CONF });
    const plainClient = startDhclient(plain, 'eth0');
    const pxeBound = await pxeClient.waitForBound(30_000);
    const plainBound = await plainClient.waitForBound(30_000);

    const pxeEnv = pxeClient.events().find((e) => e.reason === 'BOUND')?.env ?? {};
    assert.equal(pxeEnv.new_filename, 'efi64/shimx64.efi');
    assert.equal(pxeEnv.new_server_name, 'tftp.lab');
    const plainEnv = plainClient.events().find((e) => e.reason === 'BOUND')?.env ?? {};
    assert.equal(plainEnv.new_filename, undefined);
    // dhclient's lease file keeps the boot fields (siaddr it keeps nowhere: the engine tests check it).
    assert.match(
      readFileSync(join(pxeClient.dir, 'dhclient.leases'), 'utf8'),
      /filename "efi64\/shimx64\.efi";/,
    );
    assert.doesNotMatch(readFileSync(join(plainClient.dir, 'dhclient.leases'), 'utf8'), /filename/);

    await eventually(
      async () =>
        /from 02:00:00:00:bb:01 .*classes \[VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016, pxe-efi64, UNKNOWN\] -> DHCPACK/.test(
          server.proc.output(),
        )
          ? true
          : undefined,
      5_000,
      'the PXE client with its classes in the server log',
    );
    const leases = await leasesOf(server);
    const pxeLeaseJson = leases.find((l) => l['ip-address'] === pxeBound.address) as
      Record<string, unknown> | undefined;
    assert.deepEqual((pxeLeaseJson?.['user-context'] as { ISC?: unknown } | undefined)?.ISC, {
      'client-classes': ['VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016', 'pxe-efi64', 'UNKNOWN'],
    });
    const plainLeaseJson = leases.find((l) => l['ip-address'] === plainBound.address) as
      Record<string, unknown> | undefined;
    assert.deepEqual((plainLeaseJson?.['user-context'] as { ISC?: unknown } | undefined)?.ISC, {
      'client-classes': ['UNKNOWN'],
    });
    await pxeClient.stop();
    await plainClient.stop();
    assert.equal(await server.stop(), 0);
  } finally {
    await lab.close();
  }
});
