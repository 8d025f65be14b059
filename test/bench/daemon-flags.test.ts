import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daemonNodeArgs, shebangNodeFlags } from '../../bench/daemon-flags.ts';

test('the flags after node on a shebang line, none when it names node alone', () => {
  assert.deepEqual(
    shebangNodeFlags('#!/usr/bin/env -S node --single-threaded-gc --max-semi-space-size=4\n'),
    ['--single-threaded-gc', '--max-semi-space-size=4'],
  );
  assert.deepEqual(shebangNodeFlags('#!/usr/bin/env node\nimport x;'), []);
  assert.throws(() => shebangNodeFlags('#!/bin/sh\n'), /no node on the shebang line/);
});

test("the benches start serve with the CLI's flags, and without them under DAEMON_FLAGS=0", () => {
  const saved = process.env['DAEMON_FLAGS'];
  try {
    delete process.env['DAEMON_FLAGS'];
    // the CLI's shebang flags (docs/daemon.md, "Node's flags")
    assert.deepEqual(daemonNodeArgs(), ['--v8-pool-size=1', '--no-concurrent-marking']);
    process.env['DAEMON_FLAGS'] = '0';
    assert.deepEqual(daemonNodeArgs(), []);
  } finally {
    if (saved === undefined) delete process.env['DAEMON_FLAGS'];
    else process.env['DAEMON_FLAGS'] = saved;
  }
});
