/**
 * contrib/container/Containerfile, read statically (no image builder runs here): the build stage installs the
 * development dependencies before it builds and prunes them only after; the image starts the compiled CLI the
 * package installs, with the native addon where the compiled transport looks for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Containerfile's stages, each a list of instructions (comments dropped, continuation lines joined). */
function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  for (const line of logical) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    assert.ok(m !== null, `not an instruction: ${line}`);
    if (m[1] === 'FROM') out.push([]);
    out.at(-1)?.push({ keyword: m[1]!, args: m[2]!.trim() });
  }
  return out;
}

const containerfile = stages(read('contrib/container/Containerfile'));
const build = containerfile[0]!;
const runtime = containerfile.at(-1)!;
const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const indexOfRun = (pattern: RegExp): number => runs.findIndex((r) => pattern.test(r));
const workdir = build.find((i) => i.keyword === 'WORKDIR')?.args ?? '';

/** The repository path an absolute path of the build stage's WORKDIR comes from. */
function repoPathOf(imagePath: string): string {
  const rel = posix.relative(workdir, imagePath);
  assert.ok(workdir !== '' && !rel.startsWith('..'), `${imagePath} is outside ${workdir}`);
  return rel;
}

/** Where the runtime stage puts `imagePath` of the build stage, or undefined when it copies no such path. */
function copiedTo(imagePath: string): string | undefined {
  for (const i of runtime) {
    const m = /^--from=build\s+(\S+)\s+(\S+)$/.exec(i.args);
    if (i.keyword !== 'COPY' || m === null) continue;
    const [, source, dest] = m as unknown as [string, string, string];
    if (imagePath !== source && !imagePath.startsWith(`${source}/`)) continue;
    const target = dest.endsWith('/') && imagePath === source ? dest + posix.basename(source) : dest;
    return target + imagePath.slice(source.length);
  }
  return undefined;
}

/** The file tsc writes for a source file, by tsconfig.build.json's rootDir and outDir. */
function compiledPath(source: string): string {
  const { compilerOptions } = JSON.parse(read('tsconfig.build.json')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  const rel = relative(compilerOptions.rootDir, source).replace(/\.ts$/, '.js');
  assert.ok(!rel.startsWith('..'), `${source} is outside rootDir`);
  return join(compilerOptions.outDir, rel);
}

test('the build stage installs the development dependencies before any build step', () => {
  const install = indexOfRun(/\bnpm ci\b/);
  assert.ok(install >= 0, 'no npm ci');
  assert.doesNotMatch(runs[install]!, /--omit[= ]dev|--production|--only[= ]prod/);
  assert.ok(
    !build.some(
      (i) => (i.keyword === 'ENV' || i.keyword === 'ARG') && /NODE_ENV\s*=?\s*production/.test(i.args),
    ),
    'NODE_ENV=production in the build stage omits the development dependencies',
  );
  for (const step of [/\bnpm rebuild\b/, /\bnpm run build\b/, /node-gyp/]) {
    const at = indexOfRun(step);
    if (at >= 0) assert.ok(at >= install, `${step} runs before npm ci`);
  }
});

test('the build stage builds dist/ and the native addon, then prunes, then runs no npm script', () => {
  const built = indexOfRun(/\bnpm run build\b/);
  const addon = indexOfRun(/build\/Release\/leasekeeper_transport\.node/);
  const prune = indexOfRun(/\bnpm prune\b.*--omit[= ]dev/);
  assert.ok(built >= 0, 'no npm run build');
  assert.ok(addon >= 0, 'the build stage never checks that the native addon was built');
  assert.ok(prune > built && prune > addon, 'the prune must come after the build');
  for (const later of runs.slice(prune + 1))
    assert.doesNotMatch(later, /\bnpm (ci|install|rebuild|run)\b/, 'an npm script after the prune');
  // The build stage copies what `npm run build` reads: the tsconfig it extends and its script.
  const copied = build.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  assert.match(scripts['build'] ?? '', /scripts\/build\.ts/);
  for (const needed of ['tsconfig.json', 'tsconfig.build.json', 'src', 'binding.gyp', 'native'])
    assert.ok(copied.includes(needed), `the build stage does not copy ${needed}`);
  assert.ok(copied.includes('scripts') || copied.includes('scripts/build.ts'), 'scripts/build.ts');
});

test('the ENTRYPOINT starts the compiled CLI the package installs, not the tsx development launcher', () => {
  const entry = JSON.parse(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]') as string[];
  assert.equal(entry[0], 'node');
  // node's own flags come first (the cli-startup test checks they are the CLI's shebang flags)
  const script = entry.slice(1).find((arg) => !arg.startsWith('-')) ?? '';
  const { bin, files } = JSON.parse(read('package.json')) as {
    bin: Record<string, string>;
    files: string[];
  };
  const inRepo = repoPathOf(script);
  assert.equal(inRepo, posix.normalize(bin['leasekeeper'] ?? ''), 'the package.json bin');
  assert.ok(
    files.some((f) => inRepo === f || inRepo.startsWith(`${f}/`)),
    `${inRepo} is not in package.json files`,
  );
  assert.equal(compiledPath('src/cli/main.ts'), inRepo, 'the build compiles src/cli/main.ts to it');
  assert.ok(existsSync(join(REPO, 'src/cli/main.ts')));
  assert.equal(copiedTo(script), script, 'the runtime stage copies the built CLI to where it starts it');
  const started = runtime.filter((i) => ['ENTRYPOINT', 'CMD', 'COPY'].includes(i.keyword));
  for (const i of started) assert.doesNotMatch(i.args, /bin\/leasekeeper\.js|\btsx\b|\/src\b/, i.args);
});

test('the runtime stage has the native addon where the compiled transport loads it from', () => {
  const gyp = JSON.parse(read('binding.gyp')) as { targets: { target_name: string }[] };
  const addon = `build/Release/${gyp.targets[0]!.target_name}.node`;
  const loader = 'src/transport/linux/native.ts';
  const candidates = [...read(loader).matchAll(/'((?:\.\.\/)+[^']+\.node)'/g)].map((m) => m[1]!);
  const fromDist = dirname(compiledPath(loader));
  const lookedUp = candidates.map((c) => posix.join(fromDist, c));
  assert.ok(lookedUp.includes(addon), `${loader} looks in ${lookedUp.join(', ')}, not ${addon}`);
  const inImage = posix.join(workdir, addon);
  assert.equal(copiedTo(inImage), inImage);
  for (const needed of ['package.json', 'node_modules', 'dist']) {
    const path = posix.join(workdir, needed);
    assert.equal(copiedTo(path), path, `the runtime stage does not copy ${needed}`);
  }
});
