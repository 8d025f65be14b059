/**
 * The client runtime on the virtual network in virtual time (no root needed): a tiny server on another
 * virtual host, a recording applier, the control socket. DORA and the udhcpc events in order, status and
 * statistics, subscribe, renew answered by a NAK (nak then deconfig, then a new DORA), failing sends
 * reported as errors without a crash, an applier failure reported and the client going on.
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
  messageTypeOf,
} from '../../src/protocol/index.ts';
import { VirtualClock, VirtualNetwork, type VirtualTransport } from '../../src/transport/index.ts';
import { sendUnix } from '../../src/control/client.ts';
import {
  ClientControlServer,
  ClientRuntime,
  ClientRuntimeError,
  type ApplyRequest,
  type LeaseApplier,
  type TimedEvent,
} from '../../src/runtime/client/index.ts';

const MAC = '02:00:5e:00:00:07';

interface Lan {
  clock: VirtualClock;
  server: VirtualTransport;
  client: VirtualTransport;
  /** What the server answers REQUESTs in RENEWING (ciaddr set) with. */
  renewReply: { value: number };
}

function lan(opts: { squatter?: boolean } = {}): Lan {
  const clock = new VirtualClock(1_800_000_000_000);
  const net = new VirtualNetwork({ seed: 7, scheduler: clock });
  const link = net.createLink('lan');
  const s = net.createHost('server');
  s.attach(link, { ifname: 'eth0', mac: '02:00:5e:00:00:01', addresses: ['198.18.0.1/24'] });
  const c = net.createHost('client');
  c.attach(link, { ifname: 'eth0', mac: MAC });
  if (opts.squatter === true) {
    // a host already using the address the server hands out: it answers ARP for it
    net.createHost('squatter').attach(link, { ifname: 'eth0', addresses: ['198.18.0.10/24'] });
  }
  const server = s.openTransport({ port: 67 });
  const renewReply: { value: number } = { value: MessageType.ACK };
  server.on('message', (data) => {
    const req = decodeMessage(data);
    const type = messageTypeOf(req);
    let reply: number = type === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK;
    if (type === MessageType.REQUEST && req.ciaddr !== '0.0.0.0') reply = renewReply.value;
    if (type === MessageType.INFORM) {
      // RFC 2131 §4.3.5: an ACK without lease time or yiaddr.
      const ack = createMessage({
        op: BOOTREPLY,
        xid: req.xid,
        chaddr: req.chaddr.subarray(0, 6),
        ciaddr: req.ciaddr,
      });
      ack.options.set('dhcp-message-type', MessageType.ACK);
      ack.options.set('dhcp-server-identifier', '198.18.0.1');
      ack.options.set('domain-name-servers', ['198.18.0.53']);
      void server.send({ data: encodeMessage(ack), ip: '255.255.255.255', port: 68, interface: 'eth0' });
      return;
    }
    if (type !== MessageType.DISCOVER && type !== MessageType.REQUEST) return;
    const m = createMessage({
      op: BOOTREPLY,
      xid: req.xid,
      chaddr: req.chaddr.subarray(0, 6),
      yiaddr: reply === MessageType.NAK ? '0.0.0.0' : '198.18.0.10',
    });
    m.options.set('dhcp-message-type', reply);
    m.options.set('dhcp-server-identifier', '198.18.0.1');
    if (reply !== MessageType.NAK) {
      m.options.set('dhcp-lease-time', 600);
      m.options.set('subnet-mask', '255.255.255.0');
      m.options.set('routers', ['198.18.0.1']);
    } else m.options.set('dhcp-message', 'go away');
    void server.send({ data: encodeMessage(m), ip: '255.255.255.255', port: 68, interface: 'eth0' });
  });
  return { clock, server, client: c.openTransport({ port: 68 }), renewReply };
}

class Recorder implements LeaseApplier {
  readonly calls: ApplyRequest[] = [];
  failNext = false;
  apply(req: ApplyRequest): Promise<{ exitCode: number }> {
    this.calls.push(req);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new ClientRuntimeError('ERR_CLIENT_APPLY', 'ip: no such device'));
    }
    return Promise.resolve({ exitCode: 0 });
  }
  get events(): string[] {
    return this.calls.map((c) => c.event);
  }
}

/** Lets virtual time and the runtime's promise chain run, in bounded steps. */
async function run(clock: VirtualClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
  }
}

async function start(
  l: Lan,
  applier: LeaseApplier,
  leaseFile?: string,
): Promise<{ rt: ClientRuntime; seen: TimedEvent[] }> {
  const rt = await ClientRuntime.start({
    ...(leaseFile === undefined ? {} : { leaseFile }),
    interface: 'eth0',
    scheduler: l.clock,
    applier,
    openTransport: () => Promise.resolve(l.client),
    arpProbeMs: 100,
    client: { hwAddress: MAC, retransmit: { kind: 'udhcpc', retries: 3, timeoutMs: 1000, tryAgainMs: 2000 } },
  });
  const seen: TimedEvent[] = [];
  rt.onEvent((e) => seen.push(e));
  return { rt, seen };
}

test('virtual DORA: udhcpc events in order, ARP probe, status and statistics, control socket', async () => {
  const l = lan();
  const rec = new Recorder();
  const { rt, seen } = await start(l, rec);
  const dir = mkdtempSync(join(tmpdir(), 'lk-client-ctl-'));
  const control = await ClientControlServer.listen(join(dir, 'ctl.sock'), rt);
  try {
    await run(l.clock, 3000);
    assert.deepEqual(rec.events, ['deconfig', 'bound']);
    assert.equal(rec.calls[1]?.env['ip'], '198.18.0.10');
    assert.equal(rec.calls[1]?.env['mask'], '24');
    assert.equal(rec.calls[1]?.lease?.routers[0], '198.18.0.1');
    const states = seen.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.to : ''));
    assert.deepEqual(states, ['INIT', 'SELECTING', 'REQUESTING', 'BOUND']);
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
    const types = lines.slice(1).map((x) => (JSON.parse(x) as { type: string }).type);
    assert.ok(types.includes('sent') && types.includes('lease-renewed'), types.join(','));
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
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('virtual: a NAK on renew runs nak then deconfig, and a new DORA binds again', async () => {
  const l = lan();
  const rec = new Recorder();
  const { rt } = await start(l, rec);
  try {
    await run(l.clock, 3000);
    l.renewReply.value = MessageType.NAK;
    rt.renew();
    await run(l.clock, 6000);
    assert.deepEqual(rec.events, ['deconfig', 'bound', 'nak', 'deconfig', 'bound']);
    assert.equal(rec.calls[2]?.env['message'], 'go away');
    assert.equal(rt.engine.stats.naks, 1);
  } finally {
    await rt.stop();
  }
});

test('virtual: failing sends and a failing applier are reported as errors; the client carries on', async () => {
  const l = lan();
  const rec = new Recorder();
  rec.failNext = true; // the first deconfig
  const realSend = l.client.send.bind(l.client);
  let failures = 2;
  l.client.send = (d) => (failures-- > 0 ? Promise.reject(new Error('ENOBUFS')) : realSend(d));
  const { rt, seen } = await start(l, rec);
  try {
    await run(l.clock, 6000);
    const errors = seen.filter((e) => e.type === 'error');
    assert.equal(errors.length, 3, JSON.stringify(errors));
    assert.equal(rt.status().errors, 3);
    assert.equal(rt.engine.stateName, 'BOUND');
    assert.deepEqual(rec.events, ['deconfig', 'bound']);
  } finally {
    await rt.stop();
  }
});

test('virtual: a failing bound is reported as such in status and on the control socket until a renewal applies', async () => {
  const l = lan();
  const rec = new Recorder();
  const { rt, seen } = await start(l, rec);
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
    assert.equal(st.applyError?.address, '198.18.0.10');
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
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('virtual: inform on the control socket: a DHCPINFORM for the bound address, the answer as an event', async () => {
  const l = lan();
  const { rt, seen } = await start(l, new Recorder());
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
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('virtual: the ARP probe finds the address in use: DECLINE, no bound event, a pause', async () => {
  const l = lan({ squatter: true });
  const rec = new Recorder();
  const { rt, seen } = await start(l, rec);
  try {
    await run(l.clock, 3000);
    assert.ok(seen.some((e) => e.type === 'decline' && e.address === '198.18.0.10'));
    assert.ok(seen.some((e) => e.type === 'sent' && e.message === 'DHCPDECLINE'));
    assert.deepEqual(rec.events, ['deconfig']);
    assert.equal(rt.engine.stats.declines, 1);
    assert.equal(rt.engine.stateName, 'INIT');
  } finally {
    await rt.stop();
  }
});

test('virtual: a silent server: RENEWING unicast, REBINDING broadcast from our address, expiry deconfigures and forgets the lease', async () => {
  const l = lan();
  const rec = new Recorder();
  const dir = mkdtempSync(join(tmpdir(), 'lk-client-exp-'));
  const leaseFile = join(dir, 'lease.json');
  const { rt, seen } = await start(l, rec, leaseFile);
  try {
    await run(l.clock, 3000);
    await rt.idle();
    assert.equal(existsSync(leaseFile), true);
    await l.server.close(); // nobody answers any more
    // 600 s lease: T1 300 s, T2 525 s, expiry 600 s; a few seconds more to let the runtime act
    await run(l.clock, 605_000, 1000);
    await rt.idle();
    const sends = seen.flatMap((e) => (e.type === 'sent' && e.message === 'DHCPREQUEST' ? [e] : []));
    assert.ok(
      sends.some((e) => e.to === '198.18.0.1' && e.from === '198.18.0.10'),
      'RENEWING unicast',
    );
    assert.ok(
      sends.some((e) => e.to === '255.255.255.255' && e.from === '198.18.0.10'),
      'REBINDING broadcast',
    );
    assert.ok(seen.some((e) => e.type === 'lease-expired'));
    // then DISCOVERs that nobody answers: udhcpc's leasefail, again and again
    assert.deepEqual(rec.events.slice(0, 3), ['deconfig', 'bound', 'deconfig']);
    assert.ok(rec.events.slice(3).every((e) => e === 'leasefail'));
    assert.equal(existsSync(leaseFile), false);
    assert.equal(rt.engine.stats.expirations, 1);
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
