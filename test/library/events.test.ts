// Lease events through the public API: our client against our server on the virtual network; each event
// once, in the order the exchanges happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { DhcpClient, DhcpServer, OfferEvent } from '../../src/index.ts';
import type { EngineOutput } from '../../src/server/index.ts';
import { SEED, lan, next, record } from './helpers.ts';

const MAC = '02:00:00:00:00:01';

test('DORA, renew and release: offered, bound, renewed, released, once each and in order', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  const log = record(server);
  const client = await l.client(MAC);
  const states: string[] = [];
  client.on('state', (s) => states.push(`${s.from}>${s.to}`));
  try {
    const lease = await client.bound();
    const ip = lease.address;
    // Listeners attached right after client() resolved see the client from its first step.
    assert.deepEqual(states.slice(0, 3), ['STOPPED>INIT', 'INIT>SELECTING', 'SELECTING>REQUESTING']);
    assert.equal(client.state, 'BOUND');
    assert.equal(server.leases.get(ip)?.mac, MAC);
    assert.equal(server.leases.get(ip)?.state, 'bound');
    const renewed = await client.renew();
    assert.equal(renewed.address, ip);
    assert.ok(renewed.expiresAt !== null && lease.expiresAt !== null && renewed.expiresAt >= lease.expiresAt);
    const released = next(server, 'released');
    await client.release();
    await released;
    assert.equal(server.leases.has(ip), false);
    assert.deepEqual(log, [
      `offered ${ip} ${MAC}`,
      `bound ${ip} ${MAC}`,
      `renewed ${ip} ${MAC}`,
      `released ${ip} ${MAC}`,
    ]);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('DECLINE: the server marks the address declined and the client binds another one', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  const log = record(server);
  let first: string | undefined;
  const client = await l.client(MAC, {
    // The first address offered is "in use" (as an ARP probe would find): the client must DECLINE it.
    checkAddress: (address) => {
      first ??= address;
      return address === first;
    },
  });
  const declinedEvents: string[] = [];
  client.on('declined', (d) => declinedEvents.push(d.address));
  try {
    const declined = await next(server, 'declined');
    assert.equal(declined.ip, first);
    assert.equal(declined.mac, MAC);
    assert.equal(server.leases.get(first!)?.state, 'declined');
    const lease = await client.bound(30_000);
    assert.notEqual(lease.address, first);
    assert.deepEqual(declinedEvents, [first]);
    assert.deepEqual(log, [
      `offered ${first} ${MAC}`,
      `bound ${first} ${MAC}`,
      `declined ${first} ${MAC}`,
      `offered ${lease.address} ${MAC}`,
      `bound ${lease.address} ${MAC}`,
    ]);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('a lease not renewed expires: offered, bound, expired; the map forgets it', async () => {
  const l = lan();
  const server = await l.serve({ ...SEED, leaseDuration: 2 });
  const log = record(server);
  const client = await l.client(MAC);
  const lease = await client.bound();
  await client.stop(); // gone without a word, as a powered-off VM
  const expired = await next(server, 'expired');
  try {
    assert.equal(expired.ip, lease.address);
    assert.equal(server.leases.has(lease.address), false);
    assert.deepEqual(log, [
      `offered ${lease.address} ${MAC}`,
      `bound ${lease.address} ${MAC}`,
      `expired ${lease.address} ${MAC}`,
    ]);
  } finally {
    await server.stop();
  }
});

test('off() removes a listener; once() fires once', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  let on = 0;
  let once = 0;
  const listener = (): void => void on++;
  server
    .on('bound', listener)
    .off('bound', listener)
    .once('offered', () => void once++);
  const a = await l.client(MAC);
  const b = await l.client('02:00:00:00:00:02');
  try {
    await a.bound();
    await b.bound();
    assert.equal(on, 0);
    assert.equal(once, 1);
    assert.equal(server.leases.size, 2);
  } finally {
    await a.stop();
    await b.stop();
    await server.stop();
  }
});

test('an operator deleting a live lease through the store is a release; the map follows', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  const client = await l.client(MAC);
  try {
    const lease = await client.bound();
    const released = next(server, 'released');
    await server.store.remove(lease.address);
    assert.equal((await released).ip, lease.address);
    assert.equal(server.leases.size, 0);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('a logger given to serve() gets the readable exchange lines', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const l = lan();
  const server = await l.serve({ ...SEED, logger });
  const client = await l.client(MAC);
  try {
    const lease = await client.bound();
    const text = lines.map((x) => (JSON.parse(x) as { msg: string }).msg).join('\n');
    assert.match(
      text,
      new RegExp(`DHCPDISCOVER from ${MAC} .*via udp -> DHCPOFFER ${lease.address.replace(/\./g, '\\.')}`),
    );
    assert.match(text, /DHCPREQUEST for .* -> DHCPACK/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

/**
 * Counts the exchange events the server's engine builds, at the seams the runtime calls: each request, and
 * each commit's outcome (an ACK's event comes with its commit).
 */
function countBuiltEvents(server: DhcpServer): { readonly built: number } {
  const engine = server.runtime.engine;
  const counter = { built: 0 };
  for (const name of ['handle', 'commitSucceeded', 'commitAborted', 'commitFailed'] as const) {
    const call = engine[name].bind(engine) as (...args: unknown[]) => EngineOutput;
    Object.assign(engine, {
      [name]: (...args: unknown[]): EngineOutput => {
        const out = call(...args);
        counter.built += out.events.length;
        return out;
      },
    });
  }
  return counter;
}

test('exchange events are built only while an offered listener is attached', async () => {
  const l = lan();
  const server = await l.serve(SEED);
  const events = countBuiltEvents(server);
  const clients: DhcpClient[] = [];
  let n = 0;
  const dora = async (): Promise<void> => {
    const client = await l.client(`02:00:00:00:00:0${++n}`);
    clients.push(client);
    await client.bound();
  };
  const offered: string[] = [];
  const listener = (o: OfferEvent): void => void offered.push(o.mac);
  try {
    await dora();
    assert.equal(events.built, 0, 'no listener: no exchange event is built');
    server.on('offered', listener);
    await dora();
    assert.ok(events.built >= 2, 'a listener attached later gets events built: the OFFER and the ACK');
    assert.deepEqual(offered, ['02:00:00:00:00:02']);
    server.off('offered', listener);
    let built = events.built;
    await dora();
    assert.equal(events.built, built, 'the last listener removed: none built again');
    server.once('offered', listener);
    await dora();
    await dora();
    assert.deepEqual(offered, ['02:00:00:00:00:02', '02:00:00:00:00:04']);
    built = events.built;
    await dora();
    assert.equal(events.built, built, 'a once listener that has fired stops them too');
    assert.equal(server.leases.size, 6);
  } finally {
    for (const client of clients) await client.stop();
    await server.stop();
  }
});
