/** The layering of docs/architecture.md, as eslint.config.js enforces it: each rule fails on a violation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('a deep import into another module is refused, from any depth; its index.ts is not', async () => {
  assert.equal(
    (await restricted('src/runtime/probe.ts', "import { parseIp } from '../protocol/ip.ts';\nparseIp('');\n"))
      .length,
    1,
  );
  assert.equal(
    (
      await restricted(
        'src/transport/virtual/probe.ts',
        "import { parseIp } from '../../protocol/ip.ts';\nparseIp('');\n",
      )
    ).length,
    1,
  );
  assert.deepEqual(
    await restricted(
      'src/runtime/probe.ts',
      "import { parseIp } from '../protocol/index.ts';\nparseIp('');\n",
    ),
    [],
  );
  assert.deepEqual(
    await restricted(
      'src/cli/probe.ts',
      "import type { TimedEvent } from '../runtime/client/index.ts';\nexport type T = TimedEvent;\n",
    ),
    [],
    "a sub-module's index.ts is a way in",
  );
});

test('an engine imports no node:* module and nothing of runtime, control, library or cli', async () => {
  for (const engine of ['protocol', 'server', 'client']) {
    const messages = await restricted(
      `src/${engine}/probe.ts`,
      "import { readFileSync } from 'node:fs';\nimport { startServer } from '../runtime/index.ts';\nexport const x = [readFileSync, startServer];\n",
    );
    assert.equal(messages.length, 2, `${engine}: ${messages.join('; ')}`);
  }
  assert.deepEqual(
    await restricted(
      'src/transport/probe.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    ),
    [],
    'the I/O layers may use node:*',
  );
});

test('the DDNS decisions the engine imports are sans-IO; the updater with its sockets lives in runtime/ddns', async () => {
  const messages = await restricted(
    'src/ddns/probe.ts',
    "import { createSocket } from 'node:dgram';\nexport const x = createSocket;\n",
  );
  assert.equal(messages.length, 1, messages.join('; '));
  assert.deepEqual(
    await restricted(
      'src/server/probe.ts',
      "import { decideFqdn } from '../ddns/index.ts';\nexport const x = decideFqdn;\n",
    ),
    [],
  );
  assert.equal(
    (
      await restricted(
        'src/server/probe.ts',
        "import { DdnsService } from '../runtime/ddns/index.ts';\nexport const x = DdnsService;\n",
      )
    ).length,
    1,
    'the engine cannot reach the updater',
  );
  assert.deepEqual(
    await restricted(
      'src/runtime/ddns/probe.ts',
      "import { createSocket } from 'node:dgram';\nexport const x = createSocket;\n",
    ),
    [],
  );
});
