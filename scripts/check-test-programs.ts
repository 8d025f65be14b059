/**
 * Fails when a test or a bench spawns a program that `.ci/run` does not install, so the next missing peer is
 * caught here rather than by a test that fails (or, on a developer's machine, skips) for want of it:
 *  1. every program the test and bench sources spawn (scripts/spawn-sites.ts) is in test/lab/needs.ts's
 *     PROGRAMS table or in the base system;
 *  2. every package that table names is in .ci/run's Debian package list;
 *  3. with --installed (CI, after the install), every program in the table is on PATH.
 * Run by .ci/run; `npx tsx scripts/check-test-programs.ts` locally.
 */
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProgram, missingNeeds, PROGRAMS } from '../test/lab/needs.ts';
import { spawnedNames } from './spawn-sites.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Programs every Debian machine has (coreutils, bash, procps, util-linux, mount: all Priority required), or
 * that come with Node itself. */
const BASE = new Set(
  'sh bash sleep cat id true false kill env mkdir cp rm mv tar ls test printf echo sysctl runuser setsid setpriv taskset mount umount timeout node npm npx'.split(
    ' ',
  ),
);
/** Programs run as applets of another (`busybox udhcpc`). */
const APPLETS: Record<string, string> = { udhcpc: 'busybox' };

function testSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function isExecutable(name: string): boolean {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

function ciPackages(): Set<string> {
  const script = readFileSync(join(root, '.ci/run'), 'utf8');
  const list = /^debs=\(([^)]*)\)/m.exec(script);
  if (!list) throw new Error('.ci/run has no debs=( ... ) list');
  return new Set(list[1]!.split(/\s+/).filter(Boolean));
}

const problems: string[] = [];
const known = new Set<string>([...Object.keys(PROGRAMS), ...BASE, ...Object.keys(APPLETS)]);
// The benches too: `npm run bench:*` runs on a machine that .ci/run set up, and names the same peers.
for (const file of [...testSources(join(root, 'test')), ...testSources(join(root, 'bench'))]) {
  for (const name of spawnedNames(readFileSync(file, 'utf8'))) {
    // A name is a program only if such a program exists (or is a known peer that is missing).
    if (!known.has(name) && isExecutable(name)) {
      problems.push(
        `${relative(root, file)} runs '${name}': add it with its Debian package to PROGRAMS in test/lab/needs.ts`,
      );
    }
  }
}
const packages = ciPackages();
if (!packages.has('postgresql'))
  problems.push('the PostgreSQL tests need Debian package postgresql, which .ci/run does not install');
for (const [program, pkg] of [...Object.entries(PROGRAMS), ...Object.entries(APPLETS)]) {
  const wanted = pkg in PROGRAMS ? PROGRAMS[pkg as keyof typeof PROGRAMS] : pkg;
  if (!packages.has(wanted))
    problems.push(`'${program}' comes from Debian package ${wanted}, which .ci/run does not install`);
}
if (process.argv.includes('--installed')) {
  for (const program of Object.keys(PROGRAMS)) {
    if (findProgram(program) === undefined)
      problems.push(`'${program}' is not on PATH after .ci/run's install`);
  }
  for (const missing of missingNeeds(['postgresql']))
    problems.push(`${missing} is missing after .ci/run's install`);
}
if (problems.length > 0) {
  console.error(problems.map((p) => `check-test-programs: ${p}`).join('\n'));
  process.exit(1);
}
console.log(
  `check-test-programs: ${Object.keys(PROGRAMS).length} programs, all from packages .ci/run installs`,
);
