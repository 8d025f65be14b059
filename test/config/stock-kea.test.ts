import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText, stripKeaComments, dropTrailingCommas } from '../../src/config/text.ts';
import { parseConfig } from '../../src/config/compile.ts';

const stock = readFileSync(new URL('./fixtures/kea-dhcp4.conf', import.meta.url), 'utf8');

test("Debian's stock kea-dhcp4.conf loads; its flex-id reservation (no flex_id hook) is named in a warning", () => {
  const r = parseConfigText(stock);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.ok(r.config.warnings.some((w) => w.startsWith('flex-id reservations: accepted and never matched')));
  const duid = r.config.subnets[0]?.reservations.find((x) => x.duid !== undefined);
  assert.ok(duid, 'the duid reservation compiles');
});

test('the stock file without those features compiles with its values (timers, options, reservations, reclaim settings)', () => {
  const json = JSON.parse(dropTrailingCommas(stripKeaComments(stock))) as {
    Dhcp4: Record<string, unknown> & { subnet4: { reservations: unknown[] }[] };
  };
  json.Dhcp4.subnet4[0]!.reservations = json.Dhcp4.subnet4[0]!.reservations.filter(
    (_, i) => i !== 2 && i !== 5,
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
  // The DOCSIS reservation: option 125, enterprise 4491, sub-option 2 (tftp-servers) with two addresses.
  const docsis = s.reservations.find((x) => x.clientId === '01:12:23:34:45:56:67');
  assert.deepEqual(
    [...(docsis?.options.get(125)?.data ?? [])],
    [0, 0, 0x11, 0x8b, 10, 2, 8, 10, 1, 1, 202, 10, 1, 1, 203],
  );
  // Its one client class: Aastra phones get their boot fields.
  const voip = c.classesByName.get('voip');
  assert.equal(voip?.test?.source, "substring(option[60].hex,0,6) == 'Aastra'");
  assert.equal(voip?.serverHostname, 'hal9000');
  assert.equal(voip?.bootFileName, '/dev/null');
});
