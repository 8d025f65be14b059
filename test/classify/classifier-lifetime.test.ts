import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileConfig } from '../../src/config/index.ts';
import { classifyEarly } from '../../src/classify/index.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { msg } from '../server/harness.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const config = (name: string): unknown => ({
  Dhcp4: {
    'client-classes': [{ name, test: "option[60].text == 'x'" }],
    subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.20' }] }],
  },
});

const meta = { interface: 'eth0', sourceAddress: '0.0.0.0', interfaceAddresses: [{ address: '198.18.0.1' }] };

/** Lets the current job end (a WeakRef target is kept until then), then collects. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

test('a replaced configuration frees its classifier at once, before any request uses the new one', async () => {
  const req = msg(MessageType.DISCOVER, '02:00:00:00:00:01');
  let old: ReturnType<typeof compileConfig> | undefined = compileConfig(config('old'));
  const classifier = new WeakRef(classifyEarly(old, req, meta).classifier);
  const replacement = compileConfig(config('new'));
  old = undefined;
  await collect();
  // Before: the module's last-used cache held the old classifier strongly until the next request.
  assert.equal(classifier.deref(), undefined);
  // The new configuration classifies as usual, and twice with the same classifier.
  const a = classifyEarly(replacement, req, meta).classifier;
  assert.equal(classifyEarly(replacement, req, meta).classifier, a);
});
