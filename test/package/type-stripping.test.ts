// The codec and the engines run from their TypeScript sources under Node's own type stripping, without tsx:
// src/ uses only erasable syntax (no enums, no parameter properties; `erasableSyntaxOnly` in tsconfig.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STRIPS = (process.features as { typescript?: unknown }).typescript !== undefined;

test(
  'plain node (type stripping) encodes and decodes with the codec and loads both engines from src/',
  { skip: STRIPS ? false : `Node ${process.version} cannot strip types` },
  () => {
    const script = `
import { createMessage, decodeMessage, encodeMessage } from './src/protocol/index.ts';
import { DhcpServerEngine } from './src/server/index.ts';
import { DhcpClient } from './src/client/index.ts';
const wire = encodeMessage(createMessage({ xid: 0x1234, ciaddr: '198.18.0.7' }));
const back = decodeMessage(wire);
console.log(back.xid, back.ciaddr, typeof DhcpServerEngine, typeof DhcpClient);
`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      // No tsx: NODE_OPTIONS may carry `--import tsx` from the runner.
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out.trim(), '4660 198.18.0.7 function function');
  },
);
