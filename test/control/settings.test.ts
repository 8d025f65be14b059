import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlListenerSettings, parseHostPort } from '../../src/control/settings.ts';
import { ControlConfigError } from '../../src/control/errors.ts';

test("Kea's control-socket gives one UNIX listener; none configured gives none", () => {
  assert.deepEqual(
    controlListenerSettings({ 'control-socket': { 'socket-type': 'unix', 'socket-name': '/run/lk.sock' } }),
    { unix: [{ path: '/run/lk.sock' }], http: [] },
  );
  assert.deepEqual(controlListenerSettings({}), { unix: [], http: [] });
  assert.deepEqual(controlListenerSettings(undefined), { unix: [], http: [] });
});

test("Kea's control-sockets list: unix and http with defaults, authentication and TLS", () => {
  const s = controlListenerSettings({
    'control-sockets': [
      { 'socket-type': 'unix', 'socket-name': '/run/a.sock' },
      { 'socket-type': 'http' },
      {
        'socket-type': 'http',
        'socket-address': '::1',
        'socket-port': 8443,
        authentication: { type: 'basic', realm: 'r', clients: [{ user: 'u', password: 'p' }] },
        'trust-anchor': '/etc/ca.pem',
        'cert-file': '/etc/c.pem',
        'key-file': '/etc/k.pem',
      },
    ],
  });
  assert.deepEqual(s.unix, [{ path: '/run/a.sock' }]);
  assert.deepEqual(s.http[0], { host: '127.0.0.1', port: 8000 });
  assert.deepEqual(s.http[1], {
    host: '::1',
    port: 8443,
    auth: { realm: 'r', clients: [{ user: 'u', password: 'p' }] },
    tls: { trustAnchor: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/k.pem', certRequired: true },
  });
});

test('authentication secrets from files relative to directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-auth-'));
  try {
    writeFileSync(join(dir, 'user'), 'admin\n');
    writeFileSync(join(dir, 'pw'), 'secret\n');
    writeFileSync(join(dir, 'both'), 'ops:pass:word\n');
    const s = controlListenerSettings({
      'control-sockets': [
        {
          'socket-type': 'http',
          authentication: {
            type: 'basic',
            directory: dir,
            clients: [{ 'user-file': 'user', 'password-file': 'pw' }, { 'password-file': 'both' }],
          },
        },
      ],
    });
    assert.deepEqual(s.http[0]?.auth?.clients, [
      { user: 'admin', password: 'secret' },
      { user: 'ops', password: 'pass:word' },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('command-line overrides replace the socket path and the HTTP address, keeping auth', () => {
  const config = {
    'control-sockets': [
      { 'socket-type': 'unix', 'socket-name': '/run/a.sock' },
      {
        'socket-type': 'http',
        authentication: { type: 'basic', clients: [{ user: 'u', password: 'p' }] },
      },
    ],
  };
  const s = controlListenerSettings(config, { controlSocket: '/tmp/b.sock', controlHttp: '0.0.0.0:9000' });
  assert.deepEqual(s.unix, [{ path: '/tmp/b.sock' }]);
  assert.deepEqual(s.http, [
    { host: '0.0.0.0', port: 9000, auth: { realm: 'leasekeeper', clients: [{ user: 'u', password: 'p' }] } },
  ]);
  assert.deepEqual(controlListenerSettings({}, { controlHttp: '[::1]:8001' }).http, [
    { host: '::1', port: 8001 },
  ]);
  assert.deepEqual(parseHostPort('8002'), { host: '127.0.0.1', port: 8002 });
});

test('bad settings are ControlConfigErrors naming the path', () => {
  const bad: [unknown, RegExp][] = [
    [{ 'control-socket': { 'socket-type': 'unix' } }, /control-socket\.socket-name/],
    [{ 'control-socket': {}, 'control-sockets': [] }, /mutually exclusive/],
    [{ 'control-sockets': {} }, /must be a list/],
    [{ 'control-sockets': [{ 'socket-type': 'tcp' }] }, /control-sockets\[0\]\.socket-type/],
    [{ 'control-sockets': [{ 'socket-type': 'http', 'socket-port': 70000 }] }, /socket-port/],
    [{ 'control-sockets': [{ 'socket-type': 'http', 'cert-file': '/c' }] }, /cert-file and key-file/],
    [{ 'control-sockets': [{ 'socket-type': 'https' }] }, /https needs/],
    [
      { 'control-sockets': [{ 'socket-type': 'http', authentication: { type: 'digest', clients: [] } }] },
      /only "basic"/,
    ],
  ];
  for (const [config, message] of bad) {
    assert.throws(
      () => controlListenerSettings(config),
      (err: unknown) => {
        assert.ok(err instanceof ControlConfigError);
        assert.equal(err.code, 'ERR_CONTROL_CONFIG');
        assert.match(err.message, message);
        return true;
      },
    );
  }
  assert.throws(() => controlListenerSettings({}, { controlHttp: 'nope' }), ControlConfigError);
});
