import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { checkConfigOffline } from '../../src/runtime/config-check.ts';

const db = { type: 'postgresql', name: 'kea', host: '/run/postgresql', user: 'kea' };
const dhcp4 = (extra: object) => ({ Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/24' }], ...extra } });

test('hosts-database and hosts-databases of type postgresql load, in the listed order', () => {
  const one = parseConfig(dhcp4({ 'hosts-database': { ...db, 'connect-timeout': 3, readonly: true } }));
  assert.ok(one.ok, one.ok ? '' : one.error.message);
  assert.deepEqual(
    one.config.hostsDatabases.map((d) => d.name),
    ['kea'],
  );
  const two = parseConfig(dhcp4({ 'hosts-databases': [db, { ...db, name: 'second' }] }));
  assert.ok(two.ok);
  assert.deepEqual(
    two.config.hostsDatabases.map((d) => d.name),
    ['kea', 'second'],
  );
  assert.ok(two.config.warnings.length === 0, 'no warning without the reconnect keys');
  const reconnect = parseConfig(dhcp4({ 'hosts-database': { ...db, 'on-fail': 'stop-retry-exit' } }));
  assert.ok(reconnect.ok);
  assert.match(reconnect.config.warnings.join('\n'), /hosts-database\.on-fail/);
});

test('what Kea would refuse or leasekeeper cannot read is refused with its path', () => {
  const issues = (json: object): string[] => {
    const r = parseConfig(json);
    return r.ok ? [] : r.error.issues.map((i) => `${i.path}: ${i.message}`);
  };
  assert.deepEqual(issues(dhcp4({ 'hosts-database': db, 'hosts-databases': [db] })), [
    'Dhcp4.hosts-databases: give hosts-database or hosts-databases, not both',
  ]);
  assert.deepEqual(issues(dhcp4({ 'hosts-databases': [{ ...db, type: 'mysql' }] })), [
    "Dhcp4.hosts-databases[0].type: MySQL is not supported: host reservations are read from PostgreSQL (Kea's hosts schema) or the configuration",
  ]);
  assert.deepEqual(issues(dhcp4({ 'hosts-database': { ...db, type: 'memfile' } })), [
    'Dhcp4.hosts-database.type: host databases are of type "postgresql" here, got "memfile"',
  ]);
  assert.match(
    issues(dhcp4({ 'hosts-database': { type: 'postgresql' } })).join(),
    /Dhcp4\.hosts-database\.name/,
  );
  assert.match(
    issues(dhcp4({ 'hosts-database': { ...db, nmae: 'x' } })).join(),
    /Dhcp4\.hosts-database\.nmae/,
  );
});

test('serve --test checks a host database entry without connecting: an unreadable TLS file is an error', () => {
  const r = parseConfig(
    dhcp4({ 'hosts-databases': [{ ...db, host: 'db.example', 'trust-anchor': '/nonexistent/ca.pem' }] }),
  );
  assert.ok(r.ok);
  const check = checkConfigOffline(r.config, { interfaces: () => [] });
  assert.deepEqual(
    check.errors.filter((e) => e.includes('hosts-databases')),
    [
      "Dhcp4.hosts-databases[0].trust-anchor: cannot read /nonexistent/ca.pem: ENOENT: no such file or directory, open '/nonexistent/ca.pem'",
    ],
  );
});
