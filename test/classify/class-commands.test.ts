/** class-add/-get/-list/-update/-del (Kea's class_cmds shapes) over the configuration, checked by the real compiler. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/compile.ts';
import type { JsonObject } from '../../src/control/json.ts';
import { harness } from '../control/helpers.ts';

function withCompiler(): ReturnType<typeof harness> {
  const h = harness();
  h.target.config.set = async (c: JsonObject) => {
    const r = parseConfig(c);
    if (!r.ok) return { ok: false, error: r.error.message };
    h.target.configJson = c;
    return { ok: true };
  };
  return h;
}

const voip = {
  name: 'voip',
  test: "substring(option[60].hex,0,6) == 'Aastra'",
  'boot-file-name': '/dev/null',
};

test('class commands add, list, get, update and delete classes in the running configuration', async () => {
  const h = withCompiler();
  assert.deepEqual(await h.call('class-list'), {
    arguments: { 'client-classes': [] },
    result: 3,
    text: '0 classes found',
  });
  assert.deepEqual(await h.call('class-add', { 'client-classes': [voip] }), {
    result: 0,
    text: "Class 'voip' added",
  });
  assert.deepEqual(await h.call('class-add', { 'client-classes': [voip] }), {
    result: 1,
    text: "Class 'voip' already exists",
  });
  const phones = { name: 'phones', test: "member('voip') and known" };
  assert.equal((await h.call('class-add', { 'client-classes': [phones] })).result, 0);
  assert.deepEqual(await h.call('class-list'), {
    arguments: { 'client-classes': [{ name: 'voip' }, { name: 'phones' }] },
    result: 0,
    text: '2 classes found',
  });
  assert.deepEqual(await h.call('class-get', { name: 'voip' }), {
    arguments: { 'client-classes': [voip] },
    result: 0,
    text: "Class 'voip' definition returned",
  });
  assert.deepEqual(await h.call('class-get', { name: 'nope' }), {
    result: 3,
    text: "Class 'nope' not found",
  });
  const updated = { ...voip, 'boot-file-name': 'voip.cfg' };
  assert.deepEqual(await h.call('class-update', { 'client-classes': [updated] }), {
    result: 0,
    text: "Class 'voip' updated",
  });
  assert.deepEqual(await h.call('class-update', { 'client-classes': [{ name: 'nope' }] }), {
    result: 3,
    text: "Class 'nope' is not found",
  });
  assert.deepEqual(await h.call('class-del', { name: 'voip' }), {
    result: 1,
    text: "Class 'voip' is used by class 'phones'",
  });
  assert.deepEqual(await h.call('class-del', { name: 'phones' }), {
    result: 0,
    text: "Class 'phones' deleted",
  });
  assert.deepEqual(await h.call('class-del', { name: 'phones' }), {
    result: 3,
    text: "Class 'phones' not found",
  });
  const dhcp4 = h.target.configJson['Dhcp4'] as JsonObject;
  assert.deepEqual(dhcp4['client-classes'], [updated]);
});

test('a class the compiler refuses is not added, with the reason naming the path and token', async () => {
  const h = withCompiler();
  const a = await h.call('class-add', { 'client-classes': [{ name: 'bad', test: "option[60].hex = 'x'" }] });
  assert.equal(a.result, 1);
  assert.match(a.text ?? '', /Dhcp4\.client-classes\[0\]\.test: .*\("="\)/);
  assert.equal((await h.call('class-list')).result, 3);
});

test("class commands check their arguments with Kea's wording", async () => {
  const h = withCompiler();
  assert.deepEqual(await h.call('class-add', { 'client-classes': [voip, voip] }), {
    result: 1,
    text: "invalid number of classes specified for the 'class-add' command. Expected one class",
  });
  assert.deepEqual(await h.call('class-add', { classes: [voip] }), {
    result: 1,
    text: "missing 'client-classes' argument for the 'class-add' command",
  });
  assert.deepEqual(await h.call('class-get', { name: 7 }), {
    result: 1,
    text: "'name' argument specified for the 'class-get' command is not a string",
  });
});
