/**
 * CPU time per relayed reply sent through the linux transport, UDP GSO off and on alternated: `tsx
 * bench/udp-gso.ts` as root. Two namespaces joined by a veth (198.18.0.0/24); `socat` in the second reads
 * port 67 as a relay would (its own CPU is not counted). Each round posts `DATAGRAMS` (default 200,000)
 * DHCP-sized datagrams of 300-420 octets (`padUpTo` 548, as the server's replies) to that one address, 16
 * per turn (two sendmmsg calls of 8, as the server's batches), and prints this process's CPU time (user +
 * system: the veth runs the receiver's side in this process's softirq, as `RPS=0` in bench/perfdhcp.ts)
 * per datagram, for `ROUNDS` pairs (default 5). `PIN=1` runs it on CPU 0.
 */
import { execFileSync } from 'node:child_process';
import { LinuxTransport } from '../src/transport/linux/transport.ts';
import { createLab } from '../test/lab/netns.ts';
import { vethLink } from '../test/transport/linux-helpers.ts';

const DATAGRAMS = Number(process.env['DATAGRAMS'] ?? 200_000);
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const PER_TURN = 16;
const RELAY = '198.18.0.2';

if (process.env['PIN'] === '1') execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);

const payloads = Array.from({ length: 64 }, (_, i) => Buffer.alloc(300 + ((i * 37) % 121), i + 1));

async function round(t: LinuxTransport): Promise<number> {
  const failed = (): void => {
    throw new Error('a datagram failed');
  };
  const before = process.cpuUsage();
  for (let sent = 0; sent < DATAGRAMS;) {
    for (let k = 0; k < PER_TURN; k++, sent++)
      t.post({ data: payloads[sent & 63]!, ip: RELAY, port: 67, padUpTo: 548 }, undefined, failed);
    await new Promise((res) => setImmediate(res));
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / DATAGRAMS;
}

const lab = await createLab('bgso');
try {
  const { s, c } = await vethLink(lab, { clientAddress: `${RELAY}/24` });
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
  await off.close();
  await on.close();
  await relay.stop();
} finally {
  await lab.close();
}
