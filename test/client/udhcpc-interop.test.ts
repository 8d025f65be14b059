/**
 * The udhcpc script environment checked against the real thing: busybox udhcpc (Debian 12, 1.35) in a
 * network namespace gets a rich ACK from a tiny server built on our codec; the environment its script
 * sees must equal what udhcpcMessageEnvironment() builds from the same ACK bytes.
 * Needs root, iproute2 and busybox (see /work/shared/design/LAB.md); addresses from 198.18.0.0/15.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createLab, destroyLab, waitForFile } from './interop/netns.ts';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageType, decodeMessage } from '../../src/protocol/index.ts';
import { udhcpcMessageEnvironment } from '../../src/client/udhcpc-env.ts';

const { after, before, describe, it } = requiring('root', 'ip', 'busybox');

const lab = { srv: `lkc${process.pid % 100000}s`, cli: `lkc${process.pid % 100000}c` };
const dir = mkdtempSync(join(tmpdir(), 'lk-udhcpc-'));
const serverOut = join(dir, 'server.txt');
const envOut = join(dir, 'env.txt');
let ifCli = '';
let server: ChildProcess | null = null;

/** Blocks of `== EVENT` followed by `env` output, with the shell's own variables removed. */
function parseEnvDump(text: string): { event: string; env: Record<string, string> }[] {
  const blocks: { event: string; env: Record<string, string> }[] = [];
  for (const chunk of text.split('== ').slice(1)) {
    const [head, ...lines] = chunk.split('\n');
    const env: Record<string, string> = {};
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const k = line.slice(0, eq);
      if (['PWD', 'SHLVL', '_', 'OLDPWD'].includes(k)) continue;
      env[k] = line.slice(eq + 1);
    }
    blocks.push({ event: head!.trim(), env });
  }
  return blocks;
}

describe('udhcpc script environment, compared with real busybox udhcpc', () => {
  before(() => {
    const l = createLab(`lkc${process.pid % 100000}`);
    ifCli = l.ifCli;
    const serverPath = fileURLToPath(new URL('./interop/fake-server.ts', import.meta.url));
    // `ip netns exec` execs the program, so this pid is node's own.
    server = spawn(
      'ip',
      ['netns', 'exec', l.srv, process.execPath, '--import', 'tsx', serverPath, serverOut],
      {
        stdio: 'ignore',
      },
    );
    waitForFile(serverOut, 'ready', 20_000);
  });

  after(() => {
    server?.kill('SIGKILL');
    destroyLab(lab);
    if (process.env.LK_KEEP_INTEROP === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(`interop files kept in ${dir}`);
  });

  it('gets the same variables for deconfig and bound', () => {
    const script = join(dir, 'script.sh');
    writeFileSync(script, `#!/bin/sh\n{ echo "== $1"; env; } >> ${envOut}\n`);
    chmodSync(script, 0o755);
    execFileSync(
      'ip',
      [
        'netns',
        'exec',
        lab.cli,
        'env',
        '-i',
        'busybox',
        'udhcpc',
        '-i',
        ifCli,
        '-f',
        '-q',
        '-n',
        '-t',
        '5',
        '-T',
        '1',
        '-s',
        script,
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    const blocks = parseEnvDump(readFileSync(envOut, 'utf8'));
    assert.deepEqual(
      blocks.map((b) => b.event),
      ['deconfig', 'bound'],
    );
    assert.deepEqual(blocks[0]!.env, { interface: ifCli });
    const ackHex = readFileSync(serverOut, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${MessageType.ACK} `))
      .at(-1)!
      .split(' ')[1]!;
    const ours = udhcpcMessageEnvironment(decodeMessage(Buffer.from(ackHex, 'hex')), ifCli);
    assert.deepEqual(ours, blocks[1]!.env);
  });
});
