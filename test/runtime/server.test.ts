// startServer over a virtual network and a memory store: the wiring loop of docs/server.md end to end,
// and the ControlTarget the runtime implements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import type { CommitOptions, CommitResult } from '../../src/leases/store.ts';
import type { Lease } from '../../src/leases/lease.ts';
import {
  createMessage,
  decodeMessage,
  encodeMessage,
  MessageType,
  parseMac,
} from '../../src/protocol/index.ts';
import type { DatagramMeta, Transport } from '../../src/transport/types.ts';
import { warmUp } from '../../src/runtime/warm-up.ts';
import { pino } from 'pino';
import { CLIENT_MAC, config, discoverOffer, messageTypeOf, request, virtualLab } from './helpers.ts';

test('a client completes DISCOVER-OFFER-REQUEST-ACK and the lease is in the store', async () => {
  const lab = await virtualLab();
  try {
    const offer = await discoverOffer(lab);
    const address = offer.yiaddr;
    assert.match(address, /^198\.18\.0\.1(0\d|10)$/);
    await lab.send(request(MessageType.REQUEST, { requested: address, serverId: '198.18.0.1' }));
    const ack = await lab.reply();
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK);
    assert.equal(ack!.yiaddr, address);
    const lease = await lab.store.get(address);
    assert.equal(lease?.hwAddress, CLIENT_MAC);
    assert.equal(lease?.validLifetime, 600);
    assert.equal(lab.server.target.statistics.get('pkt4-ack-sent')?.[0]?.value, 1);
    assert.equal(lab.server.target.statistics.get('subnet[1].assigned-addresses')?.[0]?.value, 1);
  } finally {
    await lab.close();
  }
});

test('an undecodable datagram is counted as pkt4-parse-failed and the server keeps answering', async () => {
  const lab = await virtualLab();
  try {
    await lab.sendRaw(new Uint8Array(40));
    await discoverOffer(lab);
    assert.equal(lab.server.target.statistics.get('pkt4-parse-failed')?.[0]?.value, 1);
  } finally {
    await lab.close();
  }
});

/** A store whose claims fail like a full disk. */
class FailingStore extends MemoryLeaseStore {
  override async commit(lease: Lease, options?: CommitOptions): Promise<CommitResult> {
    if ((options?.mode ?? 'claim') === 'claim') throw new Error('disk full');
    return super.commit(lease, options);
  }
}

test('no ACK without a durable commit: a failing store gets the client no answer', async () => {
  const lab = await virtualLab({ store: new FailingStore() });
  try {
    const offer = await discoverOffer(lab);
    await lab.send(request(MessageType.REQUEST, { requested: offer.yiaddr, serverId: '198.18.0.1' }));
    assert.equal(await lab.reply(300), undefined);
    assert.equal(lab.server.target.statistics.get('pkt4-ack-sent')?.[0]?.value ?? 0, 0);
    // the exchange was aborted, not refused: no NAK went out, and none is counted as sent
    assert.equal(lab.server.target.statistics.get('pkt4-nak-sent')?.[0]?.value ?? 0, 0);
    // and the server still works
    await lab.send(request(MessageType.DISCOVER, { xid: 7 }));
    assert.equal(messageTypeOf((await lab.reply())!), MessageType.OFFER);
  } finally {
    await lab.close();
  }
});

test('config-set: a bad configuration is refused naming its path, and the old one keeps serving', async () => {
  const lab = await virtualLab();
  try {
    const target = lab.server.target;
    const before = await target.config.get();
    const bad = {
      Dhcp4: { subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.1.5 - 198.18.1.9' }] }] },
    };
    const refused = await target.config.set(bad);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error, /Dhcp4\.subnet4\[0\]\.pools\[0\]\.pool/);
    assert.deepEqual(await target.config.get(), before);
    await lab.send(request(MessageType.DISCOVER));
    assert.match((await lab.reply())!.yiaddr, /^198\.18\.0\.1(0\d|10)$/);

    const good = {
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.200 - 198.18.0.200' }] }],
      },
    };
    assert.deepEqual(await target.config.set(good), { ok: true });
    assert.equal(
      lab.server.config.subnets[0]?.pools[0]?.start,
      lab.server.engine.currentConfig.subnets[0]?.pools[0]?.start,
    );
    await lab.send(request(MessageType.DISCOVER, { xid: 9 }));
    const offer = await lab.reply();
    assert.ok(offer);
    // The first offer (from the old pool) is still held for this client; a new one must come from the new pool.
    assert.ok(['198.18.0.200', '198.18.0.100', '198.18.0.101'].includes(offer.yiaddr), offer.yiaddr);
    const subnets = lab.server.target.subnets.list();
    assert.deepEqual(subnets, [{ id: 1, totalAddresses: 1, validLifetime: 7200 }]);
  } finally {
    await lab.close();
  }
});

test('reservation-add takes effect at once and shows in config-get; reservation-del removes it', async () => {
  const lab = await virtualLab();
  try {
    const r = lab.server.target.reservations;
    await r.add(1, { 'hw-address': CLIENT_MAC, 'ip-address': '198.18.0.50', hostname: 'box' });
    await assert.rejects(r.add(1, { 'hw-address': CLIENT_MAC, 'ip-address': '198.18.0.51' }), {
      name: 'ControlConflictError',
    });
    const cfg = JSON.stringify(await lab.server.target.config.get());
    assert.match(cfg, /198\.18\.0\.50/);
    await lab.send(request(MessageType.DISCOVER));
    assert.equal((await lab.reply())!.yiaddr, '198.18.0.50');
    assert.deepEqual(await r.get(1, { kind: 'address', address: '198.18.0.50' }), {
      'hw-address': CLIENT_MAC,
      'ip-address': '198.18.0.50',
      hostname: 'box',
    });
    assert.equal((await r.all(undefined)).length, 1);
    assert.equal(await r.del(1, { kind: 'identifier', type: 'hw-address', value: CLIENT_MAC }), true);
    assert.equal((await r.all(1)).length, 0);
    await assert.rejects(r.add(9, { 'hw-address': CLIENT_MAC }), /SUBNET_ID=9/);
  } finally {
    await lab.close();
  }
});

test('dhcp-disable stops answers until dhcp-enable; max-period re-enables by itself', async () => {
  const lab = await virtualLab();
  try {
    const dhcp = lab.server.target.dhcp;
    await dhcp.disable(undefined);
    assert.equal(dhcp.enabled(), false);
    await lab.send(request(MessageType.DISCOVER));
    assert.equal(await lab.reply(300), undefined);
    await dhcp.enable();
    await lab.send(request(MessageType.DISCOVER, { xid: 2 }));
    assert.equal(messageTypeOf((await lab.reply())!), MessageType.OFFER);
    await dhcp.disable(1);
    assert.equal(dhcp.enabled(), false);
    for (let i = 0; i < 40 && !dhcp.enabled(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(dhcp.enabled(), true);
  } finally {
    await lab.close();
  }
});

test('status, version and leases-reclaim through the target; stop() closes the store', async () => {
  const lab = await virtualLab({ config: config({ 'valid-lifetime': 1, 'min-valid-lifetime': 1 }) });
  const target = lab.server.target;
  const status = target.status();
  assert.equal(status.pid, process.pid);
  assert.equal(status.sockets, 'ready');
  assert.match(target.version().version, /^\d+\.\d+\.\d+/);
  await lab.send(request(MessageType.DISCOVER));
  const offer = (await lab.reply())!;
  await lab.send(request(MessageType.REQUEST, { requested: offer.yiaddr, serverId: '198.18.0.1' }));
  assert.equal(messageTypeOf((await lab.reply())!), MessageType.ACK);
  await new Promise((r) => setTimeout(r, 1100));
  await target.reclaim(false);
  assert.equal((await lab.store.get(offer.yiaddr))?.state, 'expired-reclaimed');
  await lab.close();
  await assert.rejects(lab.store.get(offer.yiaddr), { code: 'ERR_LEASE_STORE_CLOSED' });
});

/** The server's transport, with every datagram reported as having waited `delay.ms` in the kernel queue. */
/** `delay.ms` is read as each datagram arrives; `delay.of`, when set, decides per datagram instead. */
function delayed(delay: { ms: number; of?: (data: Buffer) => number }): (t: Transport) => Transport {
  return (t) =>
    new Proxy(t, {
      get(target, prop, receiver) {
        if (prop !== 'on') return Reflect.get(target, prop, receiver) as unknown;
        return (event: string, fn: (...args: unknown[]) => void) => {
          const wrapped =
            event === 'message'
              ? (data: Buffer, meta: DatagramMeta) =>
                  fn(data, { ...meta, receiveDelayMs: delay.of ? delay.of(data) : delay.ms })
              : fn;
          return (target.on as (e: string, f: (...a: never[]) => void) => Transport)(event, wrapped);
        };
      },
    });
}

test('overload: a DISCOVER that waited too long in the receive queue is dropped and counted; a REQUEST never is', async () => {
  const delay = { ms: 0 };
  const lab = await virtualLab({ wrapTransport: delayed(delay), maxDiscoverQueueDelayMs: 500 });
  try {
    const stat = (name: string): number => lab.server.target.statistics.get(name)?.[0]?.value ?? 0;
    delay.ms = 501;
    await lab.send(request(MessageType.DISCOVER, { xid: 1 }));
    assert.equal(await lab.reply(300), undefined, 'a stale DISCOVER gets no OFFER');
    assert.equal(stat('pkt4-receive-drop'), 1);
    assert.equal(stat('pkt4-offer-sent'), 0);
    delay.ms = 499;
    await lab.send(request(MessageType.DISCOVER, { xid: 2 }));
    const offer = await lab.reply();
    assert.equal(offer && messageTypeOf(offer), MessageType.OFFER);
    delay.ms = 3999;
    await lab.send(
      request(MessageType.REQUEST, { xid: 2, requested: offer!.yiaddr, serverId: '198.18.0.1' }),
    );
    const ack = await lab.reply();
    assert.equal(
      ack && messageTypeOf(ack),
      MessageType.ACK,
      'a REQUEST finishes its exchange until its client has surely retransmitted it',
    );
    assert.equal(stat('pkt4-receive-drop'), 1);
    assert.equal(stat('pkt4-received'), 3);
  } finally {
    await lab.close();
  }
});

test('stale-reply suppression: a REQUEST older than the client retransmit window gets no reply; its fresh copy is ACKed', async () => {
  const delay = { ms: 0 };
  const lab = await virtualLab({ wrapTransport: delayed(delay), maxRequestQueueDelayMs: 4000 });
  try {
    const stat = (name: string): number => lab.server.target.statistics.get(name)?.[0]?.value ?? 0;
    await lab.send(request(MessageType.DISCOVER, { xid: 3 }));
    const offer = await lab.reply();
    assert.equal(offer && messageTypeOf(offer), MessageType.OFFER);
    const req = request(MessageType.REQUEST, { xid: 3, requested: offer!.yiaddr, serverId: '198.18.0.1' });
    delay.ms = 4001;
    await lab.send(req);
    assert.equal(await lab.reply(300), undefined, 'the stale copy is not answered');
    assert.equal(stat('pkt4-receive-drop'), 1);
    assert.equal(stat('pkt4-ack-sent'), 0);
    assert.equal((await lab.store.get(offer!.yiaddr))?.state, undefined, 'nothing was committed for it');
    delay.ms = 10;
    await lab.send(req);
    const ack = await lab.reply();
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK, 'the retransmission (same xid) is answered');
    assert.equal(ack!.yiaddr, offer!.yiaddr, 'with the address still held for the client');
  } finally {
    await lab.close();
  }
});

test('overload: a RELEASE is honoured however long it waited (it is never retransmitted)', async () => {
  const delay: { ms: number; of?: (data: Buffer) => number } = { ms: 0 };
  const lab = await virtualLab({ wrapTransport: delayed(delay), maxRequestQueueDelayMs: 4000 });
  try {
    await lab.send(request(MessageType.DISCOVER, { xid: 6 }));
    const offer = await lab.reply();
    await lab.send(
      request(MessageType.REQUEST, { xid: 6, requested: offer!.yiaddr, serverId: '198.18.0.1' }),
    );
    assert.equal(messageTypeOf((await lab.reply())!), MessageType.ACK);
    const release = createMessage({ xid: 7, chaddr: parseMac(CLIENT_MAC), ciaddr: offer!.yiaddr });
    release.options.set('dhcp-message-type', MessageType.RELEASE);
    release.options.set('dhcp-server-identifier', '198.18.0.1');
    // The RELEASE waited a minute; the DISCOVER after it (the marker that the RELEASE was handled, datagrams
    // being handled in order) did not.
    delay.of = (data) => (decodeMessage(data).xid === 7 ? 60_000 : 0);
    await lab.send(release);
    await lab.send(request(MessageType.DISCOVER, { xid: 8 }));
    assert.equal(messageTypeOf((await lab.reply())!), MessageType.OFFER);
    assert.notEqual((await lab.store.get(offer!.yiaddr))?.state, 'default', 'the lease was released');
  } finally {
    await lab.close();
  }
});

test('overload: a DISCOVER is shed before decoding (a malformed one is not even counted as a parse failure)', async () => {
  const lab = await virtualLab({ wrapTransport: delayed({ ms: 600 }), maxDiscoverQueueDelayMs: 500 });
  try {
    const stat = (name: string): number => lab.server.target.statistics.get(name)?.[0]?.value ?? 0;
    const m = request(MessageType.DISCOVER, { xid: 4 });
    const bytes = encodeMessage(m);
    // An hlen over 16: the decoder refuses the packet, the shedder never looks at it.
    const broken = Buffer.from(bytes);
    broken[2] = 17;
    assert.throws(() => decodeMessage(broken));
    await lab.sendRaw(broken);
    await lab.sendRaw(bytes);
    assert.equal(await lab.reply(300), undefined);
    assert.equal(stat('pkt4-receive-drop'), 2);
    assert.equal(stat('pkt4-parse-failed'), 0);
  } finally {
    await lab.close();
  }
});

test('overload: drops are counted by reason in one warn line per 5 s, the rest written when the server stops', async () => {
  const lines: { msg: string; shed: number; stale: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const clock = { now: 1_000_000 };
  const delay = { ms: 600 };
  const lab = await virtualLab({
    wrapTransport: delayed(delay),
    maxDiscoverQueueDelayMs: 500,
    logger,
    clock: () => clock.now,
  });
  const stat = (name: string): number => lab.server.target.statistics.get(name)?.[0]?.value ?? 0;
  const shedOne = async (type: number, xid: number): Promise<void> => {
    await lab.send(request(type, { xid }));
    assert.equal(await lab.reply(200), undefined);
  };
  const overload = () => lines.filter((l) => l.msg.startsWith('overloaded:'));
  try {
    await shedOne(MessageType.DISCOVER, 11);
    assert.equal(overload().length, 1, 'the first drop is reported at once');
    assert.match(overload()[0]!.msg, /dropped unanswered 1 DISCOVERs that waited more than 500 ms/);
    await shedOne(MessageType.DISCOVER, 12);
    delay.ms = 5000;
    await shedOne(MessageType.REQUEST, 13);
    delay.ms = 600;
    clock.now += 4999;
    await shedOne(MessageType.DISCOVER, 14);
    assert.equal(overload().length, 1, 'within the interval: counted, not written');
    clock.now += 1;
    await shedOne(MessageType.DISCOVER, 15);
    assert.equal(overload().length, 2);
    assert.deepEqual(
      [overload()[1]!.shed, overload()[1]!.stale],
      [3, 1],
      'the line sums the drops since the last one, by reason',
    );
    assert.match(
      overload()[1]!.msg,
      /3 DISCOVERs that waited more than 500 ms.*1 requests that waited more than 4000 ms/,
    );
    await shedOne(MessageType.DISCOVER, 16);
    assert.equal(stat('pkt4-receive-drop'), 6, 'every drop is in pkt4-receive-drop');
  } finally {
    await lab.close();
  }
  assert.equal(overload().length, 3, 'what the interval still held is written at the stop');
  assert.equal(overload()[2]!.shed, 1);
});

test('overload: maxRequestQueueDelayMs 0 never drops a REQUEST', async () => {
  const delay = { ms: 0 };
  const lab = await virtualLab({ wrapTransport: delayed(delay), maxRequestQueueDelayMs: 0 });
  try {
    await lab.send(request(MessageType.DISCOVER, { xid: 5 }));
    const offer = await lab.reply();
    delay.ms = 60_000;
    await lab.send(
      request(MessageType.REQUEST, { xid: 5, requested: offer!.yiaddr, serverId: '198.18.0.1' }),
    );
    const ack = await lab.reply();
    assert.equal(ack && messageTypeOf(ack), MessageType.ACK);
  } finally {
    await lab.close();
  }
});

test('overload: maxDiscoverQueueDelayMs 0 never drops', async () => {
  const lab = await virtualLab({
    wrapTransport: delayed({ ms: 60_000 }),
    maxDiscoverQueueDelayMs: 0,
    maxRequestQueueDelayMs: 0,
  });
  try {
    await discoverOffer(lab);
  } finally {
    await lab.close();
  }
});

test('warm-up completes its synthetic exchanges and leaves the served engine, store and statistics untouched', async () => {
  assert.equal(
    await warmUp(200, 60_000),
    200,
    'every synthetic DISCOVER got an OFFER and every REQUEST an ACK',
  );
  const lab = await virtualLab({ warmUp: true });
  try {
    assert.equal(lab.server.target.statistics.get('pkt4-received')?.[0]?.value ?? 0, 0);
    assert.equal(lab.server.engine.leases().length, 0);
    assert.deepEqual(await lab.store.getAll(), []);
    const offer = await discoverOffer(lab);
    assert.match(offer.yiaddr, /^198\.18\.0\.1(0\d|10)$/, 'the served pool, not the warm-up one');
  } finally {
    await lab.close();
  }
});
