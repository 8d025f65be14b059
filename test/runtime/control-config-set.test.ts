// The control listeners of an in-process startServer (virtual network, memory store), driven while DHCP
// exchanges are in flight: the deterministic counterpart of test/interop/control-under-load.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendUnix } from '../../src/control/client.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import {
  createMessage,
  decodeMessage,
  MessageType,
  parseMac,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { encodeReply } from '../../src/server/encode.ts';
import { VirtualNetwork, type VirtualLink } from '../../src/transport/virtual/index.ts';
import { config, messageTypeOf } from './helpers.ts';

const SERVER_ID = '198.18.0.1';
const POOL = '198.18.0.10 - 198.18.0.250';
const CLIENTS = 150;
const BATCHES = 5;

interface Rig {
  server: ServerRuntime;
  link: VirtualLink;
  net: VirtualNetwork;
  socket: string;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-ctl-rt-'));
  const socket = join(dir, 'ctl.sock');
  const net = new VirtualNetwork();
  const link = net.createLink('lan');
  const srvHost = net.createHost('srv');
  srvHost.attach(link, { ifname: 'eth0', addresses: [`${SERVER_ID}/24`] });
  const server = await startServer({
    config: config({ subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: POOL }] }] }),
    store: new MemoryLeaseStore(),
    transport: {
      transport: srvHost.openTransport({ port: 67 }),
      interfaces: [{ name: 'eth0', addresses: [{ address: SERVER_ID, prefixLength: 24 }] }],
    },
    logger: createLogger({ level: 'silent' }),
    control: { controlSocket: socket, controlHttp: '127.0.0.1:0' },
  });
  return {
    server,
    link,
    net,
    socket,
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One client host on the link doing DISCOVER-OFFER-REQUEST-ACK; resolves to its MAC and the ACKed address. */
async function dora(r: Rig, n: number): Promise<{ mac: string; address: string; lifetime: number }> {
  const mac = `02:00:00:01:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  const host = r.net.createHost(`c${n}`);
  host.attach(r.link, { ifname: 'eth0', mac });
  const t = host.openTransport({ port: 68 });
  const inbox: DhcpMessage[] = [];
  let wake: (() => void) | undefined;
  t.on('message', (data: Buffer) => {
    inbox.push(decodeMessage(data));
    wake?.();
  });
  const next = async (type: number): Promise<DhcpMessage> => {
    for (let i = 0; i < 100; i++) {
      const m = inbox.shift();
      if (m !== undefined) {
        assert.equal(messageTypeOf(m), type, `client ${mac}: unexpected message type`);
        return m;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    throw new Error(`client ${mac}: no reply of type ${type} within 10 s`);
  };
  const send = (type: number, extra: (m: DhcpMessage) => void = () => undefined): Promise<void> => {
    const m = createMessage({ xid: 0x1000 + n, chaddr: parseMac(mac) });
    m.options.set('dhcp-message-type', type);
    extra(m);
    const data = encodeReply({
      message: m,
      maxSize: 1500,
      interface: 'eth0',
      destination: { kind: 'broadcast', address: '255.255.255.255', port: 68 },
    });
    return t.send({ data, ip: '255.255.255.255', port: 67, interface: 'eth0', sourceIp: '0.0.0.0' });
  };
  try {
    await send(MessageType.DISCOVER);
    const offer = await next(MessageType.OFFER);
    await send(MessageType.REQUEST, (m) => {
      m.options.set('dhcp-requested-address', offer.yiaddr);
      m.options.set('dhcp-server-identifier', SERVER_ID);
    });
    const ack = await next(MessageType.ACK);
    return { mac, address: ack.yiaddr, lifetime: Number(ack.options.get('dhcp-lease-time')) };
  } finally {
    await t.close();
  }
}

type Answer = { result: number; text?: string; arguments?: Record<string, unknown> };
const ctl = async (r: Rig, command: string, args?: unknown): Promise<Answer> =>
  (await sendUnix(r.socket, args === undefined ? { command } : { command, arguments: args })) as Answer;

test('config-set between DHCP exchanges in flight: every ACKed lease kept, the last configuration serves', async () => {
  const r = await rig();
  try {
    const original = (await ctl(r, 'config-get')).arguments?.['Dhcp4'] as Record<string, unknown>;
    const exchanges: Promise<{ mac: string; address: string; lifetime: number }>[] = [];
    for (let b = 0; b < BATCHES; b++) {
      for (let i = 0; i < CLIENTS / BATCHES; i++) exchanges.push(dora(r, b * 100 + i));
      // Exchanges of this batch are mid-flight while the configuration changes under them.
      const answer = await ctl(r, 'config-set', {
        Dhcp4: {
          ...original,
          'valid-lifetime': 1000 + b,
          'option-data': [{ name: 'domain-name', data: `b${b}.lab.example` }],
        },
      });
      assert.deepEqual(answer, { result: 0, text: 'Configuration successful.' });
    }
    const acked = await Promise.all(exchanges);
    const leases = await r.server.store.getAll();
    const byAddress = new Map(leases.map((l) => [l.address, l]));
    assert.equal(new Set(acked.map((a) => a.address)).size, CLIENTS, 'an address was ACKed twice');
    for (const a of acked) {
      assert.equal(byAddress.get(a.address)?.hwAddress, a.mac, `${a.address} lost`);
      assert.ok([600, 1000, 1001, 1002, 1003, 1004].includes(a.lifetime), `lifetime ${a.lifetime}`);
    }
    const running = (await ctl(r, 'config-get')).arguments?.['Dhcp4'] as Record<string, unknown>;
    assert.equal(running['valid-lifetime'], 1004);
    // A client after the last config-set gets its lifetime.
    assert.equal((await dora(r, 999)).lifetime, 1004);

    // Refused: another pool and a bad lifetime. The old pool keeps serving.
    const refused = await ctl(r, 'config-set', {
      Dhcp4: {
        ...running,
        'valid-lifetime': -1,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.251 - 198.18.0.254' }] }],
      },
    });
    assert.equal(refused.result, 1);
    assert.match(refused.text ?? '', /valid-lifetime/);
    const after = await dora(r, 998);
    assert.equal(after.lifetime, 1004);
    const last = Number(after.address.split('.')[3]);
    assert.ok(last >= 10 && last <= 250, `${after.address} is not from the old pool`);
  } finally {
    await r.close();
  }
});

test('a too-large HTTP body is answered 413 even when the client reads only after sending it all', async () => {
  const r = await rig();
  try {
    const url = new URL(r.server.control?.http[0]?.url ?? '');
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const chunks = 8; // 2 MiB: over the 1 MiB limit
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(Number(url.port), url.hostname);
      const parts: Buffer[] = [];
      // Read only after everything is written, in pieces: a server that answered and closed after the first
      // piece would make the later writes fail with EPIPE (what curl showed under load) and lose its answer.
      socket.pause();
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
      socket.write(
        `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${chunk.length * chunks}\r\n\r\n`,
      );
      void (async () => {
        for (let k = 0; k < chunks && !socket.destroyed; k++) {
          socket.write(chunk);
          await new Promise((w) => setTimeout(w, 20));
        }
        socket.resume();
      })();
    });
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.ok(reply.endsWith('{"result":413,"text":"Request Entity Too Large"}'), reply);
    assert.equal((await ctl(r, 'status-get')).result, 0);
  } finally {
    await r.close();
  }
});
