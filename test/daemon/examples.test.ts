/**
 * Every commented configuration in examples/dhcp4 loads with the configuration parser and passes the
 * checks serve makes before opening anything (lease database, control sockets, loggers), so the examples
 * never rot as the parser changes.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../src/config/index.ts';
import { controlListenerSettings } from '../../src/control/settings.ts';
import { chooseLeaseStore } from '../../src/runtime/lease-database.ts';
import { readLogSettings } from '../../src/runtime/log-settings.ts';

const DIR = fileURLToPath(new URL('../../examples/dhcp4/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('the examples are there: one LAN, a relayed campus, PXE, two servers on PostgreSQL', () => {
  for (const name of [
    'one-lan',
    'relayed-campus',
    'pxe',
    'two-servers-postgresql-1',
    'two-servers-postgresql-2',
  ])
    assert.ok(files.includes(`${name}.json`), name);
});

for (const file of files) {
  test(`examples/dhcp4/${file} loads, and is commented`, () => {
    const text = readFileSync(join(DIR, file), 'utf8');
    assert.match(text, /^\s*\/\/ /m, 'explains itself in comments');
    const r = parseConfigText(text);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const config = r.config;
    assert.ok(config.subnets.length > 0);
    assert.ok(config.interfaces.length > 0);
    chooseLeaseStore(config.leaseDatabase, undefined);
    const control = controlListenerSettings(config.source);
    assert.ok(control.unix.length + control.http.length > 0, 'has a control channel');
    readLogSettings(config.source['loggers']);
  });
}
