// RFC 4702 option 81 and option 12 handling as Kea's kea-dhcp4 does it: the flags the server answers with,
// which directions it updates, the name it chooses (qualifying, generating, sanitizing), and the TTL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileBehaviour, type DdnsBehaviourJson } from '../../src/config/ddns.ts';
import { ddnsTtl, decideFqdn, invalidFlags, sanitizeName } from '../../src/ddns/fqdn.ts';

const S = 0x01;
const O = 0x02;
const E = 0x04;
const N = 0x08;

function behaviour(j: DdnsBehaviourJson = {}) {
  const issues: string[] = [];
  const b = compileBehaviour([{ 'ddns-qualifying-suffix': 'example.com.', ...j }], 'Dhcp4', {
    add: (p, m) => issues.push(`${p}: ${m}`),
  });
  assert.deepEqual(issues, []);
  return b;
}

const fqdn = (flags: number, name: string) => ({
  fqdn: { flags, rcode1: 0, rcode2: 0, name },
  hostName: undefined,
});
const ADDR = '198.18.0.10';

test('the flags table: N-S from the client, N-S-O and the updates from the server', () => {
  const rows: [number, boolean, boolean, number][] = [
    // client flags, forward, reverse, server flags
    [S, true, true, S],
    [0, false, true, 0], // client delegation: the client does A, the server the PTR
    [N, false, false, N],
  ];
  for (const [flags, fwd, rev, answer] of rows) {
    const d = decideFqdn(fqdn(flags | E, 'laptop.example.com.'), behaviour(), ADDR, true);
    assert.equal(d.forward, fwd, `forward for client flags ${flags}`);
    assert.equal(d.reverse, rev, `reverse for client flags ${flags}`);
    assert.ok(d.reply && 'fqdn' in d.reply);
    assert.equal(d.reply.fqdn.flags, answer | E, `server flags for client flags ${flags}`);
    assert.equal(d.reply.fqdn.rcode1, 255);
    assert.equal(d.reply.fqdn.name, 'laptop.example.com.');
  }
});

test('ddns-override-client-update and ddns-override-no-update answer 0-1-1', () => {
  const over = decideFqdn(
    fqdn(0, 'a.example.com.'),
    behaviour({ 'ddns-override-client-update': true }),
    ADDR,
    true,
  );
  assert.deepEqual([over.forward, over.reverse], [true, true]);
  assert.ok(over.reply && 'fqdn' in over.reply);
  assert.equal(over.reply.fqdn.flags, S | O);
  const noUpd = decideFqdn(
    fqdn(N, 'a.example.com.'),
    behaviour({ 'ddns-override-no-update': true }),
    ADDR,
    true,
  );
  assert.deepEqual([noUpd.forward, noUpd.reverse], [true, true]);
  assert.ok(noUpd.reply && 'fqdn' in noUpd.reply);
  assert.equal(noUpd.reply.fqdn.flags, S | O);
});

test('ddns-send-updates false or updates disabled: N=1, and O when the client asked for S', () => {
  for (const [b, enabled] of [
    [behaviour({ 'ddns-send-updates': false }), true],
    [behaviour(), false],
  ] as const) {
    const d = decideFqdn(fqdn(S, 'a.example.com.'), b, ADDR, enabled);
    assert.deepEqual([d.forward, d.reverse], [false, false]);
    assert.ok(d.reply && 'fqdn' in d.reply);
    assert.equal(d.reply.fqdn.flags, N | O);
    assert.equal(d.name, 'a.example.com', 'the name is still recorded');
  }
});

test('N and S together are invalid (RFC 4702 §2.1)', () => {
  assert.equal(invalidFlags(fqdn(N | S, 'x')), true);
  assert.equal(invalidFlags(fqdn(S, 'x')), false);
  assert.equal(invalidFlags({ fqdn: undefined, hostName: 'x' }), false);
});

test('names: partial names and one-label host names are qualified, option 81 wins over option 12', () => {
  const b = behaviour();
  assert.equal(decideFqdn(fqdn(S, 'laptop'), b, ADDR, true).name, 'laptop.example.com');
  assert.equal(decideFqdn(fqdn(S | E, 'laptop.'), b, ADDR, true).name, 'laptop.example.com');
  assert.equal(decideFqdn(fqdn(S, 'Host.Other.Org.'), b, ADDR, true).name, 'host.other.org');
  const h = decideFqdn({ fqdn: undefined, hostName: 'phone' }, b, ADDR, true);
  assert.equal(h.name, 'phone.example.com');
  assert.deepEqual([h.forward, h.reverse], [true, true], 'option 12 alone: the server does both');
  assert.deepEqual(h.reply, { hostName: 'phone.example.com' });
  const both = decideFqdn(
    { fqdn: { flags: S, rcode1: 0, rcode2: 0, name: 'a' }, hostName: 'b' },
    b,
    ADDR,
    true,
  );
  assert.equal(both.name, 'a.example.com');
  const none = decideFqdn({ fqdn: undefined, hostName: undefined }, b, ADDR, true);
  assert.deepEqual([none.name, none.forward, none.reply], [null, false, undefined]);
});

test('ddns-replace-client-name modes and ddns-generated-prefix', () => {
  const sent = fqdn(S, 'laptop');
  const nothing = { fqdn: undefined, hostName: undefined };
  const mode = (m: 'never' | 'always' | 'when-present' | 'when-not-present') =>
    behaviour({ 'ddns-replace-client-name': m, 'ddns-generated-prefix': 'dyn' });
  const gen = 'dyn-198-18-0-10.example.com';
  assert.equal(decideFqdn(sent, mode('never'), ADDR, true).name, 'laptop.example.com');
  assert.equal(decideFqdn(nothing, mode('never'), ADDR, true).name, null);
  assert.equal(decideFqdn(sent, mode('always'), ADDR, true).name, gen);
  assert.equal(decideFqdn(nothing, mode('always'), ADDR, true).name, gen);
  assert.equal(decideFqdn(sent, mode('when-present'), ADDR, true).name, gen);
  assert.equal(decideFqdn(nothing, mode('when-present'), ADDR, true).name, null);
  assert.equal(decideFqdn(sent, mode('when-not-present'), ADDR, true).name, 'laptop.example.com');
  assert.equal(decideFqdn(nothing, mode('when-not-present'), ADDR, true).name, gen);
});

test('a reservation hostname wins over the client', () => {
  const d = decideFqdn(fqdn(S, 'laptop'), behaviour(), ADDR, true, 'printer');
  assert.equal(d.name, 'printer.example.com');
});

test('hostname-char-set and hostname-char-replacement sanitize client names', () => {
  const b = behaviour({ 'hostname-char-set': '[^A-Za-z0-9.-]', 'hostname-char-replacement': 'x' });
  assert.equal(sanitizeName("Bob's Laptop", b), 'bobxsxlaptop');
  assert.equal(decideFqdn({ fqdn: undefined, hostName: 'a_b' }, b, ADDR, true).name, 'axb.example.com');
  const strip = behaviour();
  assert.equal(sanitizeName('we ird\n', strip), 'weird');
  assert.equal(sanitizeName('...', strip), null);
  assert.equal(sanitizeName('x'.repeat(64), strip), null, 'a label over 63 bytes is refused');
});

test('the TTL: a third of the lease, at least 600 s, or ddns-ttl-percent / ddns-ttl / min / max', () => {
  assert.equal(ddnsTtl(7200, behaviour()), 2400);
  assert.equal(ddnsTtl(600, behaviour()), 600);
  assert.equal(ddnsTtl(4000, behaviour({ 'ddns-ttl-percent': 0.75 })), 3000);
  assert.equal(ddnsTtl(4000, behaviour({ 'ddns-ttl': 100 })), 100);
  assert.equal(ddnsTtl(60, behaviour({ 'ddns-ttl-min': 30 })), 30);
  assert.equal(ddnsTtl(86400, behaviour({ 'ddns-ttl-max': 3600 })), 3600);
});

test('subnet values override global ones', () => {
  const sink = { add: () => assert.fail('no issue expected') };
  const b = compileBehaviour(
    [
      { 'ddns-qualifying-suffix': 'lab.example.com' },
      { 'ddns-qualifying-suffix': 'example.com', 'ddns-send-updates': false },
    ],
    'x',
    sink,
  );
  assert.equal(b.qualifyingSuffix, 'lab.example.com');
  assert.equal(b.sendUpdates, false);
});

test('property: any flags and name give an answer RFC 4702 allows', () => {
  const bools = fc.boolean();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.string({ maxLength: 300 }),
      bools,
      bools,
      bools,
      bools,
      (flags, name, send, enabled, overClient, overNo) => {
        const b = behaviour({
          'ddns-send-updates': send,
          'ddns-override-client-update': overClient,
          'ddns-override-no-update': overNo,
        });
        const names = fqdn(flags, name);
        if (invalidFlags(names)) return;
        const d = decideFqdn(names, b, ADDR, enabled);
        if (d.name !== null) assert.match(d.name, /^[a-z0-9-]+(\.[a-z0-9-]+)*$/);
        if (d.reply === undefined || !('fqdn' in d.reply)) return;
        const f = d.reply.fqdn.flags;
        assert.ok(!((f & N) !== 0 && (f & S) !== 0), 'never N and S together');
        assert.equal((f & S) !== 0, d.forward);
        assert.equal((f & N) !== 0, !d.forward && !d.reverse);
        assert.equal((f & O) !== 0, d.forward !== ((flags & S) !== 0));
        assert.equal(f & E, flags & E, 'E is echoed');
        assert.equal(f & 0xf0, 0, 'MBZ bits clear');
      },
    ),
    { numRuns: 2000 },
  );
});
