// Every @tcpip/dhcp option reaches the client; reservations by MAC and by client id; INFORM; a full Kea
// configuration; bad options refused with ERR_DHCP_OPTIONS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDhcp, DhcpLibraryError, virtualTransports } from '../../src/index.ts';
import { SEED, lan, virtualUdp } from './helpers.ts';

test('each seed option is reflected in the lease the client gets', async () => {
  const l = lan();
  const server = await l.serve({
    leaseRange: { start: '192.168.1.150', end: '192.168.1.150' },
    serverIdentifier: '192.168.1.1',
    netmask: '255.255.255.0',
    router: '192.168.1.254',
    leaseDuration: 7200,
    dnsServers: ['192.168.1.53', '1.1.1.1'],
    hostname: 'guest',
    domainName: 'example.lan',
    searchDomains: ['eng.example.lan', 'example.lan'],
  });
  const client = await l.client('02:00:00:00:00:01');
  try {
    const lease = await client.bound();
    assert.equal(lease.address, '192.168.1.150'); // leaseRange
    assert.equal(lease.serverIdentifier, '192.168.1.1'); // serverIdentifier
    assert.equal(lease.netmask, '255.255.255.0'); // netmask
    assert.equal(lease.prefixLength, 24);
    assert.equal(lease.router, '192.168.1.254'); // router
    assert.equal(lease.leaseDuration, 7200); // leaseDuration
    assert.deepEqual(lease.dnsServers, ['192.168.1.53', '1.1.1.1']); // dnsServers
    assert.equal(lease.hostname, 'guest'); // hostname
    assert.equal(lease.domainName, 'example.lan'); // domainName
    assert.deepEqual(lease.searchDomains, ['eng.example.lan', 'example.lan']); // searchDomains
    const entry = server.leases.get('192.168.1.150');
    assert.equal(entry?.mac, '02:00:00:00:00:01');
    assert.equal(entry?.leaseDuration, 7200);
    assert.equal(entry?.expiresAt, entry!.grantedAt + 7200 * 1000);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('leaseDuration defaults to 86400 seconds', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  const client = await l.client('02:00:00:00:00:01');
  try {
    assert.equal((await client.bound()).leaseDuration, 86400);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('reservations: one by MAC, one by client id, each client gets its address and host name', async () => {
  const l = lan();
  const server = await l.serve({
    ...SEED,
    reservations: [
      { mac: '02:00:00:00:00:0a', ip: '192.168.1.10', hostname: 'printer' },
      { clientId: '00:6d:79:2d:69:64', ip: '192.168.1.20' },
    ],
  });
  const byMac = await l.client('02:00:00:00:00:0a');
  // A client whose identifier (type 0, "my-id") is not its MAC: only the client-id reservation matches.
  const byId = await l.client('02:00:00:00:00:0b', { clientId: '00:6d:79:2d:69:64' });
  try {
    const a = await byMac.bound();
    const b = await byId.bound();
    assert.equal(a.address, '192.168.1.10');
    assert.equal(a.hostname, 'printer');
    assert.equal(b.address, '192.168.1.20');
    assert.equal(server.leases.get('192.168.1.20')?.clientId, '00:6d:79:2d:69:64');
    assert.equal(server.leases.get('192.168.1.10')?.mac, '02:00:00:00:00:0a');
  } finally {
    await byMac.stop();
    await byId.stop();
    await server.stop();
  }
});

test('INFORM: a client with an address gets the configuration, and no lease is made', async () => {
  const l = lan();
  const server = await l.serve({ ...SEED, domainName: 'lan' });
  const client = await l.client('02:00:00:00:00:01');
  try {
    const lease = await client.bound();
    const reply = await client.inform();
    assert.equal(reply.router, '192.168.1.1');
    assert.deepEqual(reply.dnsServers, ['192.168.1.1']);
    assert.equal(reply.domainName, 'lan');
    assert.equal(reply.serverIdentifier, '192.168.1.1');
    assert.equal(reply.options['51'], undefined); // §4.3.5: no lease time in an ACK to INFORM
    assert.deepEqual([...server.leases.keys()], [lease.address]);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('a full Kea Dhcp4 configuration, over a Transport factory with interface names', async () => {
  const l = lan('198.18.0.1/24');
  const server = await (
    await createDhcp(virtualTransports(l.serverHost))
  ).serve({
    Dhcp4: {
      'valid-lifetime': 600,
      subnet4: [
        {
          id: 7,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.20 - 198.18.0.29' }],
          'option-data': [{ name: 'routers', data: '198.18.0.1' }],
        },
      ],
    },
    serverAddress: '198.18.0.1',
  });
  const client = await (
    await createDhcp(virtualTransports(l.host('02:00:00:00:00:01')))
  ).client({
    mac: '02:00:00:00:00:01',
  });
  try {
    const lease = await client.bound();
    assert.match(lease.address, /^198\.18\.0\.2\d$/);
    assert.equal(lease.router, '198.18.0.1');
    assert.equal(lease.leaseDuration, 600);
    assert.equal(server.leases.get(lease.address)?.subnetId, 7);
    assert.equal(server.config['valid-lifetime'], 600);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('bad options are refused with ERR_DHCP_OPTIONS naming the option', async () => {
  const l = lan();
  const dhcp = await createDhcp(virtualUdp(l.serverHost));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ netmask: '255.0.255.0' }, /netmask/],
    [{ leaseRange: { start: '10.0.0.1', end: '10.0.0.9' } }, /leaseRange\.start/],
    [{ leaseRange: { start: '192.168.1.9', end: '192.168.1.1' } }, /leaseRange/],
    [{ router: 'gateway' }, /router/],
    [{ dnsServers: ['1.1.1.1', 'x'] }, /dnsServers\[1\]/],
    [{ leaseDuration: 0 }, /leaseDuration/],
    [{ reservations: [{ mac: '02:00:00:00:00:01', ip: '10.9.9.9' }] }, /reservations\[0\]\.ip/],
  ];
  for (const [change, message] of cases) {
    await assert.rejects(
      dhcp.serve({ ...SEED, ...change } as typeof SEED),
      (err: unknown) =>
        err instanceof DhcpLibraryError && err.code === 'ERR_DHCP_OPTIONS' && message.test(err.message),
      JSON.stringify(change),
    );
  }
  // The port was released each time: a good server starts.
  const server = await dhcp.serve(SEED);
  await server.stop();
});

test('createDhcp refuses what is not a transport', async () => {
  await assert.rejects(createDhcp({} as never), { code: 'ERR_DHCP_TRANSPORT' });
  await assert.rejects(createDhcp(null as never), { code: 'ERR_DHCP_TRANSPORT' });
});
