/**
 * A small runtime for interop tests, run inside the client namespace: the one client driver
 * (src/runtime/client/driver.ts) over a plain UDP socket on 0.0.0.0:68 (a UdpTransport, which cannot
 * name the source address), with `ip addr` as its applier. It asks for broadcast replies (the socket
 * cannot receive unicasts to an address the host does not have yet) and does no ARP probe. Sending from
 * 0.0.0.0 through a UDP socket needs a route for 255.255.255.255 on the interface, which the kernel
 * drops with the interface's last address: it is put back after every deconfigure. Not the CLI (packet
 * sockets, script, control socket): just enough to let real servers judge the engine's messages.
 *
 * argv: IFNAME MAC [LEASEFILE]. With a lease file it starts from the lease remembered there (INIT-REBOOT)
 * and remembers each lease it configures. stdin lines: renew | release | stop. stdout: one JSON line per action.
 */
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DhcpClientEngine, usableLease } from '../../../src/client/index.ts';
import { ClientDriver, readLeaseFile, writeLeaseFile } from '../../../src/runtime/client/index.ts';
import { UdpTransport } from '../../../src/transport/index.ts';

const [ifname, mac, leaseFile] = process.argv.slice(2) as [string, string, string | undefined];
const engine = new DhcpClientEngine({
  hwAddress: mac,
  broadcastFlag: true,
  arpProbe: false,
  hostname: 'lk-interop',
});

function broadcastRoute(): void {
  execFileSync('ip', ['route', 'replace', '255.255.255.255/32', 'dev', ifname]);
}

function out(o: unknown): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

broadcastRoute();
const transport = await UdpTransport.open({ port: 68, reuseAddr: true });
const driver = new ClientDriver({
  engine,
  transport,
  onNotice: (n) => {
    if (n.type === 'sent') out({ send: n.message, to: n.to, via: n.via });
    else if (n.type === 'error') out({ sendError: n.message });
  },
  perform: async (a) => {
    switch (a.type) {
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
            savedAt: driver.now(),
            lease: a.lease,
          });
        }
        return;
      case 'deconfigure':
        execFileSync('ip', ['-4', 'addr', 'flush', 'dev', ifname]);
        broadcastRoute();
        out({ deconfigure: a.reason });
        return;
      case 'event':
        out({ event: a.event.type, ...(a.event.type === 'state' ? { to: a.event.to } : {}) });
        return;
    }
  },
});
out({ ready: true });
const file = leaseFile === undefined ? null : await readLeaseFile(leaseFile);
const previousLease = file === null ? null : usableLease(file, ifname, mac, driver.now());
driver.command((now) => engine.start(now, { previousLease }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'renew') driver.command((now) => engine.renew(now));
  else if (cmd === 'release') driver.command((now) => engine.release(now));
  else if (cmd === 'stop') {
    void driver.stop().then(() => {
      out({ stats: engine.stats });
      process.exit(0);
    });
  }
});
