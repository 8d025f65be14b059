import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeaJson, KeaJsonError } from '../../src/config/kea-json.ts';
import { parseConfigText } from '../../src/config/text.ts';

const read = (text: string, file?: string): unknown =>
  readKeaJson(text, { maxDepth: 100, ...(file === undefined ? {} : { file }) });

test('numbers as Kea writes them: .5, 5., +5, exponents', () => {
  assert.deepEqual(read('[.5, 5., +5, -2, 1e3, 0.25]'), [0.5, 5, 5, -2, 1000, 0.25]);
});

test('comments of every Kea kind, markers inside strings kept', () => {
  const v = read('# a\n{ // b\n "k": /* c\n d */ "x // # /* y" }\n# end');
  assert.deepEqual(v, { k: 'x // # /* y' });
});

test('a trailing comma followed by a long run of comments and blank lines', () => {
  const filler = `${'\n'.repeat(150)}${'// padding padding padding\n'.repeat(40)}`;
  assert.deepEqual(read(`{"a": [1, 2,${filler}],${filler}}`), { a: [1, 2] });
});

test('a key given twice in one map is refused with both lines, as Kea refuses duplicate entries', () => {
  assert.throws(
    () => read('{\n"Dhcp4": {},\n"Dhcp4": {}\n}'),
    (e: Error) => e instanceof KeaJsonError && /duplicate "Dhcp4" entries.*line 2.*line 3/.test(e.message),
  );
  const r = parseConfigText('{"Dhcp4": {"valid-lifetime": 1, "valid-lifetime": 2}}');
  assert.ok(!r.ok);
  assert.match(r.error.message, /duplicate "valid-lifetime"/);
});

test('syntax errors name the line; an unclosed comment is refused', () => {
  assert.throws(() => read('{\n"a": 1\n"b": 2}'), /line 3/);
  assert.throws(() => read('{"a": 1} /* open'), /comment not closed/);
  assert.throws(() => read('{"a": tru}'), /unexpected/);
  assert.throws(() => read('{"a": 1} 2'), /after the end/);
});

test('nesting stays bounded', () => {
  assert.throws(() => readKeaJson('['.repeat(200) + ']'.repeat(200), { maxDepth: 100 }), RangeError);
});

test('__proto__ as a key is an ordinary key', () => {
  const v = read('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
});

test('<?include "file"?> reads the file in place, relative to the including file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-include-'));
  try {
    mkdirSync(join(dir, 'parts'));
    writeFileSync(
      join(dir, 'parts', 'subnets.json'),
      '[{"id": 1, "subnet": "198.18.0.0/24", <?include "pool.json"?>}]',
    );
    writeFileSync(join(dir, 'parts', 'pool.json'), '"pools": [{"pool": "198.18.0.10 - 198.18.0.20"}]');
    const main = join(dir, 'kea-dhcp4.conf');
    const text = '{"Dhcp4": {"subnet4": <?include "parts/subnets.json"?>}}';
    const r = parseConfigText(text, { file: main });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.config.subnets[0]?.pools.length, 1);
    // Without a file, an include has nothing to be relative to.
    assert.throws(() => read(text), /needs the configuration to be read from a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('includes stay inside the main file directory and never loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-include-'));
  try {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'secret.json'), '1');
    writeFileSync(join(dir, 'etc', 'a.json'), '<?include "b.json"?>');
    writeFileSync(join(dir, 'etc', 'b.json'), '<?include "a.json"?>');
    const main = join(dir, 'etc', 'main.conf');
    assert.throws(() => read('[<?include "../secret.json"?>]', main), /outside/);
    assert.throws(() => read('[<?include "/etc/passwd"?>]', main), /outside/);
    assert.throws(() => read('[<?include "a.json"?>]', main), /loop/);
    assert.throws(() => read('[<?include "missing.json"?>]', main), /cannot read.*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
