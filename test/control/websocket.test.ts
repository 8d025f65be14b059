// Seed 000's WebSocket API, event by event, with the exact shapes of the seed; pushes, coalescing, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { KEA_CONFIG, TestClient, lease, startWsServer, type Received } from '../web/ws-harness.ts';

const NAME = '/dhcp/server/v1';
const SEED_NOW = Date.parse('2022-12-28T00:45:00.000Z');

const SEED_OPTIONS = {
  range: ['192.168.1.100', '192.168.1.200'],
  netmask: '255.255.255.0',
  router: ['192.168.1.1'],
  dns: ['192.168.1.1', '1.1.1.1'],
  server: '192.168.1.9',
  leaseTime: 120,
  renewalTime: 60,
  rebindingTime: 105,
  hostname: 'yo-dhcp-server-here',
  domainName: 'lan',
};

const SEED_SET = {
  ip: '192.168.1.9',
  rangeStart: '192.168.1.100',
  rangeEnd: '192.168.1.200',
  mask: '255.255.255.0',
  gateway: '192.168.1.254',
  dns1: '192.168.1.1',
  dns2: '1.1.1.1',
  leasePeriod: 120,
};

const SEED_KEYS = ['address', 'leasePeriod', 'server', 'state', 'bindTime', 'mac'];

test('clients: the seed entry, field for field, for a bound lease', async () => {
  const s = await startWsServer({ clock: () => SEED_NOW });
  try {
    await s.store.commit(lease('192.168.1.196', '34:20:03:4b:ac:9b', { hostname: 'laptop' }));
    const c = await TestClient.connect(s.wsUrl);
    const m = await c.request('clients');
    assert.equal(m.name, NAME);
    const body = m.body as Record<string, unknown>[];
    assert.equal(body.length, 1);
    const entry = body[0]!;
    assert.deepEqual(Object.keys(entry).slice(0, 6), SEED_KEYS);
    assert.deepEqual(Object.fromEntries(SEED_KEYS.map((k) => [k, entry[k]])), {
      address: '192.168.1.196',
      leasePeriod: 120,
      server: '192.168.1.9',
      state: 'BOUND',
      bindTime: '2022-12-28T00:44:23.700Z',
      mac: '34-20-03-4B-AC-9B',
    });
    assert.equal(entry['hostname'], 'laptop');
    assert.equal(entry['expiresAt'], '2022-12-28T00:46:23.700Z');
    assert.equal(entry['subnetId'], 1);
    await c.close();
  } finally {
    await s.close();
  }
});

test('clients: states EXPIRED, RELEASED and DECLINED', async () => {
  const s = await startWsServer({ clock: () => SEED_NOW });
  try {
    const t0 = Date.parse('2022-12-27T00:00:00.000Z');
    await s.store.commit(lease('192.168.1.101', '02:00:00:00:00:01', { cltt: t0 }));
    await s.store.commit(
      lease('192.168.1.102', '02:00:00:00:00:02', { state: 'expired-reclaimed', validLifetime: 0 }),
    );
    await s.store.commit(
      lease('192.168.1.103', '02:00:00:00:00:03', { cltt: t0, state: 'expired-reclaimed' }),
    );
    await s.store.commit(lease('192.168.1.104', '', { state: 'declined' }));
    const c = await TestClient.connect(s.wsUrl);
    const m = await c.request('clients');
    const states = (m.body as { address: string; state: string; mac: string }[]).map((e) => [
      e.address,
      e.state,
      e.mac,
    ]);
    assert.deepEqual(states, [
      ['192.168.1.101', 'EXPIRED', '02-00-00-00-00-01'],
      ['192.168.1.102', 'RELEASED', '02-00-00-00-00-02'],
      ['192.168.1.103', 'EXPIRED', '02-00-00-00-00-03'],
      ['192.168.1.104', 'DECLINED', ''],
    ]);
    await c.close();
  } finally {
    await s.close();
  }
});

test('running, getOptions and state answer with the seed shapes', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    assert.deepEqual(await c.request('running'), { name: NAME, event: 'running', body: true });
    s.target.enabled = false;
    assert.deepEqual(await c.request('running'), { name: NAME, event: 'running', body: false });
    assert.deepEqual(await c.request('getOptions', undefined, 'options'), {
      name: NAME,
      event: 'options',
      body: SEED_OPTIONS,
    });
    assert.deepEqual(await c.request('state'), {
      name: NAME,
      event: 'state',
      body: { running: false, options: SEED_OPTIONS, clients: [] },
    });
    await c.close();
  } finally {
    await s.close();
  }
});

test('start and stop switch DHCP through the ControlTarget and push running to every subscriber', async () => {
  const s = await startWsServer();
  try {
    const a = await TestClient.connect(s.wsUrl);
    const b = await TestClient.connect(s.wsUrl);
    await b.request('running'); // subscribes b
    assert.deepEqual(await a.request('stop'), { name: NAME, event: 'stop', body: false });
    assert.equal(s.target.enabled, false);
    assert.deepEqual(await b.next((m) => m.event === 'running'), {
      name: NAME,
      event: 'running',
      body: false,
    });
    assert.deepEqual(await a.next((m) => m.event === 'running'), {
      name: NAME,
      event: 'running',
      body: false,
    });
    assert.deepEqual(await a.request('start'), { name: NAME, event: 'start', body: true });
    assert.equal(s.target.enabled, true);
    assert.deepEqual(await b.next((m) => m.event === 'running'), {
      name: NAME,
      event: 'running',
      body: true,
    });
    await a.close();
    await b.close();
  } finally {
    await s.close();
  }
});

test('a change made through Kea (dhcp-disable over HTTP) is pushed as running', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    await c.request('running');
    const res = await fetch(s.http.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'dhcp-disable', service: ['dhcp4'] }),
    });
    assert.equal(((await res.json()) as { result: number }[])[0]?.result, 0);
    assert.deepEqual(await c.next((m) => m.event === 'running'), {
      name: NAME,
      event: 'running',
      body: false,
    });
    await c.close();
  } finally {
    await s.close();
  }
});

test('options: STOP DHCP SERVER FIRST while serving, OPTIONS SET once stopped, and config-get agrees', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    const before = structuredClone(s.target.configJson);
    assert.deepEqual(await c.request('options', SEED_SET), {
      name: NAME,
      event: 'options',
      body: 'STOP DHCP SERVER FIRST',
    });
    assert.deepEqual(s.target.configJson, before, 'nothing applied while serving');
    await c.request('stop');
    const set = { ...SEED_SET, rangeStart: '192.168.1.50', rangeEnd: '192.168.1.60', leasePeriod: 600 };
    assert.deepEqual(await c.request('options', set), { name: NAME, event: 'options', body: 'OPTIONS SET' });
    // every subscriber (the sender too) is then told the new options
    const pushed = await c.next((m) => m.event === 'options');
    assert.deepEqual(pushed.body, {
      ...SEED_OPTIONS,
      range: ['192.168.1.50', '192.168.1.60'],
      router: ['192.168.1.254'],
      leaseTime: 600,
      renewalTime: 60,
      rebindingTime: 525,
    });
    const res = await fetch(s.http.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'config-get', service: ['dhcp4'] }),
    });
    const config = ((await res.json()) as { arguments: { Dhcp4: Record<string, unknown> } }[])[0]!.arguments;
    const subnet = (config.Dhcp4['subnet4'] as Record<string, unknown>[])[0]!;
    assert.equal(subnet['subnet'], '192.168.1.0/24');
    assert.deepEqual(subnet['pools'], [{ pool: '192.168.1.50 - 192.168.1.60' }]);
    assert.equal(subnet['valid-lifetime'], 600);
    assert.deepEqual(subnet['option-data'], [
      { name: 'routers', data: '192.168.1.254' },
      { name: 'domain-name-servers', data: '192.168.1.1, 1.1.1.1' },
      { name: 'dhcp-server-identifier', data: '192.168.1.9' },
      { name: 'domain-name', data: 'lan' },
    ]);
    assert.deepEqual(
      config.Dhcp4['option-data'],
      (KEA_CONFIG['Dhcp4'] as Record<string, unknown>)['option-data'],
    );
    await c.close();
  } finally {
    await s.close();
  }
});

test('options: OPTIONS FAILED VALIDATION names each failing field and why; nothing is applied', async () => {
  const s = await startWsServer();
  try {
    s.target.enabled = false;
    const c = await TestClient.connect(s.wsUrl);
    const before = structuredClone(s.target.configJson);
    const bad = {
      ...SEED_SET,
      rangeStart: '192.168.1.300',
      gateway: '10.0.0.1',
      mask: '255.0.255.0',
      leasePeriod: -5,
    };
    const m = await c.request('options', bad);
    assert.equal(m.name, NAME);
    assert.equal(m.event, 'options');
    assert.equal(m.body, 'OPTIONS FAILED VALIDATION');
    const errors = m['errors'] as { field: string | null; message: string }[];
    assert.deepEqual(errors.map((e) => e.field).sort(), ['leasePeriod', 'mask', 'rangeStart']);
    assert.match(
      errors.find((e) => e.field === 'rangeStart')!.message,
      /192\.168\.1\.300.* not an IPv4 address/,
    );
    assert.match(errors.find((e) => e.field === 'mask')!.message, /not a netmask/);

    const off = await c.request('options', { ...SEED_SET, gateway: '10.0.0.1', rangeEnd: '192.168.1.20' });
    assert.deepEqual(
      (off['errors'] as { field: string }[]).map((e) => e.field),
      ['gateway', 'rangeEnd'],
    );
    const missing = await c.request('options');
    assert.equal(missing.body, 'OPTIONS FAILED VALIDATION');
    assert.deepEqual(missing['errors'], [
      {
        field: null,
        message:
          'body must be an object with ip, rangeStart, rangeEnd, mask, gateway, dns1, dns2, leasePeriod',
      },
    ]);
    assert.deepEqual(s.target.configJson, before);
    await c.close();
  } finally {
    await s.close();
  }
});

test('options: a refusal by the configuration compiler is mapped to the field it is about', async () => {
  const s = await startWsServer();
  try {
    s.target.enabled = false;
    // A reservation that the new, smaller subnet would no longer contain.
    const dhcp4 = s.target.configJson['Dhcp4'] as Record<string, unknown>;
    const subnet = (dhcp4['subnet4'] as Record<string, unknown>[])[0]!;
    subnet['reservations'] = [{ 'hw-address': '02:00:00:00:00:09', 'ip-address': '192.168.1.250' }];
    const c = await TestClient.connect(s.wsUrl);
    const m = await c.request('options', {
      ...SEED_SET,
      mask: '255.255.255.128',
      rangeEnd: '192.168.1.120',
      gateway: '192.168.1.1',
    });
    assert.equal(m.body, 'OPTIONS FAILED VALIDATION');
    const errors = m['errors'] as { field: string | null; message: string }[];
    assert.equal(errors[0]?.field, 'mask');
    assert.match(errors[0]!.message, /reservations\[0\]\.ip-address: 192\.168\.1\.250 is outside subnet/);
    await c.close();
  } finally {
    await s.close();
  }
});

test('a lease change is pushed to subscribers as clients; sockets that never sent anything get nothing', async () => {
  const s = await startWsServer();
  try {
    const sub = await TestClient.connect(s.wsUrl);
    const quiet = await TestClient.connect(s.wsUrl);
    await sub.request('running');
    await s.store.commit(lease('192.168.1.150', 'aa:bb:cc:dd:ee:ff', { cltt: Date.now() }));
    const push = await sub.next((m) => m.event === 'clients');
    const body = push.body as { address: string; mac: string; state: string }[];
    assert.deepEqual(
      body.map((e) => [e.address, e.mac, e.state]),
      [['192.168.1.150', 'AA-BB-CC-DD-EE-FF', 'BOUND']],
    );
    await s.store.remove('192.168.1.150');
    assert.deepEqual((await sub.next((m) => m.event === 'clients')).body, []);
    // the quiet socket round-trips a request afterwards: anything pushed to it would have come first
    assert.equal((await quiet.request('running')).event, 'running');
    assert.deepEqual(
      quiet.messages.map((m) => m.event),
      ['running'],
    );
    await sub.close();
    await quiet.close();
  } finally {
    await s.close();
  }
});

test('a burst of 10,000 lease commits is coalesced: at most one clients push per 100 ms, the last with all 10,000', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    await c.request('running');
    const now = Date.now();
    const started = performance.now();
    // One commit after another, yielding to I/O every 50: the burst spans many push windows, and the
    // socket is served meanwhile.
    for (let i = 0; i < 10_000; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      await s.store.commit(lease(address, mac, { cltt: now }));
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    let last: Received;
    do last = await c.next((m) => m.event === 'clients', 10_000);
    while ((last.body as unknown[]).length < 10_000);
    const elapsedMs = performance.now() - started;
    // after the full list, no further push comes for the same burst: a request round-trips first
    await c.request('running');
    const pushes = c.messages.filter((m) => m.event === 'clients');
    assert.equal((pushes.at(-1)!.body as unknown[]).length, 10_000);
    // The rule is a rate, so the bound follows the burst's own duration on this machine: pushes start at
    // least 100 ms apart (90 here: a timer may fire a millisecond early), the first one at once.
    const allowed = Math.floor(elapsedMs / 90) + 1;
    assert.ok(pushes.length <= allowed, `${pushes.length} pushes in ${Math.round(elapsedMs)} ms`);
    const sizes = pushes.map((m) => (m.body as unknown[]).length);
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => a - b),
      'each push has the list as it was then, never an older one',
    );
    const e = (pushes.at(-1)!.body as Record<string, unknown>[])[9_999]!;
    assert.equal(e['mac'], '02-00-00-00-27-0F');
    await c.close();
  } finally {
    await s.close();
  }
});

test('errors: malformed JSON, not an object, wrong name, unknown event, binary frame; the socket stays usable', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    const error = () => c.next((m) => m.event === 'error');
    c.send('{"name": "/dhcp/server/v1", "event": ');
    const e = await error();
    assert.equal(e.name, NAME);
    assert.equal((e.body as { code: string }).code, 'ERR_WS_BAD_JSON');
    assert.match((e.body as { message: string }).message, /^the message is not JSON: /);

    c.send('[1, 2]');
    assert.deepEqual((await error()).body, {
      code: 'ERR_WS_BAD_MESSAGE',
      message: 'a message is a JSON object {"name": "/dhcp/server/v1", "event": ..., "body"?: ...}',
    });

    c.send({ name: '/dhcp/server/v2', event: 'clients' });
    assert.deepEqual((await error()).body, {
      code: 'ERR_WS_UNKNOWN_NAME',
      message: 'unknown name "/dhcp/server/v2": this server speaks "/dhcp/server/v1"',
      event: 'clients',
    });

    c.send({ name: NAME, event: 'reboot' });
    assert.deepEqual((await error()).body, {
      code: 'ERR_WS_UNKNOWN_EVENT',
      message:
        'unknown event "reboot": expected one of clients, running, getOptions, state, start, stop, options',
      event: 'reboot',
    });

    c.ws.send(Buffer.from('{}'), { binary: true });
    assert.equal(((await error()).body as { code: string }).code, 'ERR_WS_BAD_MESSAGE');

    assert.deepEqual(await c.request('running'), { name: NAME, event: 'running', body: true });
    assert.equal(s.target.enabled, true);
    await c.close();
  } finally {
    await s.close();
  }
});

test('an oversize frame closes that socket with 1009; the server and other sockets carry on', async () => {
  const s = await startWsServer({ maxPayload: 1024 });
  try {
    const big = await TestClient.connect(s.wsUrl);
    const other = await TestClient.connect(s.wsUrl);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    big.send({ name: NAME, event: 'options', body: { ip: 'x'.repeat(4096) } });
    assert.equal(await closed, 1009);
    assert.deepEqual(await other.request('running'), { name: NAME, event: 'running', body: true });
    const again = await TestClient.connect(s.wsUrl);
    assert.equal((await again.request('running')).body, true);
    await other.close();
    await again.close();
  } finally {
    await s.close();
  }
});

test('authentication: the upgrade needs the control channel credentials', async () => {
  const s = await startWsServer({
    auth: { realm: 'leasekeeper', clients: [{ user: 'admin', password: 'secret' }] },
  });
  try {
    const refused = new WebSocket(s.wsUrl);
    const status = await new Promise<number>((resolve) => {
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.once('error', () => undefined);
    });
    assert.equal(status, 401);
    const wrong = new WebSocket(s.wsUrl, { headers: { Authorization: `Basic ${btoa('admin:nope')}` } });
    const wrongStatus = await new Promise<number>((resolve) => {
      wrong.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      wrong.once('error', () => undefined);
    });
    assert.equal(wrongStatus, 401);
    const c = await TestClient.connect(s.wsUrl, {
      headers: { Authorization: `Basic ${btoa('admin:secret')}` },
    });
    assert.equal((await c.request('running')).body, true);
    await c.close();
  } finally {
    await s.close();
  }
});

test('upgrades elsewhere than /ws, and from a foreign Origin, are refused', async () => {
  const s = await startWsServer();
  try {
    const statusOf = (url: string, options: WebSocket.ClientOptions = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, options);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => undefined);
      });
    assert.equal(await statusOf(s.wsUrl.replace('/ws', '/other')), 404);
    assert.equal(await statusOf(s.wsUrl, { origin: 'http://evil.example' }), 403);
    const same = await TestClient.connect(s.wsUrl, { origin: `http://127.0.0.1:${s.http.port}` });
    assert.equal((await same.request('running')).body, true);
    await same.close();
  } finally {
    await s.close();
  }
});

test('close() ends the sockets with 1001 and the HTTP control channel keeps answering', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    await c.request('running');
    const code = new Promise<number>((resolve) => c.ws.once('close', (n) => resolve(n)));
    await s.api.close();
    assert.equal(await code, 1001);
    assert.equal(s.api.connections, 0);
    const res = await fetch(s.http.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'list-commands' }),
    });
    assert.equal(res.status, 200);
  } finally {
    await s.close();
  }
});

test('a socket that floods requests faster than they are answered is closed with 1008; others carry on', async () => {
  const s = await startWsServer();
  try {
    const flood = await TestClient.connect(s.wsUrl);
    const other = await TestClient.connect(s.wsUrl);
    const closed = new Promise<number>((resolve) => flood.ws.once('close', (code) => resolve(code)));
    const frame = JSON.stringify({ name: NAME, event: 'state' });
    for (let i = 0; i < 2000; i++) flood.ws.send(frame);
    assert.equal(await closed, 1008);
    assert.deepEqual(await other.request('running'), { name: NAME, event: 'running', body: true });
    await other.close();
  } finally {
    await s.close();
  }
});

test('a failure while answering is an ERR_WS_INTERNAL error event naming the request; the socket stays', async () => {
  const s = await startWsServer();
  try {
    const c = await TestClient.connect(s.wsUrl);
    await s.store.close(); // the lease store is gone: reading the leases fails
    const e = await c.request('clients');
    assert.equal(e.event, 'error');
    const body = e.body as { code: string; message: string; event: string };
    assert.equal(body.code, 'ERR_WS_INTERNAL');
    assert.equal(body.event, 'clients');
    assert.ok(body.message.length > 0);
    assert.deepEqual(await c.request('running'), { name: NAME, event: 'running', body: true });
    await c.close();
  } finally {
    await s.close().catch(() => undefined);
  }
});
