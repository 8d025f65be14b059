/**
 * Per-shared-network statistics (leasekeeper's sums of their subnets' statistics: Kea has none), the
 * subnet4-list and network4-list commands that tell which subnet is in which network, and /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSharedNetworkStatName,
  renderMetrics,
  sharedNetworkStatName,
  withSharedNetworkSums,
} from '../../src/control/index.ts';
import { config, dora, virtualLab } from '../runtime/helpers.ts';
import { harness } from './helpers.ts';
import { httpControlClient, httpControlSocket, metricSamples, parseMetrics } from './http-control.ts';

test("the sums: every subnet statistic of a network's subnets, other subnets untouched", () => {
  const raw = {
    'pkt4-received': 9,
    'subnet[1].total-addresses': 10,
    'subnet[1].assigned-addresses': 2,
    'subnet[2].total-addresses': 5,
    'subnet[2].assigned-addresses': 1,
    'subnet[3].total-addresses': 7,
  };
  const out = withSharedNetworkSums(raw, [
    { name: 'floor1', subnetIds: [1, 2] },
    { name: 'empty', subnetIds: [] },
  ]);
  assert.deepEqual(out, {
    ...raw,
    'shared-network[floor1].total-addresses': 15,
    'shared-network[floor1].assigned-addresses': 3,
  });
  assert.equal(withSharedNetworkSums(raw, []), raw);
  // Any name a configuration may give a network reads back from its statistic names.
  for (const name of ['floor1', 'a]b.c', 'x[1].y', 'with space']) {
    const stat = sharedNetworkStatName(name, 'assigned-addresses');
    assert.deepEqual(parseSharedNetworkStatName(stat), { network: name, statistic: 'assigned-addresses' });
  }
  assert.equal(parseSharedNetworkStatName('subnet[1].total-addresses'), undefined);
});

test('subnet4-list and network4-list answer in Kea subnet_cmds shapes', async () => {
  const h = harness();
  assert.deepEqual(await h.call('subnet4-list'), {
    arguments: { subnets: [{ id: 1, 'shared-network-name': 'floor1', subnet: '198.18.0.0/24' }] },
    result: 0,
    text: '1 IPv4 subnet found',
  });
  assert.deepEqual(await h.call('network4-list'), {
    arguments: { 'shared-networks': [{ name: 'floor1' }] },
    result: 0,
    text: '1 IPv4 network found',
  });
  h.target.subnetList.length = 0;
  assert.deepEqual(await h.call('subnet4-list'), {
    arguments: { subnets: [] },
    result: 3,
    text: '0 IPv4 subnets found',
  });
});

test('a running server: statistic-get-all, subnet4-list and /metrics show the network with its sums', async () => {
  const lab = await virtualLab({
    config: config({
      ...httpControlSocket(),
      subnet4: [{ id: 7, subnet: '198.18.7.0/24', pools: [{ pool: '198.18.7.10 - 198.18.7.19' }] }],
      'shared-networks': [
        {
          name: 'floor1',
          interface: 'eth0',
          subnet4: [
            { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.110' }] },
            { id: 2, subnet: '198.18.1.0/24', pools: [{ pool: '198.18.1.10 - 198.18.1.14' }] },
          ],
        },
      ],
    }),
    control: {},
  });
  try {
    await dora(lab);

    const { command, metrics } = httpControlClient(lab);
    const stats = (await command('statistic-get-all')) as Record<string, [number, string][]>;
    const now = (name: string): number | undefined => stats[name]?.[0]?.[0];
    assert.equal(now('shared-network[floor1].total-addresses'), 16);
    assert.equal(now('shared-network[floor1].assigned-addresses'), 1);
    assert.equal(now('shared-network[floor1].cumulative-assigned-addresses'), 1);
    assert.equal(now('shared-network[floor1].declined-addresses'), 0);
    assert.equal(now('subnet[7].total-addresses'), 10);
    // Subnet 7 is in no network: the four sums are floor1's only.
    assert.deepEqual(
      Object.keys(stats).filter((k) => k.startsWith('shared-network[')),
      [
        'shared-network[floor1].assigned-addresses',
        'shared-network[floor1].cumulative-assigned-addresses',
        'shared-network[floor1].declined-addresses',
        'shared-network[floor1].total-addresses',
      ],
    );

    assert.deepEqual(await command('subnet4-list'), {
      subnets: [
        { id: 7, 'shared-network-name': null, subnet: '198.18.7.0/24' },
        { id: 1, 'shared-network-name': 'floor1', subnet: '198.18.0.0/24' },
        { id: 2, 'shared-network-name': 'floor1', subnet: '198.18.1.0/24' },
      ],
    });
    assert.deepEqual(await command('network4-list'), { 'shared-networks': [{ name: 'floor1' }] });

    const families = await metrics();
    const sample = (family: string): ReturnType<typeof metricSamples> => metricSamples(families, family);
    assert.deepEqual(sample('kea_dhcp4_shared_network_addresses_total'), [
      [{ shared_network: 'floor1' }, '16'],
    ]);
    assert.deepEqual(sample('kea_dhcp4_shared_network_addresses_assigned_total'), [
      [{ shared_network: 'floor1' }, '1'],
    ]);
  } finally {
    await lab.close();
  }
});

test('renderMetrics leaves out networks no longer configured', () => {
  const text = renderMetrics(
    [
      ['shared-network[gone].total-addresses', 4],
      ['shared-network[kept].total-addresses', 6],
    ],
    [],
    ['kept'],
  );
  const totals = parseMetrics(text).find((f) => f.name === 'kea_dhcp4_shared_network_addresses_total');
  assert.deepEqual(
    totals?.metrics.map((m) => [m.labels, m.value]),
    [[{ shared_network: 'kept' }, '6']],
  );
});
