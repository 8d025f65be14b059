/**
 * No leaked descriptors: the client runtime on real sockets (LinuxTransport in a lab namespace) and a
 * virtual clock, against a tiny in-process server. 1,000 cycles, each opening the runtime (packet, UDP
 * and rtnetlink sockets, the lease file read for INIT-REBOOT), renewing at T1 reached by advancing the
 * clock, and closing it; a few cycles bounce the link first (the transport closes both sockets on link
 * down and reopens them on link up). /proc/self/fd is the same after the cycles as before them.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLab } from '../lab/netns.ts';
import { serverAndClient } from '../lab/server-client.ts';
import {
  BOOTREPLY,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeOf,
} from '../../src/protocol/index.ts';
import { LinuxTransport, VirtualClock } from '../../src/transport/index.ts';
import { ClientRuntime, noopApplier, type TimedEvent } from '../../src/runtime/client/index.ts';

const { test } = requiring('root', 'ip');

const CYCLES = Number(process.env.LK_CYCLES ?? 1_000);
const ADDRESS = '198.18.0.10';

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Answers DISCOVER with OFFER and REQUEST with ACK of ADDRESS, broadcast on eth0. */
async function tinyServer(netns: string): Promise<LinuxTransport> {
  const t = await LinuxTransport.open({ interfaces: ['eth0'], port: 67, netns });
  t.on('message', (data) => {
    let req;
    try {
      req = decodeMessage(data);
    } catch {
      return;
    }
    const type = messageTypeOf(req);
    const reply =
      type === MessageType.DISCOVER ? MessageType.OFFER : type === MessageType.REQUEST ? MessageType.ACK : 0;
    if (reply === 0) return;
    const m = createMessage({
      op: BOOTREPLY,
      xid: req.xid,
      chaddr: req.chaddr.subarray(0, 6),
      yiaddr: ADDRESS,
    });
    m.options.set('dhcp-message-type', reply);
    m.options.set('dhcp-server-identifier', '198.18.0.1');
    m.options.set('dhcp-lease-time', 3600);
    m.options.set('subnet-mask', '255.255.255.0');
    void t
      .send({ data: encodeMessage(m), ip: '255.255.255.255', port: 68, interface: 'eth0' })
      .catch(() => undefined);
  });
  return t;
}

/**
 * Waits for an event; while it does not come, moves virtual time on (a lost datagram is then resent by
 * the engine's retransmission timer). Bounded in count and in real time.
 */
async function until(
  rt: ClientRuntime,
  clock: VirtualClock,
  pred: (e: TimedEvent) => boolean,
  what: string,
): Promise<void> {
  let seen = false;
  const off = rt.onEvent((e) => {
    if (pred(e)) seen = true;
  });
  try {
    for (let i = 0; i < 400 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 5));
      if (i % 100 === 99) clock.advance(10_000);
    }
    if (!seen) throw new Error(`no ${what}`);
  } finally {
    off();
  }
}

test(
  `client runtime: ${CYCLES} renew cycles, each on freshly opened real sockets, leak no descriptor`,
  { timeout: 600_000 },
  async () => {
    const lab = await createLab('cfd');
    let rt: ClientRuntime | undefined;
    let server: LinuxTransport | undefined;
    try {
      const { srv, cli } = await serverAndClient(lab);
      // The address the tiny server hands out, configured by hand: the applier here does nothing, and the
      // RENEWING unicast leaves from it.
      await cli.addAddress('eth0', `${ADDRESS}/24`);
      server = await tinyServer(srv.name);
      const clock = new VirtualClock(Date.now());
      const leaseFile = join(cli.dir, 'lease.json');
      const options = {
        interface: 'eth0',
        netns: cli.name,
        scheduler: clock,
        applier: noopApplier,
        leaseFile,
        client: { arpProbe: false, retransmit: { kind: 'udhcpc', retries: 3, timeoutMs: 3000 } },
      } as const;

      /** Opens the runtime (INIT-REBOOT from the lease file after the first), renews at T1, closes it. */
      const cycle = async (bounce: boolean): Promise<number> => {
        const runtime = await ClientRuntime.start(options);
        rt = runtime;
        await until(runtime, clock, (e) => e.type === 'state' && e.to === 'BOUND', 'lease');
        if (bounce) {
          // the link path: the transport closes its sockets on link down and reopens them on link up
          const downSeen = until(runtime, clock, (e) => e.type === 'link' && !e.up, 'link down');
          await cli.setLink('eth0', false);
          await downSeen;
          const boundAgain = until(
            runtime,
            clock,
            (e) => e.type === 'state' && e.to === 'BOUND',
            'INIT-REBOOT',
          );
          await cli.setLink('eth0', true);
          await boundAgain;
        }
        const renewed = until(runtime, clock, (e) => e.type === 'lease-renewed', 'T1 renewal');
        const t1 = runtime.engine.nextDeadline();
        assert.ok(t1 !== null && runtime.engine.stateName === 'BOUND');
        clock.advance(t1 - clock.now());
        await renewed;
        await runtime.idle();
        const open = fdCount();
        await runtime.stop();
        rt = undefined;
        return open;
      };

      // warm-up, and the link-bounce path a few times (the kernel reports carrier up to a second late)
      for (let i = 0; i < 3; i++) await cycle(true);
      const before = fdCount();
      const whileOpen: number[] = [];
      for (let i = 0; i < CYCLES; i++) whileOpen.push(await cycle(false));
      const after = fdCount();
      assert.equal(after, before, `descriptors before ${before}, after ${CYCLES} cycles ${after}`);
      assert.equal(Math.max(...whileOpen), whileOpen[0], 'no growth while running either');
      assert.ok((server.drops.get('bad-checksum') ?? 0) === 0);
    } finally {
      await rt?.stop();
      await server?.close();
      await lab.close();
    }
  },
);
