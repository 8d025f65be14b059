// The `classes` of a `clients` entry: the lease's user-context ISC.client-classes, bounded, absent when none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toClientJson } from '../../src/control/websocket/clients.ts';
import { lease } from '../web/ws-harness.ts';

const NOW = Date.parse('2022-12-28T00:45:00.000Z');

function entry(userContext: Record<string, unknown> | null): Record<string, unknown> {
  return {
    ...toClientJson(lease('192.168.1.196', '34:20:03:4b:ac:9b', { userContext }), NOW, '192.168.1.9'),
  };
}

test('classes come from ISC.client-classes, after the other fields', () => {
  const e = entry({
    ISC: { 'client-classes': ['pxe-efi', 'UNKNOWN'], 'relay-agent-info': { 'sub-options': '01' } },
  });
  assert.deepEqual(e['classes'], ['pxe-efi', 'UNKNOWN']);
  assert.equal(Object.keys(e).at(-1), 'classes');
});

test('a lease without classes has no classes field', () => {
  for (const ctx of [
    null,
    {},
    { ISC: null },
    { ISC: { 'relay-agent-info': {} } },
    { ISC: { 'client-classes': [] } },
  ]) {
    assert.equal('classes' in entry(ctx), false, JSON.stringify(ctx));
  }
});

test('a user context written by lease4-add cannot push odd shapes or sizes to the dashboard', () => {
  assert.equal('classes' in entry({ ISC: { 'client-classes': 'tier-gold' } }), false);
  assert.deepEqual(
    entry({ ISC: { 'client-classes': ['tier-gold', 7, null, '', { a: 1 }, 'tier-silver'] } })['classes'],
    ['tier-gold', 'tier-silver'],
  );
  const many = entry({ ISC: { 'client-classes': Array.from({ length: 1000 }, (_, i) => `c${i}`) } });
  assert.equal((many['classes'] as string[]).length, 64);
  const long = entry({ ISC: { 'client-classes': ['x'.repeat(10_000)] } });
  assert.equal((long['classes'] as string[])[0]!.length, 128);
});
