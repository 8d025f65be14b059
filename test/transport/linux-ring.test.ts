/**
 * The packet socket's two receive paths, TPACKET_V3 ring and recvmmsg, and its BPF filter: the same
 * frames go in on both paths (two sockets on one interface, each sees every frame) and must come out
 * alike. Two namespaces joined by a veth, 198.18.0.0/24 only.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createLab, type Netns } from '../lab/netns.ts';
import { LinuxTransport } from '../../src/transport/linux/transport.ts';
import {
  FRAME_META_WORDS,
  requireNative,
  type NativePacketSocket,
} from '../../src/transport/linux/native.ts';
import { ETH_P_IP, PACKET_BROADCAST, PACKET_HOST, udpDstPortFilter } from '../../src/transport/linux/bpf.ts';
import { buildUdpFrame, parseUdpFrame } from '../../src/transport/frame.ts';
import { parseMacBytes } from '../../src/transport/addr.ts';
import { record, until, vethLink } from './linux-helpers.ts';

const { test } = requiring('root', 'ip');

interface Received {
  payload: string;
  length: number;
  pkttype: number;
}

/** A packet socket on `ifname` collecting what it receives, frame by frame. */
function listen(
  ns: Netns,
  ifname: string,
  ring: boolean | 'adaptive',
  port: number,
  rcvbuf = 1 << 20,
  holdSwitches = false,
): { sock: NativePacketSocket; got: Received[] } {
  const got: Received[] = [];
  const sock = new (requireNative().PacketSocket)(
    {
      ifname,
      protocol: ETH_P_IP,
      filter: udpDstPortFilter(port),
      netns: ns.name,
      rcvbuf,
      ring,
      holdSwitches,
    },
    (err, frames, meta) => {
      if (err) throw err;
      if (!frames || !meta) return;
      for (let i = 0; i < meta.length; i += FRAME_META_WORDS) {
        const f = parseUdpFrame(frames.subarray(meta[i]!, meta[i]! + meta[i + 1]!));
        const payload = f.ok ? f.payload.toString() : `refused: ${f.reason}`;
        got.push({ payload, length: meta[i + 1]!, pkttype: meta[i + 2]! });
      }
    },
  );
  return { sock, got };
}

/** A frame from cli0 to UDP port `dstPort`, broadcast or to srv0's MAC. */
function frame(dstPort: number, payload: string, dstMac: string): Buffer {
  return buildUdpFrame({
    srcMac: parseMacBytes('02:00:00:00:0c:02')!,
    dstMac: parseMacBytes(dstMac)!,
    srcIp: 0xc6120002,
    dstIp: dstMac === 'ff:ff:ff:ff:ff:ff' ? 0xffffffff : 0xc6120001,
    srcPort: 68,
    dstPort,
    payload: Buffer.from(payload),
  });
}

async function withVeth(fn: (s: Netns, c: Netns) => Promise<void>): Promise<void> {
  const lab = await createLab('trr');
  try {
    const { s, c } = await vethLink(lab, {
      clientAddress: '198.18.0.2/24',
      serverMac: '02:00:00:00:0c:01',
      clientMac: '02:00:00:00:0c:02',
    });
    await fn(s, c);
  } finally {
    await lab.close();
  }
}

test('the ring and the recvmmsg path deliver the same frames, in order, with length and packet type', () =>
  withVeth(async (s, c) => {
    const ring = listen(s, 'srv0', true, 6767);
    const copy = listen(s, 'srv0', false, 6767);
    const tx = new (requireNative().PacketSocket)(
      { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
      () => {},
    );
    try {
      assert.equal(ring.sock.ring, true, 'this kernel sets up a TPACKET_V3 ring');
      assert.equal(copy.sock.ring, false);
      // More than one ring block (16 KiB) and more than one recvmmsg batch (64), of varied sizes and both
      // packet types; sent in several turns so that some blocks are retired by their timeout.
      const sent: Received[] = [];
      for (let turn = 0; turn < 5; turn++) {
        for (let i = 0; i < 60; i++) {
          const n = turn * 60 + i;
          const payload = `frame ${n} `.padEnd(10 + ((n * 37) % 1400), 'x');
          const mac = n % 3 === 0 ? '02:00:00:00:0c:01' : 'ff:ff:ff:ff:ff:ff';
          const f = frame(6767, payload, mac);
          tx.send(f);
          sent.push({ payload, length: f.length, pkttype: n % 3 === 0 ? PACKET_HOST : PACKET_BROADCAST });
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => ring.got.length >= 300 && copy.got.length >= 300, 5000, '300 frames on both paths');
      assert.deepEqual(ring.got, sent);
      assert.deepEqual(copy.got, sent);
    } finally {
      ring.sock.close();
      copy.sock.close();
      tx.close();
    }
  }));

test('an adaptive socket delivers every frame once and in order across switches between recvmmsg and the ring', () =>
  withVeth(async (s, c) => {
    const rx = listen(s, 'srv0', 'adaptive', 6767);
    const tx = new (requireNative().PacketSocket)(
      { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
      () => {},
    );
    try {
      assert.equal(rx.sock.adaptive, true, 'this kernel has PACKET_FANOUT_CBPF with unique ids');
      assert.equal(rx.sock.ring, false, 'an adaptive socket starts on recvmmsg');
      const sent: Received[] = [];
      const send = (n: number): void => {
        const payload = `frame ${n} `.padEnd(10 + ((n * 37) % 1400), 'x');
        const f = frame(6767, payload, 'ff:ff:ff:ff:ff:ff');
        tx.send(f);
        sent.push({ payload, length: f.length, pkttype: PACKET_BROADCAST });
      };
      // Each switch comes while the old path still holds frames (sent just before, not yet read), and
      // frames follow at once on the new one: any loss, duplicate or reordering shows in the sequence.
      for (let turn = 0; turn < 8; turn++) {
        for (let i = 0; i < 50; i++) send(turn * 100 + i);
        assert.equal(rx.sock.setRing!(turn % 2 === 0), turn % 2 === 0);
        for (let i = 50; i < 100; i++) send(turn * 100 + i);
        await new Promise((r) => setTimeout(r, turn % 4 === 0 ? 0 : 5));
      }
      // Onto the ring, away while its blocks hold frames, and straight back: each switch waits for the
      // previous one's leftovers, so the frames come in the order sent.
      rx.sock.setRing!(true);
      for (let i = 0; i < 30; i++) send(900 + i);
      rx.sock.setRing!(false);
      for (let i = 30; i < 60; i++) send(900 + i);
      assert.equal(rx.sock.setRing!(true), true);
      for (let i = 60; i < 90; i++) send(900 + i);
      // The other way round: onto the ring with frames still queued for recvmmsg, and straight back.
      await until(() => rx.got.length >= sent.length, 5000, `${sent.length} frames`);
      rx.sock.setRing!(false);
      for (let i = 0; i < 30; i++) send(1000 + i);
      rx.sock.setRing!(true);
      for (let i = 30; i < 60; i++) send(1000 + i);
      assert.equal(rx.sock.setRing!(false), false);
      for (let i = 60; i < 90; i++) send(1000 + i);
      await until(() => rx.got.length >= sent.length, 5000, `${sent.length} frames`);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(rx.got, sent);
      // A switch back to the ring waits until the ring has handed over its frames: one made before that
      // may be overtaken by the next forced switch.
      assert.ok(
        rx.sock.ringSwitches! >= 2 && rx.sock.ringSwitches! <= 14,
        `${rx.sock.ringSwitches} switches`,
      );
      assert.equal(rx.sock.drops!(), 0);
    } finally {
      rx.sock.close();
      tx.close();
    }
  }));

test('the ring policy switches to the ring above its threshold and back only below the lower one', () => {
  const policy = requireNative().ringPolicy!;
  const above = 4000;
  const below = 2000;
  // 200 ms windows: 800 frames is 4,000/s, 400 frames 2,000/s.
  assert.equal(policy(false, 799, 200, above, below), false, 'just under the upper threshold');
  assert.equal(policy(false, 800, 200, above, below), true, 'at the upper threshold');
  assert.equal(policy(true, 600, 200, above, below), true, 'between the thresholds, on the ring: stays');
  assert.equal(policy(false, 600, 200, above, below), false, 'between the thresholds, on recvmmsg: stays');
  assert.equal(policy(true, 400, 200, above, below), true, 'at the lower threshold');
  assert.equal(policy(true, 399, 200, above, below), false, 'under the lower threshold');
  assert.equal(policy(true, 5, 60_000, above, below), false, 'a long quiet spell ends on recvmmsg');
  assert.equal(policy(true, 5, 0, above, below), true, 'no time passed: no decision');
  // A rate oscillating between the thresholds never switches; one crossing both does, each way once.
  let ring = false;
  let switches = 0;
  for (const frames of [500, 700, 500, 700, 900, 500, 700, 450, 300, 500, 700]) {
    const next = policy(ring, frames, 200, above, below);
    if (next !== ring) switches++;
    ring = next;
  }
  assert.equal(switches, 2);
  assert.equal(ring, false);
  assert.throws(() => policy(false, -1, 200, above, below), /counts/);
});

test('an adaptive socket installs its new fanout program off the event loop', () =>
  withVeth(async (s, c) => {
    const rx = listen(s, 'srv0', 'adaptive', 6768);
    const tx = new (requireNative().PacketSocket)(
      { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
      () => {},
    );
    try {
      const sent: string[] = [];
      const send = (n: number): void => {
        const payload = `frame ${n}`;
        tx.send(frame(6768, payload, 'ff:ff:ff:ff:ff:ff'));
        sent.push(payload);
      };
      for (const on of [true, false, true]) {
        for (let i = 0; i < 20; i++) send(sent.length);
        const before = rx.sock.ringSwitches!;
        assert.equal(rx.sock.setRing!(on), on);
        // setsockopt(PACKET_FANOUT_DATA) waits for an RCU grace period: the switch is counted when the
        // worker thread has returned from it, never within the call that asked for it.
        assert.equal(rx.sock.ringSwitches, before, 'not switched synchronously');
        assert.equal(rx.sock.ring, on, 'the path being switched to');
        for (let i = 0; i < 20; i++) send(sent.length);
        await until(() => rx.sock.ringSwitches === before + 1, 5000, 'the switch completed');
      }
      // Asked back while the switch is in flight: the path reported is the one asked for last.
      const before = rx.sock.ringSwitches!;
      rx.sock.setRing!(false);
      for (let i = 0; i < 20; i++) send(sent.length);
      assert.equal(rx.sock.setRing!(true), true);
      assert.equal(rx.sock.ring, true, 'the path asked for last');
      for (let i = 0; i < 20; i++) send(sent.length);
      await until(() => rx.sock.ringSwitches! >= before + 1, 5000, 'the switch completed');
      await until(() => rx.got.length >= sent.length, 5000, `${sent.length} frames`);
      assert.deepEqual(
        rx.got.map((f) => f.payload),
        sent,
      );
    } finally {
      rx.sock.close();
      tx.close();
    }
  }));

/** A sender on cli0 of small numbered broadcast frames to `port`, and the payloads it sent, in order. */
function sender(c: Netns, port: number): { send: () => void; sent: string[]; close: () => void } {
  const tx = new (requireNative().PacketSocket)(
    { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
    () => {},
  );
  const sent: string[] = [];
  return {
    send: () => {
      const payload = `frame ${sent.length}`;
      tx.send(frame(port, payload, 'ff:ff:ff:ff:ff:ff'));
      sent.push(payload);
    },
    sent,
    close: () => tx.close(),
  };
}

test('an adaptive socket reads the new path while the kernel has yet to return from the switch', () =>
  withVeth(async (s, c) => {
    const rx = listen(s, 'srv0', 'adaptive', 6769, 1 << 20, true);
    const tx = sender(c, 6769);
    try {
      for (const on of [true, false, true, false]) {
        // Frames on the old path, not yet read when the switch begins, come before the new path's.
        for (let i = 0; i < 10; i++) tx.send();
        const before = rx.sock.ringSwitches!;
        rx.sock.setRing!(on);
        for (let i = 0; i < 20; i++) tx.send();
        // The switch's worker is held after installing the new program, as synchronize_net holds it.
        await until(
          () => rx.got.length >= tx.sent.length,
          5000,
          `the ${tx.sent.length} frames sent before the switch returned`,
        );
        assert.equal(rx.sock.ringSwitches, before, 'the switch has not returned');
        rx.sock.releaseSwitch!();
        await until(() => rx.sock.ringSwitches === before + 1, 5000, 'the switch returned');
      }
      assert.deepEqual(
        rx.got.map((f) => f.payload),
        tx.sent,
      );
      assert.equal(rx.sock.drops!(), 0);
    } finally {
      rx.sock.close();
      tx.close();
    }
  }));

test('an adaptive socket reads every frame exactly once across held switches, asked for during one too', () =>
  withVeth(async (s, c) => {
    const rx = listen(s, 'srv0', 'adaptive', 6770, 1 << 20, true);
    const tx = sender(c, 6770);
    const burst = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) tx.send();
      await new Promise((r) => setImmediate(r));
    };
    try {
      let onRing = false;
      for (let turn = 0; turn < 12; turn++) {
        await burst(40);
        const before = rx.sock.ringSwitches!;
        onRing = !onRing;
        rx.sock.setRing!(onRing);
        await burst(40);
        // Every third turn asks back while the first switch is held: it is made once that returns.
        const askedBack = turn % 3 === 2;
        if (askedBack) {
          onRing = !onRing;
          rx.sock.setRing!(onRing);
          await burst(20);
          rx.sock.releaseSwitch!();
        }
        await burst(40);
        rx.sock.releaseSwitch!();
        await burst(20);
        await until(
          () => rx.sock.ringSwitches === before + (askedBack ? 2 : 1),
          5000,
          `turn ${turn} switched`,
        );
      }
      await burst(40);
      await until(() => rx.got.length >= tx.sent.length, 5000, `${tx.sent.length} frames`);
      await new Promise((r) => setTimeout(r, 20));
      const counts = new Map<string, number>();
      for (const f of rx.got) counts.set(f.payload, (counts.get(f.payload) ?? 0) + 1);
      assert.deepEqual(
        tx.sent.filter((p) => counts.get(p) !== 1),
        [],
        'frames read other than exactly once',
      );
      assert.equal(rx.got.length, tx.sent.length);
      assert.equal(rx.sock.drops!(), 0);
    } finally {
      rx.sock.close();
      tx.close();
    }
  }));

test('closing an adaptive socket while its switch is held lets the switch end and leaks no descriptor', () =>
  withVeth(async (s) => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    // Warm-up: what the first socket and the first worker create lazily, process-wide, is not a leak.
    const warm = listen(s, 'srv0', 'adaptive', 6771, 1 << 20, true);
    warm.sock.setRing!(true);
    warm.sock.releaseSwitch!();
    await until(() => warm.sock.ringSwitches === 1, 5000, 'the warm-up switch');
    warm.sock.close();
    const before = fds();
    for (let i = 0; i < 6; i++) {
      const rx = listen(s, 'srv0', 'adaptive', 6771, 1 << 20, true);
      // The held worker has its own duplicate of the socket's descriptor: closing the socket does not wait.
      rx.sock.setRing!(true);
      rx.sock.close();
    }
    await until(() => fds() <= before, 5000, 'every descriptor of the closed sockets closed');
  }));

test('an adaptive socket counts the frames the kernel drops on either path', () =>
  withVeth(async (s, c) => {
    for (const onRing of [true, false]) {
      // The smallest ring and queue: 2000 frames written in one turn overflow both.
      const rx = listen(s, 'srv0', 'adaptive', 67, 0);
      const tx = new (requireNative().PacketSocket)(
        { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
        () => {},
      );
      try {
        rx.sock.setRing!(onRing);
        assert.equal(rx.sock.ring, onRing);
        const f = frame(67, 'x'.repeat(1000), 'ff:ff:ff:ff:ff:ff');
        for (let i = 0; i < 2000; i++) tx.send(f);
        await until(
          () => rx.got.length + rx.sock.drops!() === 2000,
          5000,
          `every frame received or counted as dropped (${onRing ? 'ring' : 'recvmmsg'})`,
        );
        assert.ok(rx.got.length > 0 && rx.got.length < 2000, `${rx.got.length} received`);
      } finally {
        rx.sock.close();
        tx.close();
      }
    }
  }));

test("the packet socket's filter keeps UDP to its port and drops other ports, fragments and non-UDP", () =>
  withVeth(async (s, c) => {
    for (const ring of [true, false]) {
      const rx = listen(s, 'srv0', ring, 67);
      const tx = new (requireNative().PacketSocket)(
        { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
        () => {},
      );
      try {
        const bcast = 'ff:ff:ff:ff:ff:ff';
        tx.send(frame(68, 'to port 68', bcast));
        const fragment = frame(67, 'a fragment', bcast);
        fragment.writeUInt16BE(0x2000, 20); // more fragments
        fragment.writeUInt16BE(0, 24);
        fragment.writeUInt16BE(ipChecksum(fragment.subarray(14, 34)), 24);
        tx.send(fragment);
        const tcp = frame(67, 'not UDP', bcast);
        tcp[23] = 6;
        tcp.writeUInt16BE(0, 24);
        tcp.writeUInt16BE(ipChecksum(tcp.subarray(14, 34)), 24);
        tx.send(tcp);
        tx.send(frame(67, 'dhcp', bcast));
        await until(() => rx.got.length >= 1, 5000, 'the DHCP frame');
        // The frames before it were sent first on the same link: had the filter passed them, they would
        // have come first.
        assert.deepEqual(
          rx.got.map((g) => g.payload),
          ['dhcp'],
          ring ? 'ring' : 'recvmmsg',
        );
      } finally {
        rx.sock.close();
        tx.close();
      }
    }
  }));

test('the transport reads adaptively by default, through the ring or with recvmmsg when asked, all carrying traffic', () =>
  withVeth(async (s, c) => {
    for (const receiveRing of [undefined, true, false] as const) {
      const server = await LinuxTransport.open({
        interfaces: ['srv0'],
        port: 67,
        netns: s.name,
        ...(receiveRing === undefined ? {} : { receiveRing }),
      });
      const client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
      try {
        const path = receiveRing === undefined ? 'adaptive' : receiveRing ? 'ring' : 'recvmmsg';
        assert.equal(server.receivePath('srv0'), path);
        assert.deepEqual(
          server.receiveStats().map((x) => [x.ifname, x.path, x.adaptive]),
          [['srv0', receiveRing === true ? 'ring' : 'recvmmsg', receiveRing === undefined]],
        );
        const r = record(server);
        await client.send({ data: Buffer.from('hello'), ip: '255.255.255.255', port: 67, interface: 'cli0' });
        await until(() => r.messages.length === 1, 5000, 'the broadcast');
        assert.equal(r.messages[0]!.data.toString(), 'hello');
        assert.equal(r.messages[0]!.meta.sourceMac, '02:00:00:00:0c:02');
        assert.equal(r.messages[0]!.meta.linkBroadcast, true);
      } finally {
        await server.close();
        await client.close();
      }
    }
  }));

test('frames the kernel drops because the ring or the queue is full are counted as queue full', () =>
  withVeth(async (s, c) => {
    for (const receiveRing of [true, false]) {
      // The smallest ring (16 blocks of 16 KiB) or queue: 2000 frames written in one turn overflow both.
      const server = await LinuxTransport.open({
        interfaces: ['srv0'],
        port: 67,
        netns: s.name,
        receiveRing,
        receiveBufferBytes: 0,
        linkPollMs: 50,
      });
      const tx = new (requireNative().PacketSocket)(
        { ifname: 'cli0', protocol: ETH_P_IP, filter: udpDstPortFilter(1), netns: c.name },
        () => {},
      );
      try {
        const r = record(server);
        const f = frame(67, 'x'.repeat(1000), 'ff:ff:ff:ff:ff:ff');
        for (let i = 0; i < 2000; i++) tx.send(f);
        await until(
          () => r.messages.length + (server.drops.get('queue full') ?? 0) === 2000,
          5000,
          `every frame received or counted as dropped (${receiveRing ? 'ring' : 'recvmmsg'})`,
        );
        assert.ok(r.messages.length > 0 && r.messages.length < 2000, `${r.messages.length} received`);
        // The per-interface count status-get shows is the same, and survives the sockets being reopened.
        const dropped = server.drops.get('queue full');
        assert.deepEqual(
          server.receiveStats().map((x) => [x.ifname, x.kernelDrops]),
          [['srv0', dropped]],
        );
        await s.run('ip', ['link', 'set', 'srv0', 'down']);
        await s.run('ip', ['link', 'set', 'srv0', 'up']);
        // Reopened once `link` reports it up again after the down.
        await until(
          () => r.links.some((l, i) => !l.up && r.links.slice(i + 1).some((u) => u.up && u.carrier)),
          5000,
          'srv0 down and up again',
        );
        assert.equal(server.receiveStats()[0]!.kernelDrops, dropped);
      } finally {
        tx.close();
        await server.close();
      }
    }
  }));

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

test("setReceiveRing forces the transport's adaptive sockets onto a path and hands them back", () =>
  withVeth(async (s, c) => {
    const server = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name });
    const client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
    try {
      const path = (): string | undefined => server.receiveStats()[0]?.path;
      const r = record(server);
      for (const [on, expected] of [
        [true, 'ring'],
        [false, 'recvmmsg'],
        [true, 'ring'],
      ] as const) {
        server.setReceiveRing(on);
        assert.equal(path(), expected);
        const before = r.messages.length;
        await client.send({
          data: Buffer.from(expected),
          ip: '255.255.255.255',
          port: 67,
          interface: 'cli0',
        });
        await until(() => r.messages.length === before + 1, 5000, `a frame read with ${expected}`);
        assert.equal(r.messages.at(-1)!.data.toString(), expected);
      }
      server.setReceiveRing(null);
      assert.equal(server.receivePath('srv0'), 'adaptive');
    } finally {
      await server.close();
      await client.close();
    }
  }));
