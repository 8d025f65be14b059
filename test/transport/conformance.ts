/**
 * The one conformance suite every Transport implementation runs. A factory builds two endpoints that can
 * reach each other by unicast IP (`a` and `b`), plus what the suite needs to address them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatagramMeta, Transport } from '../../src/transport/types.ts';
import { TransportError } from '../../src/transport/errors.ts';

export interface Endpoint {
  transport: Transport;
  ip: string;
  /** Set when the transport is interface-aware: the interface the peer's datagrams arrive on. */
  ifname?: string;
  mac?: string;
}

export interface Pair {
  a: Endpoint;
  b: Endpoint;
  /** Lets delivery happen: a no-op for real sockets, `clock.runUntilIdle()` for virtual time. */
  settle?: () => void;
  /** Closes whatever the factory opened besides the two transports (namespaces, networks). */
  dispose(): Promise<void>;
}

export type PairFactory = () => Promise<Pair>;

export interface Received {
  data: Buffer;
  meta: DatagramMeta;
}

/** Waits for `n` messages on `t`, bounded by `timeoutMs` (a bound, not a timing assertion). */
export function collect(t: Transport, n: number, timeoutMs = 5000): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const got: Received[] = [];
    const onMessage = (data: Buffer, meta: DatagramMeta): void => {
      got.push({ data, meta });
      if (got.length >= n) finish();
    };
    const timer = setTimeout(() => {
      t.off('message', onMessage);
      reject(new Error(`timed out with ${got.length}/${n} messages`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      t.off('message', onMessage);
      resolve(got);
    };
    t.on('message', onMessage);
  });
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TransportError, `expected TransportError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

export function transportConformance(name: string, factory: PairFactory): void {
  const withPair = async (fn: (p: Pair) => Promise<void>): Promise<void> => {
    const p = await factory();
    try {
      await fn(p);
    } finally {
      await p.a.transport.close();
      await p.b.transport.close();
      await p.dispose();
    }
  };

  test(`${name}: unicast by IP arrives intact with its source address and port`, () =>
    withPair(async ({ a, b, settle }) => {
      const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 255));
      const got = collect(b.transport, 1);
      await a.transport.send({ data: payload, ip: b.ip, port: b.transport.port });
      settle?.();
      const [m] = await got;
      assert.deepEqual(m!.data, payload);
      assert.equal(m!.meta.sourceIp, a.ip);
      assert.equal(m!.meta.sourcePort, a.transport.port);
      assert.equal(m!.meta.destinationPort, b.transport.port);
      if (m!.meta.destinationIp !== undefined) assert.equal(m!.meta.destinationIp, b.ip);
      if (b.transport.capabilities.interfaceAware) {
        assert.equal(m!.meta.interface?.name, b.ifname);
        assert.ok((m!.meta.interface?.index ?? 0) > 0);
      } else {
        assert.equal(m!.meta.interface, undefined);
      }
      if (m!.meta.sourceMac !== undefined && a.mac) assert.equal(m!.meta.sourceMac, a.mac);
    }));

  test(`${name}: both directions, many datagrams, each delivered once`, () =>
    withPair(async ({ a, b, settle }) => {
      const n = 50;
      const atB = collect(b.transport, n);
      const atA = collect(a.transport, n);
      for (let i = 0; i < n; i++) {
        await a.transport.send({ data: Buffer.from(`a${i}`), ip: b.ip, port: b.transport.port });
        await b.transport.send({ data: Buffer.from(`b${i}`), ip: a.ip, port: a.transport.port });
      }
      settle?.();
      const fromA = (await atB).map((m) => m.data.toString()).sort();
      const fromB = (await atA).map((m) => m.data.toString()).sort();
      assert.deepEqual(fromA, Array.from({ length: n }, (_, i) => `a${i}`).sort());
      assert.deepEqual(fromB, Array.from({ length: n }, (_, i) => `b${i}`).sort());
    }));

  test(`${name}: an empty datagram and a 1472-byte one are delivered; 1473 is refused`, () =>
    withPair(async ({ a, b, settle }) => {
      const got = collect(b.transport, 2);
      await a.transport.send({ data: Buffer.alloc(0), ip: b.ip, port: b.transport.port });
      await a.transport.send({ data: Buffer.alloc(1472, 0xab), ip: b.ip, port: b.transport.port });
      settle?.();
      const sizes = (await got).map((m) => m.data.length).sort((x, y) => x - y);
      assert.deepEqual(sizes, [0, 1472]);
      await rejectsWithCode(
        a.transport.send({ data: Buffer.alloc(1473), ip: b.ip, port: b.transport.port }),
        'ERR_TRANSPORT_TOO_BIG',
      );
    }));

  test(`${name}: bad addresses reject with ERR_TRANSPORT_BAD_ADDRESS, never throw`, () =>
    withPair(async ({ a }) => {
      await rejectsWithCode(
        a.transport.send({ data: Buffer.from('x'), ip: '300.1.1.1', port: 67 }),
        'ERR_TRANSPORT_BAD_ADDRESS',
      );
      await rejectsWithCode(
        a.transport.send({ data: Buffer.from('x'), ip: '198.18.0.1', port: 70000 }),
        'ERR_TRANSPORT_BAD_ADDRESS',
      );
      if (a.transport.capabilities.linkLayerUnicast) {
        await rejectsWithCode(
          a.transport.send({ data: Buffer.from('x'), ip: '198.18.0.1', port: 67, mac: 'zz:00:00:00:00:00' }),
          'ERR_TRANSPORT_BAD_ADDRESS',
        );
      } else {
        await rejectsWithCode(
          a.transport.send({ data: Buffer.from('x'), ip: '198.18.0.1', port: 67, mac: '02:00:00:00:00:01' }),
          'ERR_TRANSPORT_UNSUPPORTED',
        );
      }
    }));

  test(`${name}: close is idempotent, emits close once, and later sends reject with ERR_TRANSPORT_CLOSED`, () =>
    withPair(async ({ a, b }) => {
      let closes = 0;
      a.transport.on('close', () => closes++);
      await a.transport.close();
      await a.transport.close();
      assert.equal(closes, 1);
      await rejectsWithCode(
        a.transport.send({ data: Buffer.from('late'), ip: b.ip, port: b.transport.port }),
        'ERR_TRANSPORT_CLOSED',
      );
    }));

  test(`${name}: a closed transport emits no further messages`, () =>
    withPair(async ({ a, b, settle }) => {
      let after = 0;
      b.transport.on('message', () => after++);
      await b.transport.close();
      await a.transport.send({ data: Buffer.from('to the void'), ip: b.ip, port: b.transport.port });
      settle?.();
      // A bounded window for a stray delivery to show up; the assertion is on the count, not on time.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(after, 0);
    }));

  test(`${name}: ARP probe (where offered) finds the peer's address in use and a spare one free`, () =>
    withPair(async ({ a, b, settle }) => {
      const probe = a.transport.arpProbe?.bind(a.transport);
      if (!probe) {
        assert.equal(a.transport.capabilities.linkLayerUnicast, false, 'a link-layer transport offers ARP');
        return;
      }
      assert.ok(a.ifname, 'the factory names the interface');
      const used = probe(a.ifname, b.ip, 500);
      settle?.();
      const r = await used;
      assert.equal(r.inUse, true);
      if (b.mac) assert.equal(r.mac, b.mac);
      const spare = probe(a.ifname, '198.18.0.200', 200);
      settle?.();
      assert.deepEqual(await spare, { inUse: false });
    }));

  test(`${name}: capabilities are declared and consistent with interfaces()`, () =>
    withPair(async ({ a }) => {
      const c = a.transport.capabilities;
      for (const k of ['linkLayerUnicast', 'interfaceAware', 'broadcastWithoutRoute'] as const) {
        assert.equal(typeof c[k], 'boolean');
      }
      if (c.interfaceAware) assert.ok(a.transport.interfaces().length > 0);
      else assert.deepEqual(a.transport.interfaces(), []);
    }));
}
