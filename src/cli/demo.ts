import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from './command.ts';
import { startDemo, type Demo } from '../library/index.ts';

const HELP = `Usage: leasekeeper demo [--clients N] [--http HOST:PORT] [--insecure-control] [--lease SECONDS]
                        [--duration SECONDS]

One process, no root, no network: a DHCP server and N simulated clients on leasekeeper's in-memory
virtual network, with the dashboard and the control API on HTTP. Clients join one after the other, renew
their short leases, leave (releasing, or just vanishing so their lease expires) and come back.
Stops on SIGINT (Ctrl-C) or SIGTERM.

  --clients N          simulated clients, 1 to 50 (default 5)
  --http HOST:PORT     dashboard and control API (default 127.0.0.1:8067; port 0: any free port)
  --insecure-control   allow --http on a non-loopback address without authentication (refused
                       otherwise: anyone who reaches it can wipe the leases or stop the server)
  --lease SECONDS      lease lifetime (default 30)
  --duration SECONDS   stop by itself after this long (default: run until stopped)

Then open the printed URL, or try the control API:
  curl -s -X POST -H 'Content-Type: application/json' -d '{"command":"lease4-get-all"}' http://127.0.0.1:8067/`;

function intFlag(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be ${min} to ${max}`);
  return n;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        clients: { type: 'string' },
        http: { type: 'string' },
        'insecure-control': { type: 'boolean' },
        lease: { type: 'string' },
        duration: { type: 'string' },
      },
      strict: true,
    });
    const clients = intFlag('clients', values.clients, 5, 1, 50);
    const leaseDuration = intFlag('lease', values.lease, 30, 4, 86400);
    const duration = intFlag('duration', values.duration, 0, 0, 86400);
    const stamp = (): string => new Date().toISOString().slice(11, 19);
    let demo: Demo;
    try {
      demo = await startDemo({
        clients,
        leaseDuration,
        http: values.http ?? '127.0.0.1:8067',
        ...(values['insecure-control'] === true ? { insecureControl: true } : {}),
        onLine: (line) => console.log(`${stamp()} ${line}`),
      });
    } catch (err) {
      // A port in use, a bad --http: one line, no stack trace.
      console.error(`leasekeeper demo: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
    console.log(`leasekeeper demo: ${clients} clients on a virtual network`);
    console.log(`dashboard: ${demo.url}  (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      if (duration > 0) setTimeout(done, duration * 1000).unref();
    });
    console.log('stopping...');
    await demo.stop();
    return 0;
  },
};
