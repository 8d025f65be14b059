/**
 * Which programs a test source runs, read from its spawn sites: a call of node:child_process's spawners or of
 * the lab helpers that wrap them (test/lab/netns.ts's `Netns.run`/`Netns.spawn` and `runCommand`, the
 * `sh` helpers of test/package and test/client/interop), whose first argument is a program name literal or an
 * argv array starting with one. Any other string or array literal (a list of class names, of server kinds) is
 * data, not a program.
 */

/** The functions whose first argument names the program they run. */
export const SPAWN_FUNCTIONS: readonly string[] = [
  'spawn',
  'spawnSync',
  'spawnChild',
  'execFile',
  'execFileSync',
  'execFileP',
  'run',
  'runCommand',
  'sh',
];

const PROGRAM = `'([a-z][\\w.+-]*)'`;
// Not part of a longer name (`respawn(`), but a method call (`ns.run(`) counts; the program is followed by
// its arguments or closes the call.
const SPAWN_SITE = new RegExp(
  `(?<![\\w$])(?:${SPAWN_FUNCTIONS.join('|')})\\(\\s*(?:${PROGRAM}|\\[\\s*${PROGRAM})\\s*[,)\\]]`,
  'g',
);

/** The program names of `source`'s spawn sites. */
export function spawnedNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(SPAWN_SITE)) names.add((m[1] ?? m[2])!);
  return names;
}
