/**
 * The engine counts by index (`GLOBAL`, `SUBNET`); the snapshot names them as Kea does. The indices must be the
 * names' positions in the lists, one each, or two statistics would share a counter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GLOBAL, GLOBAL_STATISTICS, SUBNET, SUBNET_STATISTICS, Statistics } from '../../src/server/stats.ts';

test('each statistic has its own index, its position in the list of names', () => {
  assert.deepEqual(Object.keys(GLOBAL), [...GLOBAL_STATISTICS]);
  GLOBAL_STATISTICS.forEach((name, i) => assert.equal(GLOBAL[name], i, name));
  assert.deepEqual(Object.keys(SUBNET), [...SUBNET_STATISTICS]);
  SUBNET_STATISTICS.forEach((name, i) => assert.equal(SUBNET[name], i, name));
});

test('a count by index shows under its own name only, globally and per subnet', () => {
  const stats = new Statistics();
  GLOBAL_STATISTICS.forEach((name, i) => stats.inc(GLOBAL[name], i + 1));
  stats.dec(GLOBAL['pkt4-sent']);
  stats.incSubnet(7, SUBNET['assigned-addresses'], 3);
  stats.incSubnet(7, SUBNET['assigned-addresses'], -1);
  stats.setSubnet(7, SUBNET['total-addresses'], 254);
  stats.incSubnet(8, SUBNET['declined-addresses']);
  const snap = stats.snapshot([7, 8, 9]);
  GLOBAL_STATISTICS.forEach((name, i) => assert.equal(snap[name], name === 'pkt4-sent' ? i : i + 1, name));
  assert.equal(snap['subnet[7].assigned-addresses'], 2);
  assert.equal(snap['subnet[7].total-addresses'], 254);
  assert.equal(snap['subnet[7].declined-addresses'], 0);
  assert.equal(snap['subnet[8].declined-addresses'], 1);
  assert.equal(snap['subnet[9].cumulative-assigned-addresses'], 0);
  assert.equal(stats.get(GLOBAL['pkt4-received']), 1);
  assert.equal(stats.getSubnet(9, SUBNET['assigned-addresses']), 0);
});
