import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText, stripKeaComments, dropTrailingCommas } from '../../src/config/text.ts';
import { parseConfig } from '../../src/config/compile.ts';

const stock = readFileSync(new URL('./fixtures/kea-dhcp4.conf', import.meta.url), 'utf8');

test("Debian's stock kea-dhcp4.conf: refused only for the features leasekeeper lacks, each named by path", () => {
  const r = parseConfigText(stock);
  assert.ok(!r.ok);
  assert.deepEqual(
    r.error.issues.map((i) => i.path),
    [
      'Dhcp4.subnet4[0].reservations[3].option-data[1].space',
      'Dhcp4.subnet4[0].reservations[5].flex-id',
      'Dhcp4.client-classes',
    ],
  );
});

test('the stock file without those features compiles with its values (timers, options, reservations, reclaim settings)', () => {
  const json = JSON.parse(dropTrailingCommas(stripKeaComments(stock))) as {
    Dhcp4: Record<string, unknown> & { subnet4: { reservations: unknown[] }[] };
  };
  delete json.Dhcp4['client-classes'];
  json.Dhcp4.subnet4[0]!.reservations = json.Dhcp4.subnet4[0]!.reservations.filter(
    (_, i) => i !== 2 && i !== 3 && i !== 5,
  );
  const r = parseConfig(json);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const c = r.config;
  assert.equal(c.lifetimes.renewTimer, 900);
  assert.equal(c.lifetimes.rebindTimer, 1800);
  assert.equal(c.expiredLeasesProcessing.holdReclaimedTime, 3600);
  assert.deepEqual([...(c.options.get(23)?.data ?? [])], [0xf0]); // default-ip-ttl "0xf0"
  assert.deepEqual([...(c.options.get(6)?.data ?? [])], [192, 0, 2, 1, 192, 0, 2, 2]);
  const s = c.subnets[0]!;
  assert.equal(s.id, 1);
  assert.equal(s.reservations.find((x) => x.clientId === '01:0a:0b:0c:0d:0e:0f')?.serverHostname, 'hal9000');
  assert.equal(
    s.reservations.find((x) => x.clientId === '01:11:22:33:44:55:66')?.hostname,
    'special-snowflake',
  );
});
