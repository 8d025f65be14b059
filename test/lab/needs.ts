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
import { after, afterEach, before, beforeEach, describe, it, suite, test } from 'node:test';

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
  ip: 'iproute2',
  'kea-admin': 'kea-admin',
  'kea-ctrl-agent': 'kea-ctrl-agent',
  'kea-dhcp4': 'kea-dhcp4-server',
  'kea-shell': 'kea-ctrl-agent',
  named: 'bind9',
  nsupdate: 'bind9-dnsutils',
  openssl: 'openssl',
  perf: 'linux-perf',
  perfdhcp: 'kea-admin',
  python3: 'python3',
  socat: 'socat',
  ss: 'iproute2',
  'systemd-analyze': 'systemd',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
} as const satisfies Record<string, string>;

export type Program = keyof typeof PROGRAMS;
/** Where Debian's postgresql package puts initdb and pg_ctl (not on PATH). */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

/** A program on PATH, root, or a PostgreSQL server to start throwaway clusters with (as root). */
export type Need = Program | 'root' | 'postgresql';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `program` on PATH (where the tests spawn it from), or undefined. */
export function findProgram(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, program))) return join(dir, program);
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
    } else if (need === 'postgresql') {
      if (!isExecutable(join(POSTGRES_BIN, 'initdb'))) missing.push('initdb (Debian package postgresql)');
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

const SUITE_API = { test, describe, it, suite, before, after, beforeEach, afterEach };
type SuiteApi = typeof SUITE_API;

/**
 * node:test's functions for a file whose every test needs `wanted`: the real ones when it is all there,
 * otherwise ones that report each test and suite as skipped (naming what is missing) and run no hook.
 */
export function requiring(...wanted: Need[]): SuiteApi {
  const { skip } = needs(...wanted);
  if (skip === undefined) return SUITE_API;
  const skipping =
    (register: (name: string, options: { skip: string }) => unknown) =>
    (...args: unknown[]) =>
      register(typeof args[0] === 'string' ? args[0] : 'unnamed test', { skip });
  const noHook = (): void => undefined;
  return {
    test: skipping(test) as unknown as SuiteApi['test'],
    it: skipping(it) as unknown as SuiteApi['it'],
    describe: skipping(describe) as unknown as SuiteApi['describe'],
    suite: skipping(suite) as unknown as SuiteApi['suite'],
    before: noHook,
    after: noHook,
    beforeEach: noHook,
    afterEach: noHook,
  };
}
