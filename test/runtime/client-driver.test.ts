/**
 * The client driver's suite, in virtual time on the virtual network (no root needed): every scenario runs
 * against both front ends of the one driver (src/runtime/client/driver.ts), the CLI's `ClientRuntime` and
 * the library's `dhcp.client()`, with a tiny scripted server on another virtual host that records what it
 * saw on the wire. DORA, renew and release; a NAK on renew and a new DORA; failing sends and a failing
 * applier reported as errors without a crash; INFORM; the ARP probe finding the address in use; a silent
 * server (RENEWING unicast, REBINDING broadcast from our address, expiry); carrier loss and return
 * (INIT-REBOOT). Then what only one front end has: the runtime's udhcpc events, status, statistics,
 * control socket and lease file; the library's typed events and promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BOOTREPLY,
  MessageType,
  createMessage,
  decodeMessage,
  encodeMessage,
  messageTypeName,
  messageTypeOf,
} from '../../src/protocol/index.ts';
import {
  EmbeddedTransport,
  VirtualClock,
  VirtualNetwork,
  type VirtualNic,
  type VirtualTransport,
} from '../../src/transport/index.ts';
import { sendUnix } from '../../src/control/client.ts';
import { DhcpClientEngine } from '../../src/client/index.ts';
import {
  ClientControlServer,
  ClientDriver,
  ClientRuntime,
  ClientRuntimeError,
  type ApplyRequest,
  type LeaseApplier,
  type TimedEvent,
} from '../../src/runtime/client/index.ts';
import { createDhcp, DhcpLibraryError, type DhcpClient } from '../../src/index.ts';

const MAC = '02:00:5e:00:00:07';
const SERVER = '198.18.0.1';
const LEASED = '198.18.0.10';
const RETRANSMIT = { kind: 'udhcpc', retries: 3, timeoutMs: 1000, tryAgainMs: 2000 } as const;

/** One datagram as the server saw it on the wire. */
interface Seen {
  readonly type: string;
  readonly from: string;
  readonly to: string | undefined;
  readonly ciaddr: string;
  readonly requested: string | undefined;
  readonly serverId: string | undefined;
}

interface Lan {
  readonly clock: VirtualClock;
  readonly server: VirtualTransport;
  readonly client: VirtualTransport;
  readonly nic: VirtualNic;
  /** Everything the server received, in order. */
  readonly seen: Seen[];
  /** What the server answers REQUESTs in RENEWING (ciaddr set) with. */
  renewReply: number;
  /** A silent server still records, and answers nothing. */
  silent: boolean;
}

function lan(opts: { squatter?: boolean } = {}): Lan {
  const clock = new VirtualClock(1_800_000_000_000);
  const net = new VirtualNetwork({ seed: 7, scheduler: clock });
  const link = net.createLink('lan');
  const s = net.createHost('server');
  s.attach(link, { ifname: 'eth0', mac: '02:00:5e:00:00:01', addresses: [`${SERVER}/24`] });
  const c = net.createHost('client');
  const nic = c.attach(link, { ifname: 'eth0', mac: MAC });
  if (opts.squatter === true) {
    // a host already using the address the server hands out: it answers ARP for it
    net.createHost('squatter').attach(link, { ifname: 'eth0', addresses: [`${LEASED}/24`] });
  }
  const server = s.openTransport({ port: 67 });
  const l: Lan = {
    clock,
    server,
    client: c.openTransport({ port: 68 }),
    nic,
    seen: [],
    renewReply: MessageType.ACK,
    silent: false,
  };
  const reply = (m: ReturnType<typeof createMessage>): void =>
    void server.send({ data: encodeMessage(m), ip: '255.255.255.255', port: 68, interface: 'eth0' });
  server.on('message', (data, meta) => {
    const req = decodeMessage(data);
    const type = messageTypeOf(req);
    l.seen.push({
      type: messageTypeName(type ?? 0),
      from: meta.sourceIp,
      to: meta.destinationIp,
      ciaddr: req.ciaddr,
      requested: req.options.get('dhcp-requested-address'),
      serverId: req.options.get('dhcp-server-identifier'),
    });
    if (l.silent) return;
    if (type === MessageType.INFORM) {
      // RFC 2131 §4.3.5: an ACK without lease time or yiaddr.
      const ack = createMessage({
        op: BOOTREPLY,
        xid: req.xid,
        chaddr: req.chaddr.subarray(0, 6),
        ciaddr: req.ciaddr,
      });
      ack.options.set('dhcp-message-type', MessageType.ACK);
      ack.options.set('dhcp-server-identifier', SERVER);
      ack.options.set('domain-name-servers', ['198.18.0.53']);
      return reply(ack);
    }
    if (type !== MessageType.DISCOVER && type !== MessageType.REQUEST) return;
    let answer: number = type === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK;
    if (type === MessageType.REQUEST && req.ciaddr !== '0.0.0.0') answer = l.renewReply;
    const m = createMessage({
      op: BOOTREPLY,
      xid: req.xid,
      chaddr: req.chaddr.subarray(0, 6),
      yiaddr: answer === MessageType.NAK ? '0.0.0.0' : LEASED,
    });
    m.options.set('dhcp-message-type', answer);
    m.options.set('dhcp-server-identifier', SERVER);
    if (answer !== MessageType.NAK) {
      m.options.set('dhcp-lease-time', 600);
      m.options.set('subnet-mask', '255.255.255.0');
      m.options.set('routers', [SERVER]);
    } else m.options.set('dhcp-message', 'go away');
    reply(m);
  });
  return l;
}

/** Lets virtual time and the driver's promise chain run, in bounded steps. */
async function run(clock: VirtualClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
  }
}

/** The value of a promise that virtual time has settled already; throws rather than wait for one that has not. */
async function settled<T>(p: Promise<T>): Promise<T> {
  const pending = Symbol('pending');
  const r = await Promise.race([
    p,
    new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending))),
  ]);
  if (r === pending) throw new Error('not settled in the virtual time given');
  return r as T;
}

/** How a scenario starts a client. */
interface StartOptions {
  /** The applier puts the leased address on the NIC (default true). */
  readonly applyToNic?: boolean;
  /** The applier's first call fails. */
  readonly failFirstApply?: boolean;
  readonly leaseFile?: string;
}

/** A running client as the scenarios see it, whichever front end runs it. */
interface Client {
  /** Every state entered, in order. */
  readonly states: string[];
  /** Every failure reported (send, applier, transport). */
  readonly errors: string[];
  /** The front end's own record of what it applied. */
  readonly applied: string[];
  state(): string;
  address(): string | null;
  renew(): void;
  release(): void;
  /** Sends a DHCPINFORM; resolves with the DNS servers of the answer. */
  inform(): Promise<readonly string[]>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface FrontEnd {
  readonly name: string;
  start(l: Lan, o?: StartOptions): Promise<Client>;
}

/** The runtime's applier: records udhcpc's events, and puts the address on the virtual NIC. */
class Recorder implements LeaseApplier {
  readonly calls: ApplyRequest[] = [];
  failNext = false;
  readonly nic: VirtualNic | undefined;
  constructor(nic: VirtualNic | undefined) {
    this.nic = nic;
  }
  apply(req: ApplyRequest): Promise<{ exitCode: number }> {
    this.calls.push(req);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new ClientRuntimeError('ERR_CLIENT_APPLY', 'ip: no such device'));
    }
    if (this.nic !== undefined) {
      if (req.event === 'deconfig')
        for (const a of this.nic.addresses()) this.nic.removeAddress(a.split('/')[0]!);
      if ((req.event === 'bound' || req.event === 'renew') && req.lease !== null)
        this.nic.addAddress(`${req.lease.address}/${req.lease.prefixLength ?? 32}`);
    }
    return Promise.resolve({ exitCode: 0 });
  }
  get events(): string[] {
    return this.calls.map((c) => c.event);
  }
}

interface RuntimeClient extends Client {
  readonly rt: ClientRuntime;
  readonly recorder: Recorder;
  readonly seen: TimedEvent[];
}

async function startRuntime(l: Lan, o: StartOptions = {}): Promise<RuntimeClient> {
  const recorder = new Recorder(o.applyToNic === false ? undefined : l.nic);
  recorder.failNext = o.failFirstApply === true;
  const seen: TimedEvent[] = [];
  const rt = await ClientRuntime.start({
    ...(o.leaseFile === undefined ? {} : { leaseFile: o.leaseFile }),
    interface: 'eth0',
    scheduler: l.clock,
    applier: recorder,
    openTransport: () => Promise.resolve(l.client),
    arpProbeMs: 100,
    client: { hwAddress: MAC, retransmit: RETRANSMIT },
    onEvent: (e) => seen.push(e),
  });
  return {
    rt,
    recorder,
    seen,
    get states() {
      return seen.flatMap((e) => (e.type === 'state' ? [e.to] : []));
    },
    get errors() {
      return seen.flatMap((e) => (e.type === 'error' ? [`${e.code}: ${e.message}`] : []));
    },
    get applied() {
      return recorder.events;
    },
    state: () => rt.engine.stateName,
    address: () => rt.engine.lease?.address ?? null,
    renew: () => rt.renew(),
    release: () => rt.release(),
    inform: () =>
      new Promise((resolve) => {
        const off = rt.onEvent((e) => {
          if (e.type !== 'inform-ack') return;
          off();
          resolve((e.env['dns'] ?? '').split(' '));
        });
        rt.inform();
      }),
    idle: () => rt.idle(),
    stop: () => rt.stop(),
  };
}

interface LibraryClient extends Client {
  readonly client: DhcpClient;
}

async function startLibrary(l: Lan, o: StartOptions = {}): Promise<LibraryClient> {
  const applied: string[] = [];
  const errors: string[] = [];
  const states: string[] = [];
  let failNext = o.failFirstApply === true;
  const applyToNic = o.applyToNic !== false;
  const fail = (): void => {
    if (!failNext) return;
    failNext = false;
    throw new Error('stack: no such interface');
  };
  const client = await (
    await createDhcp(l.client)
  ).client({
    mac: MAC,
    scheduler: l.clock,
    retransmit: RETRANSMIT,
    checkAddress: async (address) => (await l.client.arpProbe('eth0', address, 100)).inUse,
    apply: {
      configure: (address, prefixLength) => {
        applied.push(`configure ${address}/${prefixLength}`);
        fail();
        if (applyToNic) l.nic.addAddress(`${address}/${prefixLength}`);
      },
      deconfigure: (address) => {
        applied.push(`deconfigure ${address}`);
        fail();
        if (applyToNic) l.nic.removeAddress(address);
      },
    },
  });
  client.on('state', (s) => states.push(s.to));
  client.on('error', (err) => errors.push(err instanceof Error ? err.message : String(err)));
  let idle: Promise<void> = Promise.resolve();
  return {
    client,
    states,
    errors,
    applied,
    state: () => client.state,
    address: () => client.lease?.address ?? null,
    renew: () => void client.renew().catch(() => undefined),
    release: () => {
      idle = client.release();
    },
    inform: async () => (await client.inform()).dnsServers,
    idle: () => idle,
    stop: () => client.stop(),
  };
}

const FRONT_ENDS: readonly FrontEnd[] = [
  { name: 'runtime', start: startRuntime },
  { name: 'library', start: startLibrary },
];

const types = (l: Lan): string[] => l.seen.map((s) => s.type);

for (const fe of FRONT_ENDS) {
  test(`${fe.name}: DORA after an ARP probe, renew by unicast, release; the address on the NIC and off it`, async () => {
    const l = lan();
    const c = await fe.start(l);
    try {
      await run(l.clock, 3000);
      assert.deepEqual(c.states, ['INIT', 'SELECTING', 'REQUESTING', 'BOUND']);
      assert.equal(c.address(), LEASED);
      assert.deepEqual(l.nic.addresses(), [`${LEASED}/24`]);
      assert.deepEqual(types(l), ['DHCPDISCOVER', 'DHCPREQUEST']);
      // SELECTING: broadcast from 0.0.0.0, with 50 and 54 (RFC 2131 §4.3.2)
      assert.deepEqual(l.seen[1], {
        type: 'DHCPREQUEST',
        from: '0.0.0.0',
        to: '255.255.255.255',
        ciaddr: '0.0.0.0',
        requested: LEASED,
        serverId: SERVER,
      });
      c.renew();
      await run(l.clock, 500);
      const renew = l.seen[2];
      assert.equal(renew?.type, 'DHCPREQUEST');
      assert.equal(renew?.to, SERVER, 'RENEWING is unicast to the server');
      assert.equal(renew?.ciaddr, LEASED);
      assert.equal(renew?.serverId, undefined);
      assert.equal(c.state(), 'BOUND');
      c.release();
      await run(l.clock, 100);
      await c.idle();
      assert.equal(l.seen.at(-1)?.type, 'DHCPRELEASE');
      assert.equal(c.state(), 'RELEASED');
      assert.deepEqual(l.nic.addresses(), []);
      assert.deepEqual(c.errors, []);
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: a NAK on renew drops the address, and a new DORA binds again`, async () => {
    const l = lan();
    const c = await fe.start(l);
    try {
      await run(l.clock, 3000);
      l.renewReply = MessageType.NAK;
      c.renew();
      await run(l.clock, 6000);
      assert.deepEqual(types(l), [
        'DHCPDISCOVER',
        'DHCPREQUEST',
        'DHCPREQUEST',
        'DHCPDISCOVER',
        'DHCPREQUEST',
      ]);
      assert.deepEqual(c.states.slice(4), ['RENEWING', 'INIT', 'SELECTING', 'REQUESTING', 'BOUND']);
      assert.equal(c.state(), 'BOUND');
      assert.deepEqual(l.nic.addresses(), [`${LEASED}/24`]);
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: failing sends and a failing applier are reported as errors; the client carries on`, async () => {
    const l = lan();
    const realSend = l.client.send.bind(l.client);
    let failures = 2;
    l.client.send = (d) => (failures-- > 0 ? Promise.reject(new Error('ENOBUFS')) : realSend(d));
    const c = await fe.start(l, { failFirstApply: true });
    try {
      await run(l.clock, 6000);
      assert.equal(c.errors.length, 3, c.errors.join('; '));
      assert.equal(c.errors.filter((e) => e.includes('ENOBUFS')).length, 2);
      assert.equal(c.state(), 'BOUND');
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: INFORM for the bound address; the answer's configuration, the lease kept`, async () => {
    const l = lan();
    const c = await fe.start(l);
    try {
      await run(l.clock, 3000);
      const answer = c.inform();
      await run(l.clock, 500);
      assert.deepEqual(await settled(answer), ['198.18.0.53']);
      const inform = l.seen.find((s) => s.type === 'DHCPINFORM');
      assert.equal(inform?.ciaddr, LEASED);
      assert.equal(c.state(), 'BOUND');
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: the ARP probe finds the address in use: DECLINE, never bound, a pause in INIT`, async () => {
    const l = lan({ squatter: true });
    const c = await fe.start(l);
    try {
      await run(l.clock, 3000);
      assert.deepEqual(types(l), ['DHCPDISCOVER', 'DHCPREQUEST', 'DHCPDECLINE']);
      assert.equal(l.seen[2]?.requested, LEASED);
      assert.equal(c.states.includes('BOUND'), false);
      assert.equal(c.state(), 'INIT');
      assert.deepEqual(l.nic.addresses(), []);
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: a silent server: RENEWING unicast, REBINDING broadcast from our address, expiry`, async () => {
    const l = lan();
    // The address stays off the NIC: the REBINDING broadcast carries it only because the driver names it.
    const c = await fe.start(l, { applyToNic: false });
    try {
      await run(l.clock, 3000);
      assert.equal(c.state(), 'BOUND');
      l.silent = true;
      // 600 s lease: T1 300 s, T2 525 s, expiry 600 s; a few seconds more to let the client act
      await run(l.clock, 605_000, 1000);
      await c.idle();
      const requests = l.seen.slice(2).filter((s) => s.type === 'DHCPREQUEST');
      assert.ok(
        requests.some((s) => s.to === SERVER && s.ciaddr === LEASED),
        'RENEWING unicast',
      );
      assert.ok(
        requests.some((s) => s.to === '255.255.255.255' && s.from === LEASED && s.ciaddr === LEASED),
        `REBINDING broadcast from ${LEASED}: ${JSON.stringify(requests)}`,
      );
      assert.ok(c.states.includes('REBINDING'));
      assert.ok(types(l).slice(-1)[0] === 'DHCPDISCOVER', 'back to DISCOVER after expiry');
      assert.equal(c.address(), null);
    } finally {
      await c.stop();
    }
  });

  test(`${fe.name}: the carrier goes and comes back: INIT-REBOOT verifies the lease (RFC 2131 §3.2)`, async () => {
    const l = lan();
    const c = await fe.start(l);
    try {
      await run(l.clock, 3000);
      assert.equal(c.state(), 'BOUND');
      l.nic.setCarrier(false);
      await run(l.clock, 1000);
      l.nic.setCarrier(true);
      await run(l.clock, 3000);
      const reboot = l.seen[2];
      assert.equal(reboot?.type, 'DHCPREQUEST');
      assert.equal(reboot?.to, '255.255.255.255');
      assert.equal(reboot?.ciaddr, '0.0.0.0');
      assert.equal(reboot?.requested, LEASED, 'option 50: the address held');
      assert.equal(reboot?.serverId, undefined, 'no option 54 in INIT-REBOOT');
      assert.deepEqual(c.states.slice(-3), ['INIT-REBOOT', 'REBOOTING', 'BOUND']);
    } finally {
      await c.stop();
    }
  });
}

// ---- the driver's own surface ----------------------------------------------------------------------------

test('driver: pollAt() is the engine deadline (T1 once bound); process() takes replies from the server port only', async () => {
  const l = lan();
  const engine = new DhcpClientEngine({ hwAddress: MAC, arpProbe: false, retransmit: RETRANSMIT });
  const done: string[] = [];
  const driver = new ClientDriver({
    engine,
    transport: l.client,
    scheduler: l.clock,
    interface: 'eth0',
    perform: (a) => void done.push(a.type === 'event' ? a.event.type : a.type),
  });
  try {
    assert.equal(driver.pollAt(), null, 'stopped: nothing to wait for');
    driver.command((now) => engine.start(now));
    assert.equal(engine.stateName, 'SELECTING');
    assert.equal(driver.pollAt(), l.clock.now() + 1000, "the DISCOVER's retransmission (-T 1)");
    await run(l.clock, 1000);
    assert.equal(engine.stateName, 'BOUND');
    assert.equal(driver.pollAt(), engine.lease?.renewAt);
    assert.equal(engine.lease?.renewAt, engine.lease!.obtainedAt + 300_000);
    const before = engine.stats;
    // A datagram from another port than the server's (67) never reaches the engine.
    driver.process(Uint8Array.of(1, 2, 3), { interface: undefined, sourcePort: 6767 });
    driver.process(Uint8Array.of(1, 2, 3), { interface: { name: 'eth1', index: 2 }, sourcePort: 67 });
    assert.deepEqual(engine.stats, before);
    driver.process(Uint8Array.of(1, 2, 3), { interface: { name: 'eth0', index: 1 }, sourcePort: 67 });
    assert.notDeepEqual(engine.stats, before, 'the engine counted the bogus reply');
    assert.ok(done.includes('configure') && done.includes('lease-acquired'), done.join(','));
  } finally {
    await driver.stop();
  }
});

// ---- the runtime alone: udhcpc's events, status, statistics, the control socket, the lease file --------

test('runtime: udhcpc events in order, status and statistics, control socket', async () => {
  const l = lan();
  const { rt, recorder: rec, seen, stop } = await startRuntime(l);
  const dir = mkdtempSync(join(tmpdir(), 'lk-client-ctl-'));
  const control = await ClientControlServer.listen(join(dir, 'ctl.sock'), rt);
  try {
    await run(l.clock, 3000);
    assert.deepEqual(rec.events, ['deconfig', 'bound']);
    assert.equal(rec.calls[1]?.env['ip'], LEASED);
    assert.equal(rec.calls[1]?.env['mask'], '24');
    assert.equal(rec.calls[1]?.lease?.routers[0], SERVER);
    // the runtime's ARP probe answered before the engine's own deadline
    assert.equal(seen.filter((e) => e.type === 'probe-timeout').length, 0);

    const status = (await sendUnix(control.path, { command: 'status' })) as {
      result: number;
      arguments: { state: string; interface: string; renewIn: number; expiresIn: number; hwAddress: string };
    };
    assert.equal(status.result, 0);
    assert.equal(status.arguments.state, 'BOUND');
    assert.equal(status.arguments.interface, 'eth0');
    assert.equal(status.arguments.hwAddress, MAC);
    assert.ok(status.arguments.renewIn > 290 && status.arguments.renewIn <= 300);
    assert.ok(status.arguments.expiresIn > 590 && status.arguments.expiresIn <= 600);

    // subscribe: the answer line, then the events of a renew
    const sub = createConnection(control.path);
    sub.setEncoding('utf8');
    let text = '';
    sub.on('data', (d: string) => (text += d));
    sub.write(JSON.stringify({ command: 'subscribe' }));
    for (let i = 0; i < 100 && !text.includes('\n'); i++) await new Promise((r) => setTimeout(r, 5));
    const renew = (await sendUnix(control.path, { command: 'renew' })) as { result: number };
    assert.equal(renew.result, 0);
    await run(l.clock, 500);
    for (let i = 0; i < 100 && !text.includes('lease-renewed'); i++)
      await new Promise((r) => setTimeout(r, 5));
    const lines = text.trim().split('\n');
    assert.match(lines[0] ?? '', /"result":0/);
    const kinds = lines.slice(1).map((x) => (JSON.parse(x) as { type: string }).type);
    assert.ok(kinds.includes('sent') && kinds.includes('lease-renewed'), kinds.join(','));
    sub.end();
    assert.deepEqual(rec.events, ['deconfig', 'bound', 'renew']);

    const stats = (await sendUnix(control.path, { command: 'statistics' })) as {
      arguments: {
        sent: Record<string, number>;
        received: Record<string, number>;
        renewed: number;
        transportDrops: object;
        errors: number;
      };
    };
    assert.equal(stats.arguments.sent['DHCPDISCOVER'], 1);
    assert.equal(stats.arguments.sent['DHCPREQUEST'], 2);
    assert.equal(stats.arguments.received['DHCPACK'], 2);
    assert.equal(stats.arguments.renewed, 1);
    assert.deepEqual(stats.arguments.transportDrops, {});
    assert.equal(stats.arguments.errors, 0);
    const unknown = (await sendUnix(control.path, { command: 'reboot' })) as { result: number; text: string };
    assert.equal(unknown.result, 2);
    assert.match(unknown.text, /Commands: status, renew/, 'an unknown command is answered with the list');
    assert.equal(statSync(control.path).mode & 0o777, 0o600, 'the socket is for its owner only');
    const big = (await sendUnix(control.path, {
      command: 'status',
      arguments: { pad: 'x'.repeat(70_000) },
    })) as {
      result: number;
      text: string;
    };
    assert.deepEqual(big, { result: 1, text: 'Command too large: more than 65536 bytes.' });

    const rel = (await sendUnix(control.path, { command: 'release' })) as { result: number };
    assert.equal(rel.result, 0);
    await run(l.clock, 100);
    assert.equal(rt.engine.stateName, 'RELEASED');
    assert.deepEqual(rec.events, ['deconfig', 'bound', 'renew', 'deconfig']);
  } finally {
    await control.close();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: a NAK on renew runs the script with nak (and its message) then deconfig', async () => {
  const l = lan();
  const c = await startRuntime(l);
  try {
    await run(l.clock, 3000);
    l.renewReply = MessageType.NAK;
    c.renew();
    await run(l.clock, 6000);
    assert.deepEqual(c.recorder.events, ['deconfig', 'bound', 'nak', 'deconfig', 'bound']);
    assert.equal(c.recorder.calls[2]?.env['message'], 'go away');
    assert.equal(c.rt.engine.stats.naks, 1);
  } finally {
    await c.stop();
  }
});

test('runtime: failures count in status; the failed deconfig is not retried', async () => {
  const l = lan();
  const realSend = l.client.send.bind(l.client);
  let failures = 2;
  l.client.send = (d) => (failures-- > 0 ? Promise.reject(new Error('ENOBUFS')) : realSend(d));
  const c = await startRuntime(l, { failFirstApply: true });
  try {
    await run(l.clock, 6000);
    assert.equal(c.rt.status().errors, 3);
    assert.deepEqual(c.recorder.events, ['deconfig', 'bound']);
    assert.deepEqual(
      c.seen.flatMap((e) => (e.type === 'error' ? [e.code] : [])),
      ['ERR_CLIENT_APPLY', 'ERR_CLIENT_SEND', 'ERR_CLIENT_SEND'],
    );
  } finally {
    await c.stop();
  }
});

test('runtime: a failing bound is reported as such in status and on the control socket until a renewal applies', async () => {
  const l = lan();
  const { rt, recorder: rec, seen, stop } = await startRuntime(l);
  const dir = mkdtempSync(join(tmpdir(), 'lk-cv-'));
  const control = await ClientControlServer.listen(join(dir, 'c.sock'), rt);
  try {
    await run(l.clock, 100); // the start's deconfig
    rec.failNext = true; // the bound
    await run(l.clock, 3000);
    assert.equal(rt.engine.stateName, 'BOUND');
    const st = rt.status();
    assert.equal(st.configuration, 'failed');
    assert.equal(st.applyError?.event, 'bound');
    assert.equal(st.applyError?.address, LEASED);
    assert.match(st.applyError?.message ?? '', /bound 198\.18\.0\.10 not applied: ip: no such device/);
    const err = seen.find((e) => e.type === 'error');
    assert.match(err?.type === 'error' ? err.message : '', /not applied/);
    const answer = (await sendUnix(control.path, { command: 'status' })) as {
      arguments: { configuration: string; applyError: { code: string } };
    };
    assert.equal(answer.arguments.configuration, 'failed');
    assert.equal(answer.arguments.applyError.code, 'ERR_CLIENT_APPLY');
    rt.renew();
    await run(l.clock, 1000);
    assert.deepEqual(rec.events, ['deconfig', 'bound', 'renew']);
    assert.equal(rt.status().configuration, 'applied');
    assert.equal(rt.status().applyError, null);
  } finally {
    await control.close();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: inform on the control socket: refused without an address or with a bad one, the answer as an event', async () => {
  const l = lan();
  const { rt, seen, stop } = await startRuntime(l);
  const dir = mkdtempSync(join(tmpdir(), 'lk-cv-'));
  const control = await ClientControlServer.listen(join(dir, 'c.sock'), rt);
  try {
    const early = (await sendUnix(control.path, { command: 'inform' })) as { result: number; text: string };
    assert.equal(early.result, 1);
    assert.match(early.text, /needs an address/);
    await run(l.clock, 3000);
    const bad = (await sendUnix(control.path, {
      command: 'inform',
      arguments: { address: 'x\ny' },
    })) as { result: number };
    assert.equal(bad.result, 1);
    const ok = (await sendUnix(control.path, { command: 'inform' })) as { result: number };
    assert.equal(ok.result, 0);
    await run(l.clock, 500);
    const ack = seen.find((e) => e.type === 'inform-ack');
    assert.equal(ack?.type === 'inform-ack' ? ack.env['dns'] : null, '198.18.0.53');
    assert.equal(rt.engine.stateName, 'BOUND');
  } finally {
    await control.close();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: the ARP probe finds the address in use: the decline event, DHCPDECLINE sent, no bound script', async () => {
  const l = lan({ squatter: true });
  const c = await startRuntime(l);
  try {
    await run(l.clock, 3000);
    assert.ok(c.seen.some((e) => e.type === 'decline' && e.address === LEASED));
    assert.ok(c.seen.some((e) => e.type === 'sent' && e.message === 'DHCPDECLINE'));
    assert.deepEqual(c.recorder.events, ['deconfig']);
    assert.equal(c.rt.engine.stats.declines, 1);
  } finally {
    await c.stop();
  }
});

test('runtime: a silent server: the sent events, expiry deconfigures, leasefail after, the lease file forgotten', async () => {
  const l = lan();
  const dir = mkdtempSync(join(tmpdir(), 'lk-client-exp-'));
  const leaseFile = join(dir, 'lease.json');
  const c = await startRuntime(l, { leaseFile, applyToNic: false });
  try {
    await run(l.clock, 3000);
    await c.idle();
    assert.equal(existsSync(leaseFile), true);
    await l.server.close(); // nobody answers any more
    await run(l.clock, 605_000, 1000);
    await c.idle();
    const sends = c.seen.flatMap((e) => (e.type === 'sent' && e.message === 'DHCPREQUEST' ? [e] : []));
    assert.ok(
      sends.some((e) => e.to === SERVER && e.from === LEASED),
      'RENEWING unicast',
    );
    assert.ok(
      sends.some((e) => e.to === '255.255.255.255' && e.from === LEASED),
      'REBINDING broadcast',
    );
    assert.ok(c.seen.some((e) => e.type === 'lease-expired'));
    // then DISCOVERs that nobody answers: udhcpc's leasefail, again and again
    assert.deepEqual(c.recorder.events.slice(0, 3), ['deconfig', 'bound', 'deconfig']);
    assert.ok(c.recorder.events.slice(3).every((e) => e === 'leasefail'));
    assert.equal(existsSync(leaseFile), false);
    assert.equal(c.rt.engine.stats.expirations, 1);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime: carrier loss and return are published as link events', async () => {
  const l = lan();
  const c = await startRuntime(l);
  try {
    await run(l.clock, 3000);
    l.nic.setCarrier(false);
    await run(l.clock, 100);
    l.nic.setCarrier(true);
    await run(l.clock, 100);
    const links = c.seen.flatMap((e) => (e.type === 'link' ? [e.carrier] : []));
    assert.deepEqual(links, [false, true]);
  } finally {
    await c.stop();
  }
});

// ---- the library alone: typed events and promises --------------------------------------------------------

test('library: typed events of a DORA, a NAK and a release, each once and in order', async () => {
  const l = lan();
  const c = await startLibrary(l);
  const log: string[] = [];
  c.client.on('bound', (x) => log.push(`bound ${x.address}/${x.prefixLength} ${x.routers.join(',')}`));
  c.client.on('renewed', (x) => log.push(`renewed ${x.address}`));
  c.client.on('nak', (x) => log.push(`nak ${x.serverIdentifier} ${x.message}`));
  c.client.on('released', (x) => log.push(`released ${x.address}`));
  try {
    const bound = c.client.bound();
    await run(l.clock, 3000);
    assert.equal((await settled(bound)).address, LEASED);
    const renewed = c.client.renew();
    await run(l.clock, 500);
    assert.equal((await settled(renewed)).address, LEASED);
    l.renewReply = MessageType.NAK;
    c.renew();
    await run(l.clock, 6000);
    await c.client.release();
    assert.deepEqual(c.applied, [
      `configure ${LEASED}/24`,
      `configure ${LEASED}/24`,
      `deconfigure ${LEASED}`,
      `configure ${LEASED}/24`,
      `deconfigure ${LEASED}`,
    ]);
    assert.deepEqual(log, [
      `bound ${LEASED}/24 ${SERVER}`,
      `renewed ${LEASED}`,
      `nak ${SERVER} go away`,
      `bound ${LEASED}/24 ${SERVER}`,
      `released ${LEASED}`,
    ]);
  } finally {
    await c.stop();
  }
});

test('library: bound() times out in virtual time without a server; stop() ends a wait with ERR_DHCP_STOPPED', async () => {
  const l = lan();
  l.silent = true;
  const c = await startLibrary(l);
  const failed: number[] = [];
  c.client.on('leasefail', (x) => failed.push(x.retryAt));
  try {
    const timedOut = assert.rejects(
      c.client.bound(5000),
      (e: unknown) => e instanceof DhcpLibraryError && e.code === 'ERR_DHCP_TIMEOUT',
    );
    await run(l.clock, 5000);
    await settled(timedOut);
    assert.ok(failed.length >= 1, 'leasefail after the DISCOVERs went unanswered');
    const pending = c.client.bound();
    await c.stop();
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof DhcpLibraryError && e.code === 'ERR_DHCP_STOPPED',
    );
    assert.throws(
      () => c.client.renew(),
      (e: unknown) => e instanceof DhcpLibraryError && e.code === 'ERR_DHCP_STOPPED',
    );
  } finally {
    await c.stop();
  }
});

test('library: over a plain UDP socket (no frames of its own) the source address is not named, and DORA works', async () => {
  const l = lan();
  const sent: (string | undefined)[] = [];
  // What a UdpTransport does: it cannot choose the source address, and refuses to be asked.
  const plain = new EmbeddedTransport({
    port: 68,
    capabilities: { broadcastWithoutRoute: false },
    send: (d) => {
      sent.push(d.sourceIp);
      if (d.sourceIp !== undefined) throw new Error('the udp transport cannot choose interface or source IP');
      return l.client.send(d);
    },
  });
  l.client.on('message', (data, meta) => plain.deliver(data, meta));
  const client = await (
    await createDhcp(plain)
  ).client({ mac: MAC, scheduler: l.clock, retransmit: RETRANSMIT });
  const errors: unknown[] = [];
  client.on('error', (e) => errors.push(e));
  try {
    const bound = client.bound();
    await run(l.clock, 3000);
    assert.equal((await settled(bound)).address, LEASED);
    assert.deepEqual(errors, []);
    assert.deepEqual(sent, [undefined, undefined]);
  } finally {
    await client.stop();
  }
});
