/**
 * UDP GSO in the linux transport: unicasts to one destination that their sender allows to be zero-padded
 * (`padUpTo`, as the server's DHCP replies) leave as one GSO send, and a relay-like receiver (a kernel UDP
 * socket) still gets each datagram on its own. Two namespaces joined by a veth, 198.18.0.0/24 only: the
 * server on srv0 (198.18.0.1, port 67), two UDP receivers on cli0 (198.18.0.2), ports 67 and 68.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import fc from 'fast-check';
import {
  LinuxTransport,
  udpSegmentationAuto,
  type LinuxTransportOptions,
} from '../../src/transport/linux/transport.ts';
import { requireNative, SEGMENTED_FAILURE, type NativeAddon } from '../../src/transport/linux/native.ts';
import { createMessage, decodeMessage, encodeMessage } from '../../src/protocol/index.ts';
import type { TransportError } from '../../src/transport/errors.ts';
import type { Netns } from '../lab/netns.ts';
import { record, until, vethLink, withLab, type Recorder } from './linux-helpers.ts';

const { test } = requiring('root', 'ip');

const RELAY_IP = '198.18.0.2';
/** What a client that sends no option 57 accepts: 576 octets less the IP and UDP headers. */
const PAD_UP_TO = 548;

interface GsoLab {
  s: Netns;
  server: LinuxTransport;
  serverEvents: Recorder;
  /** Receivers by port: kernel UDP sockets, as a relay's. */
  at: Map<number, Recorder>;
}

function withGsoLab(
  fn: (l: GsoLab) => Promise<void>,
  server: Partial<LinuxTransportOptions> = {},
  gsoAsked: 'by the test' | 'by nobody' = 'by the test',
) {
  return withLab('tgs', async (lab) => {
    const opened: LinuxTransport[] = [];
    try {
      const { s, c } = await vethLink(lab, { clientAddress: `${RELAY_IP}/24` });
      // In another namespace `auto` is off: these tests ask for GSO unless they say otherwise.
      const t = await LinuxTransport.open({
        interfaces: ['srv0'],
        port: 67,
        netns: s.name,
        ...(gsoAsked === 'by the test' ? { udpSegmentation: true } : {}),
        ...server,
      });
      opened.push(t);
      const at = new Map<number, Recorder>();
      for (const port of [67, 68]) {
        const r = await LinuxTransport.open({ interfaces: ['cli0'], port, netns: c.name, receive: 'udp' });
        opened.push(r);
        at.set(port, record(r));
      }
      const serverEvents = record(t);
      // One unicast first, so the kernel has resolved the relay's MAC before the runs.
      await t.send({ data: Buffer.from('warm-up'), ip: RELAY_IP, port: 67 });
      await until(() => at.get(67)!.messages.length === 1, 5000, 'the warm-up unicast');
      at.get(67)!.messages.length = 0;
      await fn({ s, server: t, serverEvents, at });
    } finally {
      for (const t of opened) await t.close();
    }
  });
}

/** Wraps the addon's sendBatch; `calls` has each call's `segment` and return value. */
function spySendBatch(
  wrap?: (orig: NativeAddon['sendBatch'], segment: boolean) => NativeAddon['sendBatch'] | undefined,
): { calls: { segment: boolean; result: number }[]; restore: () => void } {
  const native = requireNative();
  const orig = native.sendBatch;
  const calls: { segment: boolean; result: number }[] = [];
  native.sendBatch = (fd, buffers, dst, start, end, segment) => {
    const f = wrap?.(orig, segment === true) ?? orig;
    const result = f(fd, buffers, dst, start, end, segment);
    calls.push({ segment: segment === true, result });
    return result;
  };
  return { calls, restore: () => (native.sendBatch = orig) };
}

interface Sent {
  data: Buffer;
  port: number;
  padUpTo?: number;
}

/** Posts every datagram in one turn; resolves with the failures reported, by index. */
async function postAll(server: LinuxTransport, sent: readonly Sent[]): Promise<Map<number, TransportError>> {
  const failures = new Map<number, TransportError>();
  sent.forEach((d, i) =>
    server.post(
      {
        data: d.data,
        ip: RELAY_IP,
        port: d.port,
        ...(d.padUpTo === undefined ? {} : { padUpTo: d.padUpTo }),
      },
      i,
      (e, index) => void failures.set(index, e),
    ),
  );
  await new Promise((res) => setImmediate(res));
  return failures;
}

/** `postAll` with sendBatch spied on (and replaced where `wrap` says) for its duration. */
async function postSpied(
  server: LinuxTransport,
  sent: readonly Sent[],
  wrap?: Parameters<typeof spySendBatch>[0],
): Promise<{ calls: { segment: boolean; result: number }[]; failures: Map<number, TransportError> }> {
  const spy = spySendBatch(wrap);
  try {
    return { calls: spy.calls, failures: await postAll(server, sent) };
  } finally {
    spy.restore();
  }
}

/**
 * Waits for every datagram at its receiver, then checks each receiver got its own, in the order sent, each
 * byte-exact followed by nothing but zeros, within its `padUpTo` (exactly itself without one). Returns how
 * many arrived padded.
 */
async function expectDelivered(at: Map<number, Recorder>, sent: readonly Sent[]): Promise<number> {
  let padded = 0;
  for (const [port, r] of at) {
    const mine = sent.filter((d) => d.port === port);
    await until(() => r.messages.length >= mine.length, 5000, `${mine.length} datagrams at port ${port}`);
    assert.equal(r.messages.length, mine.length, `datagrams at port ${port}`);
    mine.forEach((d, i) => {
      const got = r.messages[i]!.data;
      assert.ok(got.length >= d.data.length, `datagram ${i} at ${port} is shorter than sent`);
      assert.deepEqual(got.subarray(0, d.data.length), d.data, `datagram ${i} at ${port}`);
      assert.ok(
        got.subarray(d.data.length).every((b) => b === 0),
        `datagram ${i} at ${port} is followed by non-zero octets`,
      );
      assert.ok(got.length <= Math.max(d.padUpTo ?? 0, d.data.length), `datagram ${i} padded too far`);
      if (got.length > d.data.length) padded++;
    });
    r.messages.length = 0;
  }
  return padded;
}

/** A DHCPACK whose hostname makes it `extra` octets longer than the 300 every reply is padded to. */
function reply(xid: number, extra: number): Buffer {
  const m = createMessage({ op: 2, xid, yiaddr: '198.18.1.10', giaddr: RELAY_IP });
  m.options.set('dhcp-message-type', 5);
  if (extra > 0) m.options.set('host-name', 'h'.repeat(Math.min(extra, 255)));
  return encodeMessage(m);
}

test('a run of DHCP replies to one relay leaves as GSO sends and arrives as separate datagrams, byte-exact up to END then only zeros, in order', () =>
  withGsoLab(async ({ server, serverEvents, at }) => {
    assert.equal(server.udpSegmentationActive('srv0'), true);
    // Runs that mix both destinations and sizes: a shorter reply before a longer one is padded to it.
    const ports = [67, 67, 67, 68, 68, 67, 67, 67, 67, 67, 68, 67, 68, 68, 68, 68, 67, 67, 68, 67];
    const sent: Sent[] = ports.map((port, i) => ({
      data: reply(i, [0, 40, 120, 10, 200, 60][i % 6]!),
      port,
      padUpTo: PAD_UP_TO,
    }));
    const { calls, failures } = await postSpied(server, sent);
    assert.deepEqual([...failures], []);
    assert.ok(calls.every((c) => c.segment));
    const padded = await expectDelivered(at, sent);
    assert.ok(padded > 0, 'some replies were padded to their run');
    assert.equal(server.udpSegmentRefusals, 0);
    assert.deepEqual(serverEvents.errors, []);
  }));

test('padded replies decode as the replies sent', () =>
  withGsoLab(async ({ server, at }) => {
    const sent: Sent[] = [0, 150, 20, 90].map((extra, i) => ({
      data: reply(100 + i, extra),
      port: 67,
      padUpTo: PAD_UP_TO,
    }));
    await postAll(server, sent);
    const r = at.get(67)!;
    await until(() => r.messages.length >= sent.length, 5000, 'the four replies');
    const decoded = r.messages.map((m) => decodeMessage(m.data));
    assert.deepEqual(
      decoded.map((m) => [m.xid, m.options.get('host-name')]),
      [0, 150, 20, 90].map((extra, i) => [100 + i, extra > 0 ? 'h'.repeat(extra) : undefined]),
    );
    // The first and third were shorter than the second: they arrive padded with zeros after END.
    assert.ok(r.messages[0]!.data.length > sent[0]!.data.length);
  }));

test('datagrams without padUpTo are neither grouped nor padded', () =>
  withGsoLab(async ({ server, at }) => {
    const sent: Sent[] = Array.from({ length: 12 }, (_, i) => ({
      data: Buffer.alloc(100 + (i % 3) * 50, i + 1),
      port: 67,
    }));
    const { calls } = await postSpied(server, sent);
    // Without a padUpTo a datagram is its own sendmmsg entry: the counts are those of plain sends.
    assert.deepEqual(
      calls.map((c) => c.result),
      [8, 4],
    );
    assert.equal(await expectDelivered(at, sent), 0);
  }));

test('when the kernel refuses GSO (a segment over the path MTU) the run goes datagram by datagram, nothing is lost, and the refusal is counted once', () =>
  withGsoLab(async ({ s, server, serverEvents, at }) => {
    // The route's MTU now holds no 600-octet segment: udp_send_skb refuses the run with EINVAL, while a
    // single datagram of that size is fragmented and reassembled by the receiver.
    await s.run('ip', ['link', 'set', 'dev', 'srv0', 'mtu', '576']);
    const sent: Sent[] = Array.from({ length: 8 }, (_, i) => ({
      data: Buffer.alloc(560 + ((i * 7) % 40), i + 1),
      port: 67,
      padUpTo: 1000,
    }));
    const { calls, failures } = await postSpied(server, sent);
    assert.deepEqual([...failures], []);
    // Linux 6.18 says EMSGSIZE (__ip_append_data), earlier kernels EINVAL (udp_send_skb).
    assert.equal(calls[0]!.segment, true);
    const errno = -calls[0]!.result & ~SEGMENTED_FAILURE;
    assert.equal(-calls[0]!.result & SEGMENTED_FAILURE, SEGMENTED_FAILURE);
    assert.ok(errno === constants.errno.EMSGSIZE || errno === constants.errno.EINVAL, `errno ${errno}`);
    assert.ok(calls.slice(1).every((c) => !c.segment));
    // Sent one by one, so none needed padding.
    assert.equal(await expectDelivered(at, sent), 0);
    assert.equal(server.udpSegmentRefusals, 1);
    assert.equal(server.udpSegmentationActive('srv0'), false);
    await until(() => serverEvents.errors.length > 0, 5000, 'the refusal report');
    assert.equal(serverEvents.errors.length, 1);
    assert.equal(serverEvents.errors[0]!.code, 'ERR_TRANSPORT_UNSUPPORTED');
    assert.equal(
      serverEvents.errors[0]!.syscallCode,
      errno === constants.errno.EINVAL ? 'EINVAL' : 'EMSGSIZE',
    );
    assert.equal(serverEvents.errors[0]!.interface, 'srv0');

    // The socket does not try again: a later run leaves datagram by datagram at once.
    const { calls: againCalls } = await postSpied(server, sent);
    assert.ok(againCalls.every((c) => !c.segment));
    await expectDelivered(at, sent);
    assert.equal(server.udpSegmentRefusals, 1);
  }));

test('a GSO refusal forced through the addon (EIO, as without checksum offload) falls back without losing or failing a datagram', () =>
  withGsoLab(async ({ server, serverEvents, at }) => {
    const sent: Sent[] = [0, 80, 30, 0, 60].map((extra, i) => ({
      data: reply(200 + i, extra),
      port: i < 3 ? 67 : 68,
      padUpTo: PAD_UP_TO,
    }));
    const { calls, failures } = await postSpied(server, sent, (orig, segment) =>
      segment ? () => -(SEGMENTED_FAILURE | constants.errno.EIO) : undefined,
    );
    assert.deepEqual([...failures], []);
    assert.equal(calls.filter((c) => c.segment).length, 1, 'GSO tried once');
    assert.equal(await expectDelivered(at, sent), 0);
    assert.equal(server.udpSegmentRefusals, 1);
    assert.equal(server.udpSegmentationActive('srv0'), false);
    await until(() => serverEvents.errors.length > 0, 5000, 'the refusal report');
    assert.equal(serverEvents.errors[0]!.syscallCode, 'EIO');
  }));

test('a sendmmsg that takes only part of a batch resolves the datagrams of the runs it took, and the rest follow', () =>
  withGsoLab(async ({ server, at }) => {
    const sent: Sent[] = [0, 50, 10, 0, 90, 20, 0, 70].map((extra, i) => ({
      data: reply(400 + i, extra),
      port: i === 3 ? 68 : 67,
      padUpTo: PAD_UP_TO,
    }));
    // The first call may send only the first three datagrams: one GSO entry.
    const { calls, failures } = await postSpied(server, sent, (orig, segment) =>
      segment ? (fd, b, d, start) => orig(fd, b, d, start, Math.min(start + 3, b.length), true) : undefined,
    );
    assert.deepEqual([...failures], []);
    assert.deepEqual(
      calls.map((c) => c.result),
      [3, 3, 2],
    );
    assert.ok((await expectDelivered(at, sent)) > 0);
  }));

test('EAGAIN on a GSO run sends the rest through node:dgram, unpadded, and leaves GSO on', () =>
  withGsoLab(async ({ server, at }) => {
    const sent: Sent[] = [0, 50, 10, 90].map((extra, i) => ({
      data: reply(500 + i, extra),
      port: 67,
      padUpTo: PAD_UP_TO,
    }));
    const { failures } = await postSpied(
      server,
      sent,
      () => () => -(SEGMENTED_FAILURE | constants.errno.EAGAIN),
    );
    assert.deepEqual([...failures], []);
    assert.equal(await expectDelivered(at, sent), 0);
    assert.equal(server.udpSegmentRefusals, 0);
    assert.equal(server.udpSegmentationActive('srv0'), true);
  }));

test('a run refused for what every datagram of it would be refused for fails datagram by datagram and leaves GSO on', () =>
  withGsoLab(async ({ server, at }) => {
    // Port 0 passes the transport's checks; udp_sendmsg refuses it with EINVAL, grouped or not.
    const sent: Sent[] = [
      { data: Buffer.alloc(300, 1), port: 0, padUpTo: PAD_UP_TO },
      { data: Buffer.alloc(300, 2), port: 0, padUpTo: PAD_UP_TO },
      { data: Buffer.alloc(300, 3), port: 67, padUpTo: PAD_UP_TO },
      { data: Buffer.alloc(200, 4), port: 67, padUpTo: PAD_UP_TO },
    ];
    const failures = await postAll(server, sent);
    assert.deepEqual(
      [...failures].map(([i, e]) => [i, e.code, e.syscallCode]),
      [
        [0, 'ERR_TRANSPORT_SEND_FAILED', 'EINVAL'],
        [1, 'ERR_TRANSPORT_SEND_FAILED', 'EINVAL'],
      ],
    );
    await expectDelivered(at, sent.slice(2));
    assert.equal(server.udpSegmentRefusals, 0);
    assert.equal(server.udpSegmentationActive('srv0'), true);
  }));

test('udpSegmentation: false sends datagram by datagram', () =>
  withGsoLab(
    async ({ server, at }) => {
      assert.equal(server.udpSegmentationActive('srv0'), false);
      const sent: Sent[] = [0, 100, 50].map((extra, i) => ({
        data: reply(300 + i, extra),
        port: 67,
        padUpTo: PAD_UP_TO,
      }));
      const { calls } = await postSpied(server, sent);
      assert.ok(calls.every((c) => !c.segment));
      assert.equal(await expectDelivered(at, sent), 0);
    },
    { udpSegmentation: false },
  ));

test('LEASEKEEPER_UDP_GSO=on or off decides where the options do not say; the option wins over it', async () => {
  const before = process.env['LEASEKEEPER_UDP_GSO'];
  const active =
    (expected: boolean) =>
    async ({ server }: GsoLab): Promise<void> => {
      assert.equal(server.udpSegmentationActive('srv0'), expected);
      // What status-get's `receive` shows.
      assert.equal(server.receiveStats().find((r) => r.ifname === 'srv0')?.udpGso, expected);
    };
  try {
    process.env['LEASEKEEPER_UDP_GSO'] = 'off';
    await withGsoLab(active(false), {}, 'by nobody');
    await withGsoLab(active(true), { udpSegmentation: true }, 'by nobody');
    process.env['LEASEKEEPER_UDP_GSO'] = 'on';
    await withGsoLab(active(true), {}, 'by nobody');
    await withGsoLab(active(false), { udpSegmentation: false }, 'by nobody');
    // Neither: auto, and a veth in another namespace is not a network device of this one.
    delete process.env['LEASEKEEPER_UDP_GSO'];
    await withGsoLab(active(false), {}, 'by nobody');
    await withGsoLab(active(false), { udpSegmentation: 'auto' });
  } finally {
    if (before === undefined) delete process.env['LEASEKEEPER_UDP_GSO'];
    else process.env['LEASEKEEPER_UDP_GSO'] = before;
  }
});

test('property: grouping never drops, reorders or corrupts a datagram, whatever the mix of destinations, sizes and padding allowances', () =>
  withGsoLab(async ({ server, at }) => {
    const datagram = fc.record({
      port: fc.constantFrom(67, 68),
      size: fc.integer({ min: 1, max: 700 }),
      room: fc.option(fc.integer({ min: -50, max: 400 }), { nil: undefined }),
      fill: fc.integer({ min: 1, max: 255 }),
    });
    let padded = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(datagram, { minLength: 1, maxLength: 40 }), async (list) => {
        const sent: Sent[] = list.map((d) => ({
          data: Buffer.alloc(d.size, d.fill),
          port: d.port,
          ...(d.room === undefined ? {} : { padUpTo: d.size + d.room }),
        }));
        const failures = await postAll(server, sent);
        assert.deepEqual([...failures], []);
        padded += await expectDelivered(at, sent);
      }),
      { numRuns: 60 },
    );
    assert.ok(padded > 0, 'some runs were grouped and padded');
    assert.equal(server.udpSegmentRefusals, 0);
  }));

test('auto: GSO only on a network device of this namespace, never on loopback, another namespace or a path', () => {
  assert.equal(udpSegmentationAuto('lo', undefined), false, 'loopback has no device');
  assert.equal(udpSegmentationAuto('eth0', 'lk-some-netns'), false);
  assert.equal(udpSegmentationAuto('../../devices', undefined), false);
  assert.equal(udpSegmentationAuto('.', undefined), false);
});
