import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keyTable } from '../../src/config/key-table.ts';
import { keaPaths, renderKeyTableDoc } from './key-table-doc.ts';

test('the key table in docs/configuration.md is the one the schema generates', async () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(
    await renderKeyTableDoc(doc),
    doc,
    'docs/configuration.md is stale: run node --import tsx scripts/config-key-table.ts',
  );
});

test('every key of Kea 2.2 and 3.0 all-keys.json has a row; the refused ones each give a reason', () => {
  const rows = keyTable(keaPaths());
  const byPath = new Map(rows.map((r) => [r.path, r]));
  for (const path of keaPaths()) {
    const covered =
      byPath.has(path) ||
      rows.some(
        (r) => (r.status === 'refused' || r.path.endsWith('user-context')) && path.startsWith(r.path),
      );
    assert.ok(covered, path);
  }
  for (const r of rows.filter((x) => x.status === 'refused')) assert.notEqual(r.note, '', r.path);
  assert.equal(byPath.get('Dhcp4.lease-database.lfc-interval')?.status, 'warned');
  const processing = 'Dhcp4.expired-leases-processing';
  assert.equal(byPath.get(`${processing}.reclaim-timer-wait-time`)?.status, 'not-needed');
  assert.equal(byPath.get(`${processing}.flush-reclaimed-timer-wait-time`)?.status, 'honoured');
  assert.equal(byPath.get(`${processing}.hold-reclaimed-time`)?.status, 'honoured');
  assert.equal(byPath.get('Dhcp4.shared-networks[].subnet4[].pools[].pool')?.status, 'honoured');
  assert.equal(byPath.get('Dhcp4.dhcp4o6-port')?.status, 'refused');
});
