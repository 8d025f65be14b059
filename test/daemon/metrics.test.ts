/**
 * GET /metrics on the HTTP control listener: Kea statistics in kea-exporter's names, parsed with a real
 * Prometheus text-format parser, behind the listener's basic authentication.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetrics } from '../../src/control/metrics.ts';
import { config, dora, virtualLab } from '../runtime/helpers.ts';
import {
  basicAuthorization,
  httpControlClient,
  httpControlSocket,
  metricFamily,
  parseMetrics,
  type MetricFamily,
} from '../control/http-control.ts';

const PROMETHEUS = { user: 'prom', password: 's3cret' };

test('/metrics after one DORA: assigned addresses and packet counters per kea-exporter, auth required', async () => {
  const lab = await virtualLab({
    config: config({
      ...httpControlSocket(PROMETHEUS),
      subnet4: [
        { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.110' }] },
        { id: 7, subnet: '198.18.7.0/24', pools: [{ pool: '198.18.7.10 - 198.18.7.19' }] },
      ],
    }),
    control: {},
  });
  try {
    await dora(lab);

    const url = `${httpControlClient(lab, PROMETHEUS).url}metrics`;
    const denied = await fetch(url);
    assert.equal(denied.status, 401);
    const res = await fetch(url, { headers: basicAuthorization(PROMETHEUS) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const families = parseMetrics(await res.text());

    const assigned = metricFamily(families, 'kea_dhcp4_addresses_assigned_total');
    assert.equal(assigned.type, 'GAUGE');
    assert.deepEqual(
      assigned.metrics.map((m) => [m.labels, m.value]),
      [
        // No `pool` label: the engine keeps no per-pool counts, and an always-empty one would be a lie.
        [{ subnet: '198.18.0.0/24', subnet_id: '1' }, '1'],
        [{ subnet: '198.18.7.0/24', subnet_id: '7' }, '0'],
      ],
    );
    const total = metricFamily(families, 'kea_dhcp4_addresses_total');
    assert.deepEqual(
      total.metrics.map((m) => m.value),
      ['11', '10'],
    );
    for (const f of families)
      for (const m of f.metrics) assert.ok(!('pool' in (m.labels ?? {})), `${f.name} has a pool label`);
    const sent = metricFamily(families, 'kea_dhcp4_packets_sent_total');
    const byOp = (f: MetricFamily, op: string): string | undefined =>
      f.metrics.find((m) => m.labels?.['operation'] === op)?.value;
    assert.equal(byOp(sent, 'offer'), '1');
    assert.equal(byOp(sent, 'ack'), '1');
    const received = metricFamily(families, 'kea_dhcp4_packets_received_total');
    assert.equal(byOp(received, 'discover'), '1');
    assert.equal(byOp(received, 'request'), '1');
  } finally {
    await lab.close();
  }
});

test('renderMetrics escapes label values and leaves out subnets that are no longer configured', () => {
  const text = renderMetrics(
    [
      ['subnet[1].assigned-addresses', 3],
      ['subnet[2].assigned-addresses', 9],
      ['subnet[1].v4-allocation-fail-no-pools', 2],
      ['pkt4-parse-failed', 4],
      ['cumulative-assigned-addresses', 5],
    ],
    [{ id: 1, prefix: 'a"b\\c\nd' }],
  );
  const families = parseMetrics(text);
  const assigned = metricFamily(families, 'kea_dhcp4_addresses_assigned_total');
  assert.equal(assigned.metrics.length, 1);
  assert.equal(assigned.metrics[0]?.labels?.['subnet'], 'a"b\\c\nd');
  const failed = metricFamily(families, 'kea_dhcp4_allocations_failed_total');
  assert.deepEqual(failed.metrics[0]?.labels, { subnet: 'a"b\\c\nd', subnet_id: '1', context: 'no-pools' });
  assert.equal(
    metricFamily(families, 'kea_dhcp4_packets_received_total').metrics[0]?.labels?.['operation'],
    'parse-failed',
  );
  assert.equal(
    families.some((f) => f.name.includes('cumulative')),
    false,
  );
});
