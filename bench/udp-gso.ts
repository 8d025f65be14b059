/**
 * CPU time per relayed reply sent through the linux transport, UDP GSO off and on alternated: `tsx
 * bench/udp-gso.ts` as root. Two namespaces joined by a veth (198.18.0.0/24); `socat` in the second reads
 * port 67 as a relay would (its own CPU is not counted). Each round posts `DATAGRAMS` (default 200,000)
 * DHCP-sized datagrams of 300-420 octets (`padUpTo` 548, as the server's replies) to that one address, 16
 * per turn (two sendmmsg calls of 8, as the server's batches), about 100,000 a second, and prints this process's CPU time (user +
 * system: the veth runs the receiver's side in this process's softirq, as `RPS=0` in bench/perfdhcp.ts)
 * per datagram, for `ROUNDS` pairs (default 5). `PIN=1` runs it on CPU 0; `RPS=1` then steers the
 * receiving end's receive to CPU 1 (as bench/perfdhcp.ts pinned), so only the send side is counted here.
 */
import { execFileSync } from 'node:child_process';
import { LinuxTransport } from '../src/transport/linux/transport.ts';
import type { TransportError } from '../src/transport/errors.ts';
import { createLab } from '../test/lab/netns.ts';
import { vethLink } from '../test/transport/linux-helpers.ts';
import { steerReceive } from './core-accounting.ts';

const DATAGRAMS = Number(process.env['DATAGRAMS'] ?? 200_000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const PER_TURN = 16;
const RELAY = '198.18.0.2';

if (process.env['PIN'] === '1') execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);

const payloads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(300 + ((i * 37) % 121), i + 1));

/** Datagrams the transport refused, by error (none expected: a full peer drops silently). */
const failures = new Map<string, number>();
let mode = '';
const failed = (e: TransportError): void => {
  const key = `GSO ${mode}: ${e.code} ${e.syscallCode ?? ''}`;
  failures.set(key, (failures.get(key) ?? 0) + 1);
};

async function round(t: LinuxTransport): Promise<number> {
  mode = t.udpSegmentationActive('srv0') ? 'on' : 'off';
  const before = process.cpuUsage();
  for (let sent = 0; sent < DATAGRAMS;) {
    for (let k = 0; k < PER_TURN; k++, sent++)
      t.post({ data: payloads[sent & 63]!, ip: RELAY, port: 67, padUpTo: 548 }, undefined, failed);
    // At most about 100,000 a second, so that the receiving side keeps up and nothing queues in node:dgram.
    if (sent % 1024 === 0) await new Promise((res) => setTimeout(res, 10));
    else await new Promise((res) => setImmediate(res));
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / DATAGRAMS;
}

const lab = await createLab('bgso');
try {
  const { s, c } = await vethLink(lab, { clientAddress: `${RELAY}/24` });
  if (process.env['RPS'] === '1') await steerReceive(c, 'cli0', 1);
  const relay = c.spawn('socat', ['-u', 'UDP-RECV:67,rcvbuf=4194304', 'OPEN:/dev/null']);
  const off = await LinuxTransport.open({
    interfaces: ['srv0'],
    port: 67,
    netns: s.name,
    udpSegmentation: false,
  });
  const on = await LinuxTransport.open({
    interfaces: ['srv0'],
    port: 67,
    netns: s.name,
    udpSegmentation: true,
  });
  await new Promise((res) => setTimeout(res, 200));
  await round(off);
  await round(on);
  for (let r = 0; r < ROUNDS; r++) {
    const a = await round(off);
    const b = await round(on);
    console.log(`pair ${r + 1}: GSO off ${a.toFixed(2)} us a datagram, on ${b.toFixed(2)}`);
  }
  console.log(
    `GSO active at the end: ${on.udpSegmentationActive('srv0')}, refusals ${on.udpSegmentRefusals}`,
  );
  console.log(`datagrams refused: ${JSON.stringify(Object.fromEntries(failures))}`);
  await off.close();
  await on.close();
  await relay.stop();
} finally {
  await lab.close();
}
