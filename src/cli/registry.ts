import type { CliCommand } from './command.ts';

/** A subcommand as `--help` lists it; its module (and whatever that imports) loads only when it runs. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

/** Every subcommand of `leasekeeper`, in the order `--help` lists them. */
export const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the DHCPv4 server (Kea-style JSON config, or zero-config on one interface)',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'client',
    summary: 'run the DHCPv4 client on one interface (busybox udhcpc flags), or `client ctl` it',
    load: async () => (await import('./client.ts')).clientCommand,
  },
  {
    name: 'ctl',
    summary: 'send a Kea-style control command over the UNIX socket or HTTP',
    load: async () => (await import('./ctl.ts')).ctlCommand,
  },
  {
    name: 'decode',
    summary: 'print DHCP packets (hex or a pcap file) as readable JSON',
    load: async () => (await import('./decode.ts')).decodeCommand,
  },
  {
    name: 'demo',
    summary: 'a server, simulated clients and the dashboard in one process (no root, no network)',
    load: async () => (await import('./demo.ts')).demoCommand,
  },
];
