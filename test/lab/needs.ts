/**
 * What a test needs from the machine beyond Node: root (network namespaces, raw sockets) and the real peer
 * programs from Debian. One place decides, for every test:
 *  - everything present: the test runs;
 *  - something missing on a developer's machine: the test is reported as skipped, naming the Debian package
 *    (or the privilege) it needs;
 *  - something missing under CI=true: the test fails, since `.ci/run` installs every package listed here.
 * `scripts/check-test-programs.ts` checks this table against the tests and `.ci/run`'s package list.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Every program a test spawns that Node does not bring, with the Debian package that provides it. */
export const PROGRAMS = {
  busybox: 'busybox',
  chromium: 'chromium',
  curl: 'curl',
  dhclient: 'isc-dhcp-client',
  dhcpcd: 'dhcpcd-base',
  dhcrelay: 'isc-dhcp-relay',
  dig: 'bind9-dnsutils',
  dnsmasq: 'dnsmasq',
  initdb: 'postgresql',
  ip: 'iproute2',
  'kea-ctrl-agent': 'kea-ctrl-agent',
  'kea-dhcp4': 'kea-dhcp4-server',
  'kea-shell': 'kea-ctrl-agent',
  named: 'bind9',
  nsupdate: 'bind9-dnsutils',
  openssl: 'openssl',
  perfdhcp: 'kea-admin',
  pg_ctl: 'postgresql',
  socat: 'socat',
  'systemd-analyze': 'systemd',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
} as const satisfies Record<string, string>;

export type Program = keyof typeof PROGRAMS;
export type Need = Program | 'root';

/** The full path of `program` on PATH (where the tests spawn it from), or undefined. */
export function findProgram(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** What is missing of `wanted`, in words ("root", "kea-shell (Debian package kea-ctrl-agent)"). */
export function missingNeeds(wanted: readonly Need[]): string[] {
  const missing: string[] = [];
  for (const need of new Set(wanted)) {
    if (need === 'root') {
      if (!isRoot()) missing.push('root');
    } else if (findProgram(need) === undefined) {
      missing.push(`${need} (Debian package ${PROGRAMS[need]})`);
    }
  }
  return missing;
}

/**
 * Options for `test()`/`describe()`: `{}` when everything is there, `{ skip: why }` when not. Under CI=true a
 * missing need throws instead, so the file fails loudly rather than skipping.
 */
export function needs(...wanted: Need[]): { skip?: string } {
  const missing = missingNeeds(wanted);
  if (missing.length === 0) return {};
  const why = `needs ${missing.join(', ')}`;
  if (process.env.CI === 'true')
    throw new Error(`CI machine lacks what this test ${why}: .ci/run must provide it`);
  return { skip: why };
}
