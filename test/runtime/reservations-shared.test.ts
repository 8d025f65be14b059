import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig } from '../../src/config/compile.ts';
import type { CompiledConfig } from '../../src/config/types.ts';
import { ConfigHolder } from '../../src/runtime/config-holder.ts';
import { ConfigReservations } from '../../src/runtime/reservations.ts';

test('reservation-* over the running configuration reach subnets inside shared networks; duids compare normalized', async () => {
  let applied: CompiledConfig | undefined;
  const holder = new ConfigHolder({
    config: compileConfig({
      Dhcp4: {
        'shared-networks': [
          {
            name: 'floor',
            subnet4: [{ id: 7, subnet: '198.18.7.0/24', pools: [{ pool: '198.18.7.10 - 198.18.7.20' }] }],
          },
        ],
      },
    }),
    file: undefined,
    clock: () => 0,
    onApply: (c) => {
      applied = c;
    },
  });
  const hosts = new ConfigReservations(holder);
  await hosts.add(7, { duid: '00:03:00:01:02:00:00:00:00:07', 'ip-address': '198.18.7.200' });
  assert.equal(applied?.subnets[0]?.reservations[0]?.duid, '00:03:00:01:02:00:00:00:00:07');
  const found = await hosts.get(7, { kind: 'identifier', type: 'duid', value: '0x00030001020000000007' });
  assert.equal(found?.['ip-address'], '198.18.7.200');
  assert.deepEqual(
    (await hosts.all(undefined)).map((r) => r.subnetId),
    [7],
  );
  assert.equal(await hosts.del(7, { kind: 'address', address: '198.18.7.200' }), true);
  assert.equal(applied?.subnets[0]?.reservations.length, 0);
});
