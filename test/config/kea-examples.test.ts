import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/text.ts';

/**
 * Kea 2.2's own example configurations (fixtures/kea, MPL 2.0) load as they are; what is still refused is
 * each listed in docs/configuration.md ("Still refused") with its reason, and matched here by key.
 */
const STILL_REFUSED =
  /\.(4o6-interface|4o6-interface-id|4o6-subnet|dhcp4o6-port|config-control|hosts-databases\[\d+\]\.type|dhcp-ddns\.[a-z-]+|pools\[\d+\]\.(ddns-[a-z-]+|hostname-char-[a-z]+))$/;

const LOADS = [
  'shared-network',
  'several-subnets',
  'single-subnet',
  'multiple-options',
  'backends',
  'advanced',
  'leases-expiration',
  'reservations',
  'global-reservations',
];

function load(name: string): ReturnType<typeof parseConfigText> {
  const file = new URL(`./fixtures/kea/${name}.json`, import.meta.url).pathname;
  return parseConfigText(readFileSync(file, 'utf8'), { file });
}

for (const name of LOADS) {
  test(`Kea's ${name}.json loads`, () => {
    const r = load(name);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  });
}

for (const name of ['all-keys']) {
  test(`Kea's ${name}.json is refused only for what docs/configuration.md lists`, () => {
    const r = load(name);
    assert.ok(!r.ok);
    const unexpected = r.error.issues.filter((i) => !STILL_REFUSED.test(i.path));
    assert.deepEqual(unexpected, []);
  });
}

test("shared-network.json: Kea's two networks with their subnets, relay and interface", () => {
  const r = load('shared-network');
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.config.sharedNetworks, [{ name: 'frog', subnetIds: [1, 2] }]);
  const frog = r.config.subnets.filter((s) => s.sharedNetwork === 'frog');
  assert.deepEqual(
    frog.map((s) => s.interface),
    ['eth1', 'eth1'],
  );
  assert.equal(r.config.subnets.find((s) => s.id === 3)?.sharedNetwork, undefined);
});
