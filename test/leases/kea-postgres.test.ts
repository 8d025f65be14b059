import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileConfig } from '../../src/config/index.ts';
import { LeaseStoreError } from '../../src/leases/errors.ts';
import { KeaLeaseDatabaseError, postgresFromKea } from '../../src/leases/kea-postgres.ts';

/** Asserts `run` throws a KeaLeaseDatabaseError for `path` whose message contains `text`. */
function throwsAt(run: () => unknown, path: string, text: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KeaLeaseDatabaseError);
    assert.ok(error instanceof LeaseStoreError);
    assert.equal(error.code, 'ERR_LEASE_DATABASE_CONFIG');
    assert.equal(error.name, 'KeaLeaseDatabaseError');
    assert.equal(error.path, path);
    assert.match(error.message, new RegExp(text));
    return true;
  });
}

describe('Kea lease-database (postgresql) to PostgresLeaseStore options', () => {
  it('maps name, host, port, user, password and connect-timeout', () => {
    const choice = postgresFromKea({
      type: 'postgresql',
      name: 'kea',
      host: 'db.example.net',
      port: 5433,
      user: 'keauser',
      password: 's3cret',
      'connect-timeout': 12,
    });
    assert.deepEqual(choice.spec, {
      type: 'postgresql',
      connection: {
        host: 'db.example.net',
        port: 5433,
        database: 'kea',
        user: 'keauser',
        password: 's3cret',
        connectionTimeoutMillis: 12_000,
      },
    });
    assert.deepEqual(choice.ignored, []);
    assert.equal(choice.note, 'postgresql database "kea" at db.example.net:5433 as keauser');
    assert.doesNotMatch(choice.note, /s3cret/);
  });

  it("applies Kea's defaults: host localhost, connect-timeout 5 s, the driver's port and user", () => {
    const { spec } = postgresFromKea({ type: 'postgresql', name: 'leases' });
    assert.deepEqual(spec.connection, {
      host: 'localhost',
      database: 'leases',
      connectionTimeoutMillis: 5000,
    });
  });

  it('passes a host starting with / through as a UNIX socket directory, as libpq does', () => {
    const choice = postgresFromKea({ type: 'postgresql', name: 'kea', host: '/run/postgresql', user: 'kea' });
    assert.equal(typeof choice.spec.connection, 'object');
    assert.equal((choice.spec.connection as { host?: string }).host, '/run/postgresql');
    assert.equal(choice.note, 'postgresql database "kea" at socket /run/postgresql/.s.PGSQL.5432 as kea');
  });

  it('accepts what compileConfig keeps of a Kea configuration', () => {
    const config = compileConfig({
      Dhcp4: {
        'lease-database': {
          type: 'postgresql',
          name: 'kea',
          host: '/tmp/pg',
          port: 6543,
          user: 'kea',
          password: '',
          'max-reconnect-tries': 3,
          'reconnect-wait-time': 1000,
          'on-fail': 'stop-retry-exit',
        },
        subnet4: [],
      },
    });
    const choice = postgresFromKea(config.leaseDatabase);
    assert.deepEqual(choice.spec.connection, {
      host: '/tmp/pg',
      port: 6543,
      database: 'kea',
      user: 'kea',
      password: '',
      connectionTimeoutMillis: 5000,
    });
    assert.deepEqual(choice.ignored, ['max-reconnect-tries', 'reconnect-wait-time', 'on-fail']);
  });

  it('reads user-context.import-kea-leases (Kea keeps a user context as it is) and refuses a non-boolean', () => {
    const base = { type: 'postgresql', name: 'kea' };
    assert.equal(
      postgresFromKea({ ...base, 'user-context': { 'import-kea-leases': false } }).spec.importKeaLeases,
      false,
    );
    assert.equal(
      'importKeaLeases' in postgresFromKea({ ...base, 'user-context': { site: 'a' } }).spec,
      false,
    );
    const compiled = compileConfig({
      Dhcp4: { 'lease-database': { ...base, 'user-context': { 'import-kea-leases': false } } },
    });
    assert.equal(
      postgresFromKea(compiled.leaseDatabase as Record<string, unknown>).spec.importKeaLeases,
      false,
      'what compileConfig keeps',
    );
    throwsAt(
      () => postgresFromKea({ ...base, 'user-context': { 'import-kea-leases': 'no' } }),
      'Dhcp4.lease-database.user-context.import-kea-leases',
      'must be true or false',
    );
  });

  it('refuses a missing name, wrong types, out-of-range numbers and unknown parameters', () => {
    throwsAt(() => postgresFromKea({ type: 'postgresql' }), 'Dhcp4.lease-database.name', 'is required');
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: '' }),
      'Dhcp4.lease-database.name',
      'must not be empty',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', port: '5432' }),
      'Dhcp4.lease-database.port',
      'must be an integer from 1 to 65535',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', port: 70000 }),
      'Dhcp4.lease-database.port',
      '70000',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', 'connect-timeout': 0 }),
      'Dhcp4.lease-database.connect-timeout',
      'integer',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', 'connect-timeout': 1.5 }),
      'Dhcp4.lease-database.connect-timeout',
      'integer',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', user: 7 }),
      'Dhcp4.lease-database.user',
      'must be a string, got number',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', password: 1234 }),
      'Dhcp4.lease-database.password',
      'must be a string',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', hostname: 'db' }),
      'Dhcp4.lease-database.hostname',
      'is not a lease-database parameter',
    );
    throwsAt(
      () => postgresFromKea({ type: 'sqlite', name: 'kea' }),
      'Dhcp4.lease-database.type',
      'must be "postgresql"',
    );
  });

  it('names the configured path in errors', () => {
    throwsAt(
      () => postgresFromKea({ type: 'postgresql' }, { path: 'Dhcp4.hosts-database' }),
      'Dhcp4.hosts-database.name',
      'is required',
    );
  });

  it('reads the TLS files into the ssl settings, and refuses TLS on a socket or half a key pair', () => {
    const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' };
    const readFile = (file: string): Buffer => {
      const body = files[file];
      if (body === undefined) throw new Error(`ENOENT: ${file}`);
      return Buffer.from(body);
    };
    const tls = {
      type: 'postgresql',
      name: 'kea',
      host: 'db',
      'trust-anchor': '/ca.pem',
      'cert-file': '/cert.pem',
      'key-file': '/key.pem',
      'key-password': 'pw',
      'cipher-list': 'HIGH',
    };
    const choice = postgresFromKea(tls, { readFile });
    assert.deepEqual((choice.spec.connection as { ssl?: unknown }).ssl, {
      ca: Buffer.from('CA'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      passphrase: 'pw',
      ciphers: 'HIGH',
    });
    assert.match(choice.note, /over TLS$/);
    throwsAt(
      () => postgresFromKea({ ...tls, 'trust-anchor': '/missing.pem' }, { readFile }),
      'Dhcp4.lease-database.trust-anchor',
      'cannot read /missing.pem: ENOENT',
    );
    throwsAt(
      () => postgresFromKea({ ...tls, host: '/run/postgresql' }, { readFile }),
      'Dhcp4.lease-database.trust-anchor',
      'TLS does not apply to a UNIX socket',
    );
    throwsAt(
      () => postgresFromKea({ type: 'postgresql', name: 'kea', 'cert-file': '/cert.pem' }, { readFile }),
      'Dhcp4.lease-database.key-file',
      'go together',
    );
  });
});
