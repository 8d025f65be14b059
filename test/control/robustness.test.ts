import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonFrameScanner } from '../../src/control/framing.ts';
import { createCommandRegistry } from '../../src/control/commands/index.ts';
import { UnixControlServer } from '../../src/control/unix-server.ts';
import { FakeTarget } from './fake-target.ts';

test('the frame scanner finds the end of any JSON object, however it is split', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.array(fc.nat(), { maxLength: 5 }),
      fc.string(),
      (value, cuts, trailing) => {
        const text = JSON.stringify(value);
        const scanner = new JsonFrameScanner();
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let last = 0;
        let state = scanner.push('');
        for (const p of [...points, text.length]) {
          const chunk = text.slice(last, p) + (p === text.length ? trailing : '');
          last = p;
          state = scanner.push(chunk);
          if (state.kind !== 'incomplete') break;
        }
        assert.equal(state.kind, 'complete');
        assert.equal(state.kind === 'complete' ? state.text : '', text);
      },
    ),
  );
});

test('every command with arbitrary arguments answers a valid envelope, never rejects', async () => {
  const registry = createCommandRegistry();
  const names = registry.names().filter((n) => n !== 'shutdown');
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.oneof(
        fc.jsonValue(),
        fc.dictionary(
          fc.constantFrom(
            'ip-address',
            'hw-address',
            'subnet-id',
            'name',
            'remove',
            'from',
            'limit',
            'identifier-type',
            'identifier',
            'Dhcp4',
            'reservation',
            'subnets',
            'max-period',
            'hostname',
            'client-id',
            'state',
            'valid-lft',
            'expire',
            'user-context',
          ),
          fc.jsonValue(),
        ),
      ),
      async (command, args) => {
        const answer = await registry.dispatch(
          { command, arguments: args },
          { target: new FakeTarget(), via: 'internal', agent: false, now: () => 0 },
        );
        assert.ok([0, 1, 2, 3].includes(answer.result));
        if (answer.result === 1) assert.equal(typeof answer.text, 'string');
      },
    ),
    { numRuns: 400 },
  );
  assert.equal(registry.faults, 0, 'no handler crashed on arbitrary arguments');
});

test('the UNIX listener survives arbitrary bytes and keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-fuzz-'));
  const path = join(dir, 's.sock');
  const server = await UnixControlServer.listen({
    path,
    registry: createCommandRegistry(),
    target: new FakeTarget(),
    idleTimeoutMs: 200,
    maxRequestBytes: 4096,
  });
  const send = (data: Uint8Array): Promise<string> =>
    new Promise((resolve) => {
      const socket = createConnection(path);
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('error', () => resolve(got));
      socket.on('close', () => resolve(got));
      socket.end(data);
    });
  try {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const got = await send(bytes);
        if (got !== '') assert.equal(typeof JSON.parse(got).result, 'number');
      }),
      { numRuns: 150 },
    );
    const ok = JSON.parse(await send(Buffer.from('{"command":"version-get"}')));
    assert.equal(ok.result, 0);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
