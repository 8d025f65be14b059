// The control channel of a real `leasekeeper serve` while it serves DHCP (issue 5): bad control input over
// the UNIX socket and HTTP during a perfdhcp run, config-set during a perfdhcp run, and Kea's own tools
// (kea-shell, socat) against the running server. Only what cannot vary with the machine's load is asserted
// (every control request answered, no ACKed lease lost, DHCP still answered); how many exchanges perfdhcp
// loses with and without control traffic is measured by bench/control-under-load.ts
// (docs/control-under-load.md).
//
//   load (198.18.0.2/16, perfdhcp as a relay) --+
//   cli  (udhcpc, no address)                  --+-- br (bridge) -- srv (198.18.0.1/16, leasekeeper serve,
//                                                                   control HTTP on its own 127.0.0.1:8000)
//
// The HTTP listener is on the server namespace's loopback; a socat in that namespace forwards a UNIX socket
// in the lab's directory to it, so this process can talk HTTP (and hold idle connections) from outside.
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createLab, processAlive, type Lab, type LabProcess, type Netns } from '../lab/netns.ts';
import { startUdhcpc } from '../lab/peers.ts';
import {
  eventually,
  leasesOf,
  runPerfdhcp,
  startLeasekeeper,
  type KeaAnswer,
  type Leasekeeper,
} from './harness.ts';

const { after, before, test } = requiring('root', 'ip', 'busybox', 'perfdhcp', 'kea-shell', 'socat', 'curl');

const SERVER_IP = '198.18.0.1';
const HTTP_PORT = 8000;
const POOL = '198.18.1.0 - 198.18.255.254';
const DHCP4 = {
  'valid-lifetime': 3600,
  'control-sockets': [{ 'socket-type': 'http', 'socket-address': '127.0.0.1', 'socket-port': HTTP_PORT }],
  subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: POOL }] }],
};
/** perfdhcp: offered rate and length of each run, far below what the server sustains (docs/server.md). */
const RATE = Number(process.env['CONTROL_LOAD_RATE'] ?? 200);
const SECONDS = 5;
/** The server's log line for an ACK, written after the lease is committed. */
const ACK_LINE = /^\S+ DHCPREQUEST for \S+ from ([0-9a-f:]+) .*-> DHCPACK (198\.18\.\d+\.\d+) lease \d+s$/;

interface PerfRun {
  discoverSent: number;
  ackReceived: number;
  /** DISCOVERs that never became an ACK. */
  lost: number;
}

let lab: Lab;
let srv: Netns;
let load: Netns;
let cli: Netns;
let server: Leasekeeper;
/** The UNIX socket that socat forwards to the server's HTTP control listener. */
let httpSock: string;
let perfRuns = 0;
let lastRun: Promise<unknown> = Promise.resolve();

before(async () => {
  lab = await createLab('icl');
  srv = await lab.namespace('srv');
  load = await lab.namespace('load');
  cli = await lab.namespace('cli');
  await lab.bridge('br', [
    { ns: srv, ifname: 'eth0' },
    { ns: load, ifname: 'eth0' },
    { ns: cli, ifname: 'eth0' },
    { ns: cli, ifname: 'eth1' },
  ]);
  await srv.addAddress('eth0', `${SERVER_IP}/16`);
  // perfdhcp acts as a relay: it needs an address on the segment.
  await load.addAddress('eth0', '198.18.0.2/16');
  server = await startLeasekeeper(srv, { dhcp4: DHCP4 });
  httpSock = join(srv.dir, 'http.sock');
  srv.spawn('socat', [`UNIX-LISTEN:${httpSock},fork,mode=600`, `TCP:127.0.0.1:${HTTP_PORT}`]);
  await eventually(async () => (existsSync(httpSock) ? true : undefined), 10_000, 'the HTTP forwarder');
});

after(async () => {
  await lab?.close();
});

/** One bounded perfdhcp run with fresh client MACs (a new base per run), waiting 1 s for late answers. */
function perfdhcp(): Promise<PerfRun> {
  // A test that failed mid-run leaves its perfdhcp running (bounded by -p): the next waits for it, as both
  // bind port 67 on the same address.
  const run = lastRun.then(startPerfdhcp, startPerfdhcp);
  lastRun = run;
  return run;
}

async function startPerfdhcp(): Promise<PerfRun> {
  perfRuns += 1;
  const base = `02:${perfRuns.toString(16).padStart(2, '0')}:00:00:00:00`;
  const r = await runPerfdhcp(load, { rate: RATE, maxRate: 1000, seconds: SECONDS, macBase: base });
  // perfdhcp exits 3 when packets were dropped; its statistics are what counts.
  const section = (name: string): string => r.stdout.split(`***Statistics for: ${name}***`)[1] ?? '';
  const num = (text: string, label: string): number => {
    const m = new RegExp(`${label}: (\\d+)`).exec(text);
    assert.ok(m, `perfdhcp printed no "${label}":\n${r.stdout}${r.stderr}`);
    return Number(m[1]);
  };
  const discoverSent = num(section('DISCOVER-OFFER'), 'sent packets');
  const ackReceived = num(section('REQUEST-ACK'), 'received packets');
  return { discoverSent, ackReceived, lost: discoverSent - ackReceived };
}

/**
 * Connects to a UNIX socket, sends `bytes` (ending the write side when `halfClose`), and resolves to everything
 * the server sent before it closed the connection; after 30 s it fails with `timeoutMessage`.
 */
function untilClosed(
  path: string,
  timeoutMessage: string,
  bytes: string | Buffer = '',
  halfClose = false,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const parts: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(timeoutMessage));
    }, 30_000);
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(Buffer.concat(parts).toString('utf8'));
    });
    if (bytes.length > 0) socket.write(bytes);
    if (halfClose) socket.end();
  });
}

/** Raw bytes to the UNIX control socket; resolves to everything the server sent before it closed. */
function rawUnix(bytes: string | Buffer, halfClose = false): Promise<string> {
  return untilClosed(
    server.socket,
    'the control socket neither answered nor closed within 30 s',
    bytes,
    halfClose,
  );
}

async function unixAnswer(bytes: string | Buffer): Promise<KeaAnswer> {
  const text = await rawUnix(bytes);
  return JSON.parse(text) as KeaAnswer;
}

interface HttpReply {
  status: number;
  body: unknown;
}

/** A POST to the server's HTTP control listener (through the forwarder). */
function httpPost(body: string | Buffer, contentType = 'application/json'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: httpSock,
        path: '/',
        method: 'POST',
        headers: { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no HTTP answer within 30 s')));
    req.on('error', (err) => reject(new Error(`POST ${body.slice(0, 60).toString()}: ${err.message}`)));
    req.end(body);
  });
}

/** Connects to the HTTP listener, sends nothing, and resolves once the server has closed the connection. */
function idleHttp(): Promise<string> {
  return untilClosed(httpSock, 'an idle HTTP connection was still open after 30 s');
}

const cmd = (command: string, args?: unknown, service?: string[]): string =>
  JSON.stringify({
    command,
    ...(args === undefined ? {} : { arguments: args }),
    ...(service ? { service } : {}),
  });

async function statistic(name: string): Promise<number> {
  const a = await server.ctl('statistic-get', { name });
  assert.equal(a.result, 0, JSON.stringify(a));
  const samples = (a.arguments?.[name] ?? []) as [number, string][];
  return samples[0]?.[0] ?? 0;
}

/**
 * Collects what a process prints from now on. The lab keeps only the last 0.5-1 MB of a process's output, less
 * than a few runs of ACK lines, so the output is polled often and followed across that truncation by its last
 * 4 KB (timestamps and MACs make them unique).
 */
function logTail(proc: LabProcess): { stop(): string } {
  const ANCHOR = 4096;
  let seen = proc.output();
  const chunks: string[] = [];
  let lost = false;
  const poll = (): void => {
    const now = proc.output();
    const anchor = seen.slice(-ANCHOR);
    const at = anchor === '' ? 0 : now.lastIndexOf(anchor);
    if (at < 0) lost = true;
    else chunks.push(now.slice(at + anchor.length));
    seen = now;
  };
  const timer = setInterval(poll, 100);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      assert.ok(!lost, 'lost track of the server output (polled too rarely)');
      return chunks.join('');
    },
  };
}

/** (address, MAC) of every ACK the server logged in `text`, last ACK per address wins. */
function ackedIn(text: string): Map<string, string> {
  const acked = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = ACK_LINE.exec(line);
    if (m) acked.set(m[2] as string, m[1] as string);
  }
  return acked;
}

/** Every logged ACK is an active lease of the same client in the store; no address or client twice. */
async function assertNoLeaseLost(acked: Map<string, string>): Promise<number> {
  const leases = await leasesOf(server);
  const byAddress = new Map(leases.map((l) => [l['ip-address'], l]));
  assert.equal(byAddress.size, leases.length, 'an address is leased twice');
  const lost: string[] = [];
  for (const [address, mac] of acked) {
    const l = byAddress.get(address);
    if (l === undefined || l['hw-address'] !== mac || l.state !== 0)
      lost.push(`${address} ${mac}: ${JSON.stringify(l)}`);
  }
  assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged leases lost`);
  const active = leases.filter((l) => l.state === 0);
  assert.equal(new Set(active.map((l) => l['hw-address'])).size, active.length, 'a client holds two leases');
  return leases.length;
}

/** Every kind of bad input, once, over both transports; each answer checked. */
async function badInputRound(big: string, bigFile: string): Promise<void> {
  // UNIX socket
  const malformed = await unixAnswer('{"command": "status-get" "arguments": {}}');
  assert.equal(malformed.result, 1);
  assert.match(malformed.text ?? '', /JSON/);
  assert.deepEqual(await unixAnswer('garbage'), { result: 1, text: 'invalid first character g' });
  assert.deepEqual(await unixAnswer(cmd('no-such-command')), {
    result: 2,
    text: "'no-such-command' command not supported.",
  });
  assert.deepEqual(await unixAnswer(cmd('leases-reclaim')), {
    result: 1,
    text: "Missing mandatory 'remove' parameter.",
  });
  assert.deepEqual(await unixAnswer(cmd('leases-reclaim', { remove: 'yes' })), {
    result: 1,
    text: "'remove' parameter expected to be a boolean.",
  });
  assert.deepEqual(await unixAnswer(cmd('statistic-get', { name: 5 })), {
    result: 1,
    text: "'name' parameter expected to be a string.",
  });
  assert.deepEqual(await unixAnswer('{"arguments": {}}'), {
    result: 1,
    text: "Error during command processing: Invalid answer specified, does not contain mandatory 'command'",
  });
  assert.deepEqual(await unixAnswer(big), { result: 1, text: 'Command too large: more than 1048576 bytes.' });
  assert.deepEqual(JSON.parse(await rawUnix('{"command": "status-get"', true)), {
    result: 1,
    text: 'Incomplete command: the connection was closed before a whole JSON value arrived.',
  });

  // HTTP (Control Agent shape)
  assert.deepEqual(await httpPost('{"command": "status-get" "service": ["dhcp4"]}'), {
    status: 400,
    body: { result: 400, text: 'Bad Request' },
  });
  assert.deepEqual(await httpPost(cmd('status-get', undefined, ['dhcp4']), 'text/plain'), {
    status: 400,
    body: { result: 400, text: 'Bad Request' },
  });
  assert.deepEqual(await httpPost(cmd('no-such-command', undefined, ['dhcp4'])), {
    status: 200,
    body: [{ result: 2, text: "'no-such-command' command not supported." }],
  });
  assert.deepEqual(await httpPost(cmd('leases-reclaim', undefined, ['dhcp4'])), {
    status: 200,
    body: [{ result: 1, text: "Missing mandatory 'remove' parameter." }],
  });
  assert.deepEqual(await httpPost(cmd('leases-reclaim', { remove: 'yes' }, ['dhcp4'])), {
    status: 200,
    body: [{ result: 1, text: "'remove' parameter expected to be a boolean." }],
  });
  assert.deepEqual(await httpPost(cmd('status-get', undefined, ['dhcp6'])), {
    status: 200,
    body: [{ result: 1, text: 'forwarding socket is not configured for the server type dhcp6' }],
  });
  // The oversized body with curl inside the namespace, straight to the listener: through the forwarder, the
  // server's close after its early 413 can reset socat's connection before it relays the answer.
  const curl = await srv.run('curl', [
    '-sS',
    '-w',
    '\n%{http_code}',
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    `@${bigFile}`,
    `http://127.0.0.1:${HTTP_PORT}/`,
  ]);
  assert.equal(curl.code, 0, curl.stderr);
  const [curlBody, curlStatus] = curl.stdout.split('\n');
  assert.equal(curlStatus, '413');
  assert.deepEqual(JSON.parse(curlBody ?? ''), { result: 413, text: 'Request Entity Too Large' });
}

test('bad control input while serving DHCP: every request answered, DHCP keeps going', async (t) => {
  const parseFailedBefore = await statistic('pkt4-parse-failed');
  const big = cmd('config-test', { padding: 'x'.repeat(1024 * 1024 + 10) });
  const bigFile = join(srv.dir, 'big.json');
  writeFileSync(bigFile, big);

  let running = true;
  const run = perfdhcp().finally(() => (running = false));
  // Idle connections first: they are closed after the idle timeout (10 s, as Kea) while the rest runs.
  const unixIdle = rawUnix('');
  const httpIdle = idleHttp();
  // A half-sent command, then silence: answered with the timeout text too.
  const unixHalf = rawUnix('{"command": "status-get", "argu');

  // Undecodable datagrams to the DHCP port, from the load namespace: counted, not fatal.
  const junk = await load.run('sh', [
    '-c',
    `for i in 1 2 3 4 5; do head -c 300 /dev/zero | tr '\\0' '\\377' | socat -u - UDP4-SENDTO:${SERVER_IP}:67; done`,
  ]);
  assert.equal(junk.code, 0, junk.stderr);

  // Rounds of bad input for as long as perfdhcp runs (bounded).
  let rounds = 0;
  while (running && rounds < 500) {
    await badInputRound(big, bigFile);
    rounds += 1;
  }
  assert.ok(rounds >= 1);

  // The idle ones: closed, the UNIX one with Kea's answer.
  assert.deepEqual(JSON.parse(await unixIdle), {
    result: 1,
    text: 'Connection over control channel timed out',
  });
  assert.deepEqual(JSON.parse(await unixHalf), {
    result: 1,
    text: 'Connection over control channel timed out',
  });
  assert.equal(await httpIdle, '', 'an idle HTTP connection is closed without a response');

  const loaded = await run;
  t.diagnostic(`with ${rounds} rounds of bad input ${JSON.stringify(summary(loaded))}`);
  assert.ok(loaded.ackReceived > 0, 'no ACK during the bad input');
  assert.ok(processAlive(server.proc.pid), 'the server died');
  const status = await server.ctl('status-get');
  assert.equal(status.result, 0);
  assert.equal(status.arguments?.['pid'], server.proc.pid);
  assert.ok((await statistic('pkt4-parse-failed')) >= parseFailedBefore + 5, 'junk datagrams not counted');
  assert.ok((await statistic('pkt4-ack-sent')) >= loaded.ackReceived);
});

type Dhcp4Json = Record<string, unknown>;

async function runningDhcp4(): Promise<Dhcp4Json> {
  const a = await server.ctl('config-get');
  assert.equal(a.result, 0, JSON.stringify(a));
  return (a.arguments as { Dhcp4: Dhcp4Json }).Dhcp4;
}

test('config-set under DHCP load: every config-set answered, no ACKed lease lost', async (t) => {
  const tail = logTail(server.proc);
  const original = await runningDhcp4();
  // Same subnet and pool; lifetimes and options change each time.
  const variants = [1, 2, 3, 4, 5].map((i) => ({
    ...original,
    'valid-lifetime': 3600 + 100 * i,
    'option-data': [
      { name: 'domain-name-servers', data: `198.18.0.${10 + i}` },
      { name: 'domain-name', data: `v${i}.lab.example` },
    ],
  }));
  const run = perfdhcp();
  for (const [i, dhcp4] of variants.entries()) {
    await new Promise((r) => setTimeout(r, 600));
    // Alternate the transports: UNIX socket and HTTP.
    const answer =
      i % 2 === 0
        ? await server.ctl('config-set', { Dhcp4: dhcp4 })
        : ((await httpPost(cmd('config-set', { Dhcp4: dhcp4 }, ['dhcp4']))).body as KeaAnswer[])[0];
    assert.deepEqual(answer, { result: 0, text: 'Configuration successful.' });
  }
  const loaded = await run;
  const log = tail.stop();
  const ackLines = log.split('\n').filter((l) => ACK_LINE.test(l));
  const acked = ackedIn(log);
  const leases = await assertNoLeaseLost(acked);
  t.diagnostic(
    `with ${variants.length} config-sets ${JSON.stringify(summary(loaded))}; ` +
      `${ackLines.length} ACKs logged for ${acked.size} addresses, ${leases} leases in the store`,
  );
  // Every ACK perfdhcp received was logged (the log line follows the commit), and the run got some.
  assert.ok(loaded.ackReceived > 0);
  assert.ok(
    ackLines.length >= loaded.ackReceived,
    `${ackLines.length} ACK lines, ${loaded.ackReceived} ACKs`,
  );
  // The last configuration runs, and serves: the last ACKs carry its lifetime.
  const last = variants.at(-1) as Dhcp4Json;
  const running = await runningDhcp4();
  assert.equal(running['valid-lifetime'], last['valid-lifetime']);
  assert.deepEqual(
    (running['option-data'] as { name: string; data: string }[]).map((o) => [o.name, o.data]),
    [
      ['domain-name-servers', '198.18.0.15'],
      ['domain-name', 'v5.lab.example'],
    ],
  );
  assert.match(ackLines.at(-1) ?? '', / lease 4100s$/);
});

test('a refused config-set leaves the old configuration serving; kea-shell and socat see real leases', async () => {
  const before = await runningDhcp4();
  const hash = await server.ctl('config-hash-get');
  // A different pool, and a lifetime that is not a number: refused as a whole.
  const refused = await server.ctl('config-set', {
    Dhcp4: {
      ...before,
      'valid-lifetime': 'long',
      subnet4: [{ id: 1, subnet: '198.18.0.0/16', pools: [{ pool: '198.18.0.100 - 198.18.0.200' }] }],
    },
  });
  assert.equal(refused.result, 1);
  assert.match(refused.text ?? '', /valid-lifetime/);
  assert.deepEqual(await server.ctl('config-hash-get'), hash);
  assert.deepEqual(await runningDhcp4(), before);

  // Two real clients get addresses from the old pool, with the running lifetime.
  const clients = [startUdhcpc(cli, 'eth0'), startUdhcpc(cli, 'eth1')];
  const bound = await Promise.all(clients.map((c) => c.waitForBound(20_000)));
  const macs = await Promise.all([cli.mac('eth0'), cli.mac('eth1')]);
  for (const b of bound) {
    assert.match(
      b.address,
      /^198\.18\.([1-9]|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])\.\d+$/,
      'not from the old pool',
    );
    assert.equal(b.leaseTime, before['valid-lifetime']);
  }

  // kea-shell, over HTTP, inside the server's namespace.
  const shell = await srv.run(
    'kea-shell',
    ['--host', '127.0.0.1', '--port', String(HTTP_PORT), '--service', 'dhcp4', 'lease4-get-all'],
    { input: '' },
  );
  assert.equal(shell.code, 0, shell.stderr);
  const [answer] = JSON.parse(shell.stdout) as [
    {
      result: number;
      arguments: { leases: { 'ip-address': string; 'hw-address': string; state: number }[] };
    },
  ];
  assert.equal(answer.result, 0);
  for (const [i, b] of bound.entries()) {
    const l = answer.arguments.leases.find((x) => x['ip-address'] === b.address);
    assert.ok(l, `kea-shell does not list ${b.address}`);
    assert.equal(l['hw-address'], macs[i]);
    assert.equal(l.state, 0);
  }

  // socat on the UNIX socket, as Kea's documentation does it.
  const socat = await srv.run('socat', [`UNIX-CONNECT:${server.socket}`, '-'], {
    input: '{"command": "statistic-get-all"}',
  });
  assert.equal(socat.code, 0, socat.stderr);
  const stats = JSON.parse(socat.stdout) as { result: number; arguments: Record<string, [number, string][]> };
  assert.equal(stats.result, 0);
  assert.ok((stats.arguments['pkt4-ack-sent']?.[0]?.[0] ?? 0) > 0, 'pkt4-ack-sent is 0');

  await Promise.all(clients.map((c) => c.stop()));
});

function summary(r: PerfRun): { sent: number; acks: number; lost: number } {
  return { sent: r.discoverSent, acks: r.ackReceived, lost: r.lost };
}
