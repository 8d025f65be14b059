/**
 * A throwaway runtime for interop tests, run inside the client namespace: the engine wired to one
 * node:dgram socket on 0.0.0.0:68 and to `ip addr`. It asks for broadcast replies (the socket cannot
 * receive unicasts to an address the host does not have yet) and does no ARP probe. Sending from
 * 0.0.0.0 through a UDP socket needs a route for 255.255.255.255 on the interface, which the kernel
 * drops with the interface's last address: it is put back after every deconfigure. Not the real
 * runtime (src/transport + the CLI): just enough to let real servers judge the engine's messages.
 *
 * argv: IFNAME MAC [LEASEFILE]. With a lease file it starts from the lease remembered there (INIT-REBOOT)
 * and remembers each lease it configures. stdin lines: renew | release | stop. stdout: one JSON line per action.
 */
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DhcpClientEngine } from '../../../src/client/engine.ts';
import { usableLease } from '../../../src/client/lease-file.ts';
import { readLeaseFile, writeLeaseFile } from '../../../src/runtime/client/lease-file.ts';
import type { ClientStep } from '../../../src/client/actions.ts';
import { messageTypeName, messageTypeOf } from '../../../src/protocol/index.ts';

const [ifname, mac, leaseFile] = process.argv.slice(2) as [string, string, string | undefined];
const client = new DhcpClientEngine({
  hwAddress: mac,
  broadcastFlag: true,
  arpProbe: false,
  hostname: 'lk-interop',
});
const sock = createSocket({ type: 'udp4', reuseAddr: true });
let timer: NodeJS.Timeout | undefined;

function broadcastRoute(): void {
  execFileSync('ip', ['route', 'replace', '255.255.255.255/32', 'dev', ifname]);
}

function out(o: unknown): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

/** Steps run one at a time, and a send completes before the next action (RELEASE before the flush). */
let chain: Promise<void> = Promise.resolve();
function run(step: ClientStep): void {
  chain = chain.then(() => perform(step));
}

async function perform(step: ClientStep): Promise<void> {
  for (const a of step.actions) {
    switch (a.type) {
      case 'send':
        out({ send: messageTypeName(messageTypeOf(a.message) ?? 0), to: a.to, via: a.via });
        await new Promise<void>((resolve) =>
          sock.send(a.bytes, 67, a.to, (err) => {
            if (err) out({ sendError: err.message });
            resolve();
          }),
        );
        break;
      case 'configure':
        execFileSync('ip', [
          'addr',
          'replace',
          `${a.lease.address}/${a.lease.prefixLength ?? 32}`,
          'dev',
          ifname,
        ]);
        out({ configure: a.reason, lease: a.lease });
        if (leaseFile !== undefined) {
          await writeLeaseFile(leaseFile, {
            interface: ifname,
            hwAddress: mac,
            savedAt: Date.now(),
            lease: a.lease,
          });
        }
        break;
      case 'deconfigure':
        execFileSync('ip', ['-4', 'addr', 'flush', 'dev', ifname]);
        broadcastRoute();
        out({ deconfigure: a.reason });
        break;
      case 'probe':
        run(client.probeResult(Date.now(), { address: a.address, conflict: false }));
        break;
      case 'event':
        out({ event: a.event.type, ...(a.event.type === 'state' ? { to: a.event.to } : {}) });
        break;
    }
  }
  clearTimeout(timer);
  if (step.deadline !== null) {
    timer = setTimeout(() => run(client.poll(Date.now())), Math.max(0, step.deadline - Date.now()));
  }
}

sock.on('message', (buf) => run(client.handle(Date.now(), buf)));
broadcastRoute();
sock.bind(68, () => {
  sock.setBroadcast(true);
  out({ ready: true });
  const remembered = leaseFile === undefined ? Promise.resolve(null) : readLeaseFile(leaseFile);
  void remembered.then((file) => {
    const previousLease = file === null ? null : usableLease(file, ifname, mac, Date.now());
    run(client.start(Date.now(), { previousLease }));
  });
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'renew') run(client.renew(Date.now()));
  else if (cmd === 'release') run(client.release(Date.now()));
  else if (cmd === 'stop') {
    run(client.stop(Date.now()));
    chain = chain.then(() => {
      out({ stats: client.stats });
      clearTimeout(timer);
      sock.close();
      process.exit(0);
    });
  }
});
