/**
 * Batching in the linux transport: frames read in one wake-up arrive in one native callback, and sends
 * issued in one turn leave in sendmmsg calls of at most SEND_BATCH_MAX. Two namespaces joined by a veth, 198.18.0.0/24 only.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import {
  LinuxTransport,
  SEND_BATCH_MAX,
  type LinuxTransportOptions,
} from '../../src/transport/linux/transport.ts';
import { FRAME_META_WORDS, requireNative, type NativeAddon } from '../../src/transport/linux/native.ts';
import { ETH_P_IP, udpDstPortFilter } from '../../src/transport/linux/bpf.ts';
import { parseUdpFrame } from '../../src/transport/frame.ts';
import type { TransportError } from '../../src/transport/errors.ts';
import {
  clientBroadcastFrame,
  record,
  until,
  withTransportPair,
  type TransportPair,
} from './linux-helpers.ts';

const { test } = requiring('root', 'ip');

/** Server 198.18.0.1 on srv0 (port 67), client 198.18.0.2 on cli0 (port 68). */
function withPair(
  fn: (p: TransportPair) => Promise<void>,
  serverOptions: Partial<LinuxTransportOptions> = {},
): Promise<void> {
  return withTransportPair('trb', fn, { clientAddress: '198.18.0.2/24', server: serverOptions });
}

/** Wraps the addon's sendBatch for one test; `results` has each call's return value. */
function spySendBatch(
  wrap?: (orig: NativeAddon['sendBatch'], call: number) => NativeAddon['sendBatch'] | undefined,
): { results: number[]; restore: () => void } {
  const native = requireNative();
  const orig = native.sendBatch;
  const results: number[] = [];
  native.sendBatch = (fd, buffers, dst, start, end) => {
    const f = wrap?.(orig, results.length) ?? orig;
    const r = f(fd, buffers, dst, start, end);
    results.push(r);
    return r;
  };
  return { results, restore: () => (native.sendBatch = orig) };
}

/** Sends one unicast and waits for it: the kernel has then resolved the peer's MAC. */
async function warmUp(from: LinuxTransport, to: LinuxTransport, ip: string, port: number): Promise<void> {
  let seen = false;
  const l = (): void => void (seen = true);
  to.on('message', l);
  await from.send({ data: Buffer.from('warm-up'), ip, port });
  await until(() => seen, 5000, 'the warm-up unicast');
  to.off('message', l);
}

test('a burst of 200 broadcasts sent in one turn leaves in sendmmsg calls of 8 and arrives in order with its metadata', () =>
  withPair(async ({ c, server, client }) => {
    const r = record(server);
    const spy = spySendBatch();
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          client.send({ data: Buffer.from(`m${i}`), ip: '255.255.255.255', port: 67 }),
        ),
      );
    } finally {
      spy.restore();
    }
    // Written as they are made, SEND_BATCH_MAX at a time: 25 sendmmsg calls of 8.
    assert.deepEqual(spy.results, Array<number>(200 / SEND_BATCH_MAX).fill(SEND_BATCH_MAX));
    await until(() => r.messages.length >= 200, 5000, '200 messages');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.messages.length, 200);
    const mac = await c.mac('cli0');
    r.messages.forEach((m, i) => {
      // Checked after the whole burst: a later batch must not have overwritten an earlier payload.
      assert.equal(m.data.toString(), `m${i}`);
      const { receiveDelayMs, ...meta } = m.meta;
      assert.ok(
        receiveDelayMs !== undefined && receiveDelayMs >= 0 && receiveDelayMs < 5000,
        `${receiveDelayMs}`,
      );
      assert.deepEqual(
        { ...meta, interface: meta.interface?.name },
        {
          interface: 'srv0',
          sourceIp: '198.18.0.2',
          sourcePort: 68,
          destinationIp: '255.255.255.255',
          destinationPort: 67,
          sourceMac: mac,
          linkBroadcast: true,
        },
      );
    });
    assert.deepEqual(r.errors, []);
  }));

test('the addon delivers a wake-up of queued frames in one callback: at most 64, back to back, in order', () =>
  withPair(async ({ s, c }) => {
    const native = requireNative();
    const batches: { frames: Buffer; meta: Uint32Array }[] = [];
    const rx = new native.PacketSocket(
      // Room for all 150 queued frames (the default buffer holds about 200 small ones).
      { ifname: 'srv0', protocol: ETH_P_IP, filter: udpDstPortFilter(6767), netns: s.name, rcvbuf: 4 << 20 },
      (err, frames, meta) => {
        assert.equal(err, null);
        if (frames && meta) batches.push({ frames, meta });
      },
    );
    const tx = new native.PacketSocket(
      { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
      () => {},
    );
    try {
      // Written synchronously: all 150 are queued on rx before the loop first polls it.
      for (let i = 0; i < 150; i++) {
        tx.send(clientBroadcastFrame('02:00:00:00:0b:01', 6767, `frame ${i}`.padEnd(20 + i, '.')));
      }
      const count = (): number => batches.reduce((n, b) => n + b.meta.length / FRAME_META_WORDS, 0);
      await until(() => count() >= 150, 5000, '150 frames');
      const sizes = batches.map((b) => b.meta.length / FRAME_META_WORDS);
      assert.ok(Math.max(...sizes) <= 64, `batches ${sizes.join(',')}`);
      assert.equal(sizes[0], 64, `batches ${sizes.join(',')}`);
      const payloads: string[] = [];
      for (const { frames, meta } of batches) {
        let off = 0;
        for (let i = 0; i < meta.length; i += FRAME_META_WORDS) {
          assert.equal(meta[i], off);
          off += meta[i + 1]!;
          const f = parseUdpFrame(frames.subarray(meta[i]!, off));
          assert.ok(f.ok);
          payloads.push(f.payload.toString());
        }
        assert.equal(off, frames.length);
      }
      assert.deepEqual(
        payloads,
        Array.from({ length: 150 }, (_, i) => `frame ${i}`.padEnd(20 + i, '.')),
      );
    } finally {
      rx.close();
      tx.close();
    }
  }));

test('200 unicasts issued in one turn leave in sendmmsg calls of 8 and all arrive, in order', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    const spy = spySendBatch();
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          server.send({ data: Buffer.from(`u${i}`), ip: '198.18.0.2', port: 68 }),
        ),
      );
    } finally {
      spy.restore();
    }
    assert.deepEqual(spy.results, Array<number>(200 / SEND_BATCH_MAX).fill(SEND_BATCH_MAX));
    await until(() => r.messages.length >= 200, 5000, '200 unicasts');
    assert.deepEqual(
      r.messages.map((m) => m.data.toString()),
      Array.from({ length: 200 }, (_, i) => `u${i}`),
    );
    assert.equal(r.messages[0]!.meta.sourceIp, '198.18.0.1');
    assert.equal(r.messages[0]!.meta.sourcePort, 67);
  }));

test('a unicast the kernel refuses rejects alone with ERR_TRANSPORT_SEND_FAILED; the rest of its batch is sent', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    // Port 0 passes the transport's checks; udp_sendmsg refuses it with EINVAL.
    const ports = [68, 68, 68, 0, 68, 68];
    const settled = await Promise.allSettled(
      ports.map((port, i) => server.send({ data: Buffer.from(`e${i}`), ip: '198.18.0.2', port })),
    );
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const err = (settled[3] as PromiseRejectedResult).reason as TransportError;
    assert.equal(err.code, 'ERR_TRANSPORT_SEND_FAILED');
    assert.equal(err.syscallCode, 'EINVAL');
    assert.equal(err.interface, 'srv0');
    await until(() => r.messages.length >= 5, 5000, 'the five good unicasts');
    assert.deepEqual(
      r.messages.map((m) => m.data.toString()),
      ['e0', 'e1', 'e2', 'e4', 'e5'],
    );
  }));

test('posted datagrams, mixed with promised sends, each leave once in order; only a refused one reports, with its own context', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    const failures: { code: string; syscallCode: string | undefined; context: number }[] = [];
    const failed = (e: TransportError, context: number): void =>
      void failures.push({ code: e.code, syscallCode: e.syscallCode, context });
    // Port 0 passes the transport's checks; udp_sendmsg refuses it with EINVAL. 20 datagrams: three
    // sendmmsg calls, the refused one in the middle of the second.
    const ports = Array.from({ length: 20 }, (_, i) => (i === 11 ? 0 : 68));
    const promised: Promise<void>[] = [];
    ports.forEach((port, i) => {
      const d = { data: Buffer.from(`p${i}`), ip: '198.18.0.2', port };
      if (i % 3 === 0) promised.push(server.send(d));
      else server.post(d, i, failed);
    });
    // Invalid before it is queued: reported with its context, not thrown.
    server.post({ data: Buffer.from('bad'), ip: 'not an address', port: 68 }, 99, failed);
    await Promise.all(promised);
    // The second batch left when its 8th datagram was queued, before the bad one was posted.
    assert.deepEqual(failures, [
      { code: 'ERR_TRANSPORT_SEND_FAILED', syscallCode: 'EINVAL', context: 11 },
      { code: 'ERR_TRANSPORT_BAD_ADDRESS', syscallCode: undefined, context: 99 },
    ]);
    await until(() => r.messages.length >= 19, 5000, 'the 19 good datagrams');
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(
      r.messages.map((m) => m.data.toString()),
      ports.flatMap((port, i) => (port === 0 ? [] : [`p${i}`])),
    );
  }));

test('posted datagrams that meet EAGAIN go through node:dgram, arrive once each, and report nothing', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    const failures: unknown[] = [];
    const spy = spySendBatch((orig, call) =>
      call === 0 ? (fd, b, d, start) => orig(fd, b, d, start, start + 2) : () => -constants.errno.EAGAIN,
    );
    try {
      for (let i = 0; i < 6; i++)
        server.post({ data: Buffer.from(`g${i}`), ip: '198.18.0.2', port: 68 }, i, (e) => failures.push(e));
      await new Promise((res) => setImmediate(res));
    } finally {
      spy.restore();
    }
    assert.deepEqual(spy.results, [2, -constants.errno.EAGAIN]);
    await until(() => r.messages.length >= 6, 5000, 'all six');
    await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(
      r.messages.map((m) => m.data.toString()).sort(),
      Array.from({ length: 6 }, (_, i) => `g${i}`),
    );
    assert.deepEqual(failures, []);
  }));

test('when sendmmsg meets EAGAIN the rest of the batch goes through node:dgram and nothing is lost', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    // First call: only two datagrams accepted; second call: EAGAIN.
    const spy = spySendBatch((orig, call) =>
      call === 0
        ? (fd, b, d, start) => orig(fd, b, d, start, start + 2)
        : call === 1
          ? () => -constants.errno.EAGAIN
          : undefined,
    );
    try {
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          server.send({ data: Buffer.from(`f${i}`), ip: '198.18.0.2', port: 68 }),
        ),
      );
    } finally {
      spy.restore();
    }
    assert.deepEqual(spy.results, [2, -constants.errno.EAGAIN]);
    await until(() => r.messages.length >= 6, 5000, 'all six unicasts');
    assert.deepEqual(
      r.messages.map((m) => m.data.toString()).sort(),
      Array.from({ length: 6 }, (_, i) => `f${i}`).sort(),
    );
  }));

/** Every sendmmsg meets a full socket buffer: whatever is sent goes through node:dgram's queue. */
async function sendWithFullSocketBuffer(
  server: LinuxTransport,
  payloads: readonly Buffer[],
): Promise<PromiseSettledResult<void>[]> {
  const spy = spySendBatch(() => () => -constants.errno.EAGAIN);
  try {
    // Issued in one turn: no dgram completion runs in between, so what is waiting is known exactly.
    return await Promise.allSettled(
      payloads.map((data) => server.send({ data, ip: '198.18.0.2', port: 68 })),
    );
  } finally {
    spy.restore();
  }
}

test('the dgram fallback queue is bounded in datagrams: beyond it sends reject with ENOBUFS and one counted error is emitted', () =>
  withPair(
    async ({ server, client }) => {
      await warmUp(server, client, '198.18.0.2', 68);
      const r = record(client);
      const errors = record(server).errors;
      const settled = await sendWithFullSocketBuffer(
        server,
        Array.from({ length: 30 }, (_, i) => Buffer.from(`q${i}`)),
      );
      assert.deepEqual(
        settled.map((s) => s.status),
        [...Array<string>(10).fill('fulfilled'), ...Array<string>(20).fill('rejected')],
      );
      const err = (settled[10] as PromiseRejectedResult).reason as TransportError;
      assert.equal(err.code, 'ERR_TRANSPORT_SEND_FAILED');
      assert.equal(err.syscallCode, 'ENOBUFS');
      assert.equal(err.interface, 'srv0');
      await until(() => r.messages.length >= 10, 5000, 'the ten queued unicasts');
      assert.deepEqual(
        r.messages.map((m) => m.data.toString()).sort(),
        Array.from({ length: 10 }, (_, i) => `q${i}`).sort(),
      );
      // The first drop is reported at once; the other 19 are counted for the end of the interval, not one line each.
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!.message,
        /^1 datagram\(s\) dropped: the send queue of srv0 is full \(10 datagrams/,
      );
      // Once dgram has drained, the queue takes datagrams again.
      const again = await sendWithFullSocketBuffer(server, [Buffer.from('after')]);
      assert.equal(again[0]!.status, 'fulfilled');
      await server.close();
      assert.equal(errors.length, 2);
      assert.match(errors[1]!.message, /^19 datagram\(s\) dropped: the send queue of srv0 is full/);
    },
    { sendQueue: { maxDatagrams: 10 }, logIntervalMs: 60_000 },
  ));

test('the dgram fallback queue is bounded in bytes', () =>
  withPair(
    async ({ server, client }) => {
      await warmUp(server, client, '198.18.0.2', 68);
      const settled = await sendWithFullSocketBuffer(
        server,
        Array.from({ length: 5 }, () => Buffer.alloc(400)),
      );
      // 1000 bytes hold two datagrams of 400; a third would make 1200.
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected'],
      );
    },
    { sendQueue: { maxBytes: 1000 } },
  ));

test('sends issued just before close() still go out, and their promises resolve', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const r = record(client);
    const unicast = server.send({ data: Buffer.from('last unicast'), ip: '198.18.0.2', port: 68 });
    const broadcast = server.send({ data: Buffer.from('last broadcast'), ip: '255.255.255.255', port: 68 });
    const closing = server.close();
    await Promise.all([unicast, broadcast, closing]);
    await until(() => r.messages.length >= 2, 5000, 'both datagrams');
    assert.deepEqual(r.messages.map((m) => m.data.toString()).sort(), ['last broadcast', 'last unicast']);
    await assert.rejects(server.send({ data: Buffer.from('late'), ip: '198.18.0.2', port: 68 }), {
      code: 'ERR_TRANSPORT_CLOSED',
    });
  }));

test('closing the transport from inside a message listener in the middle of a batch is safe', () =>
  withPair(async ({ server, client }) => {
    let seen = 0;
    let closed = false;
    server.on('close', () => (closed = true));
    server.on('message', () => {
      seen++;
      void server.close();
    });
    // Sent in one turn (this process is the server too): it reads them in one wake-up, so the close lands mid-batch.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.send({ data: Buffer.from(`b${i}`), ip: '255.255.255.255', port: 67 }),
      ),
    );
    await until(() => closed, 5000, 'the close');
    await client.send({ data: Buffer.from('after'), ip: '255.255.255.255', port: 67 });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(seen, 1);
  }));

test('a packet socket closed from inside its own callback gets no further batch', () =>
  withPair(async ({ s, client }) => {
    const native = requireNative();
    let calls = 0;
    const rx = new native.PacketSocket(
      { ifname: 'srv0', protocol: ETH_P_IP, filter: udpDstPortFilter(67), netns: s.name },
      () => {
        calls++;
        rx.close();
        rx.close();
        // The microtasks of this callback run while the addon is still inside it.
        queueMicrotask(() => rx.close());
      },
    );
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          client.send({ data: Buffer.from(`c${i}`), ip: '255.255.255.255', port: 67 }),
        ),
      );
      await until(() => calls > 0, 5000, 'the first batch');
      await client.send({ data: Buffer.from('after'), ip: '255.255.255.255', port: 67 });
      await new Promise((res) => setTimeout(res, 100));
      assert.equal(calls, 1);
      assert.equal(rx.fd, -1);
    } finally {
      rx.close();
    }
  }));

test('a flush that throws rejects its sends instead of throwing from process.nextTick', () =>
  withPair(async ({ server, client }) => {
    await warmUp(server, client, '198.18.0.2', 68);
    const spy = spySendBatch(() => () => {
      throw new TypeError('boom');
    });
    let settled: PromiseSettledResult<void>[];
    try {
      settled = await Promise.allSettled([
        server.send({ data: Buffer.from('t0'), ip: '198.18.0.2', port: 68 }),
        server.send({ data: Buffer.from('t1'), ip: '198.18.0.2', port: 68 }),
      ]);
    } finally {
      spy.restore();
    }
    for (const s of settled) {
      assert.equal(s.status, 'rejected');
      assert.equal((s.reason as TransportError).code, 'ERR_TRANSPORT_SEND_FAILED');
    }
    // Data that is not bytes is refused up front, as node:dgram refused it.
    await assert.rejects(server.send({ data: 'text' as unknown as Uint8Array, ip: '198.18.0.2', port: 68 }), {
      code: 'ERR_TRANSPORT_SEND_FAILED',
    });
    // The queue is usable afterwards.
    const r = record(client);
    await server.send({ data: Buffer.from('after'), ip: '198.18.0.2', port: 68 });
    await until(() => r.messages.length > 0, 5000, 'a send after the failed flush');
  }));

test('receiveDelayMs is the time a frame waited in the kernel queue, from its receive timestamp', () =>
  withPair(async ({ server, client }) => {
    // Only what causality guarantees is asserted (the kernel stamps a frame after it is sent and before it is
    // read), so a loaded machine cannot fail it; how long a frame waited under load is measured in
    // bench/receive-delay.ts.
    const r = record(server);
    const sent: number[] = [];
    const seen: number[] = [];
    server.on('message', () => seen.push(performance.now()));
    sent.push(performance.now());
    await client.send({ data: Buffer.from('fresh'), ip: '255.255.255.255', port: 67 });
    await until(() => r.messages.length === 1, 5000, 'the first frame');
    // Queued while this thread is busy: the frame arrives now and is read only after the busy wait.
    sent.push(performance.now());
    await client.send({ data: Buffer.from('stale'), ip: '255.255.255.255', port: 67 });
    const busyUntil = performance.now() + 300;
    while (performance.now() < busyUntil) {
      // hold the event loop, as an overloaded server would
    }
    await until(() => r.messages.length === 2, 5000, 'the second frame');
    r.messages.forEach((m, i) => {
      const waited = m.meta.receiveDelayMs;
      // The kernel's timestamp and performance.now() tick differently: 1 ms of slack for the rounding.
      const atMost = seen[i]! - sent[i]! + 1;
      assert.ok(
        waited !== undefined && waited >= 0 && waited <= atMost,
        `frame ${i} waited ${waited} ms, at most ${atMost}`,
      );
    });
  }));
