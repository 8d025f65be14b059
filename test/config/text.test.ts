import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, stripKeaComments } from '../../src/config/text.ts';

const keaFile = `// /etc/kea/kea-dhcp4.conf, as Kea's own examples write it
{
  "Dhcp4": {
    # interfaces to listen on
    "interfaces-config": { "interfaces": [ "eth0" ] },
    /* lease file
       in memfile */
    "lease-database": { "type": "memfile", "name": "/var/lib/kea/dhcp4.leases" },
    "subnet4": [
      {
        "id": 1,
        "subnet": "198.18.0.0/24",
        "pools": [ { "pool": "198.18.0.10 - 198.18.0.99" } ],
        "option-data": [ { "name": "domain-name", "data": "lab // not a comment # nor this" } ]
      }
    ]
  }
}`;

test('a Kea config file with //, # and /* */ comments parses unchanged; comment markers inside strings stay', () => {
  const r = parseConfigText(keaFile);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const data = r.config.subnets[0]?.options.get(15)?.data;
  assert.equal(Buffer.from(data ?? []).toString(), 'lab // not a comment # nor this');
});

test('stripKeaComments keeps line breaks so JSON error lines match the file', () => {
  assert.equal(stripKeaComments('a /* x\ny */ b # c\nd'), 'a     \n     b \nd');
});

test('broken JSON is a ConfigError naming the line, never a throw', () => {
  const r = parseConfigText('{\n  "Dhcp4": {\n    "subnet4": [}\n  }\n}');
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'ERR_CONFIG_INVALID');
  assert.match(r.error.message, /^\(file\): not JSON/);
});
