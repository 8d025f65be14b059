import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compileBoolExpression,
  compileStringExpression,
  EvaluationError,
  ExpressionError,
} from '../../src/classify/index.ts';
import { createMessage } from '../../src/protocol/index.ts';

const WORDS = [
  'option[60].hex',
  'option[82].option[1].hex',
  'relay4[2].exists',
  'vendor[*].option[1].hex',
  'vendor-class[4491].data[1]',
  'pkt4.mac',
  'pkt4.msgtype',
  'pkt.len',
  "member('ALL')",
  'known',
  '==',
  'and',
  'or',
  'not',
  '(',
  ')',
  ',',
  '+',
  'substring(',
  'split(',
  'hexstring(',
  'ifelse(',
  'int16totext(',
  'addrtotext(',
  'lcase(',
  "'a'",
  '0x0102',
  '7',
  '-1',
  'all',
  '1.2.3.4',
];

/** Any text, and token soup close to real expressions, either compiles or is refused with ExpressionError. */
test('the parser refuses garbage with ExpressionError only, and compiled tests evaluate to a boolean or EvaluationError', () => {
  const soup = fc.array(fc.constantFrom(...WORDS), { maxLength: 30 }).map((w) => w.join(' '));
  const msg = createMessage({ chaddr: Uint8Array.of(2, 0, 0, 0, 0, 1) });
  msg.options.setRaw(60, Uint8Array.from(Buffer.from('PXEClient')));
  msg.options.setRaw(82, Uint8Array.of(1, 2, 0x61, 0x62, 2, 1, 0xff));
  msg.options.setRaw(125, Uint8Array.of(0, 0, 0x11, 0x8b, 3, 1, 1, 0x41));
  const bare = {
    msg: createMessage({ chaddr: Uint8Array.of(2, 0, 0, 0, 0, 1) }),
    iface: 'eth0',
    src: '0.0.0.0',
    dst: '255.255.255.255',
    length: 240,
    classes: new Set(['ALL']),
  };
  const packet = {
    msg,
    iface: 'eth0',
    src: '0.0.0.0',
    dst: '255.255.255.255',
    length: 300,
    classes: new Set(['ALL']),
  };
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), soup), (text) => {
      let compiled;
      try {
        compiled = compileBoolExpression(text);
      } catch (err) {
        if (err instanceof ExpressionError) return;
        throw err;
      }
      for (const p of [packet, bare]) {
        let v: boolean | undefined;
        try {
          v = compiled.evaluate(p);
          if (typeof v !== 'boolean') throw new Error(`not a boolean: ${String(v)}`);
        } catch (err) {
          if (!(err instanceof EvaluationError)) throw err;
        }
        // The pre-check may only skip tests that would be false (or fail) anyway.
        if (v === true && compiled.needs.some((c) => !p.msg.options.hasCode(c)))
          throw new Error(`${text}: true without option(s) ${compiled.needs.join(',')}`);
        for (const group of compiled.needsAnyOf)
          if (v === true && !group.some((c) => p.msg.options.hasCode(c)))
            throw new Error(`${text}: true without any of option(s) ${group.join(',')}`);
      }
    }),
    { numRuns: 3000 },
  );
});

/** Values the constant-equality shortcuts compare without making strings (windows, 4-byte fields, case). */
const FAST_VALUES = [
  'pkt4.mac',
  'substring(pkt4.mac,0,3)',
  'substring(pkt4.mac,-2,all)',
  'option[60].hex',
  'substring(option[60].hex,0,9)',
  'substring(option[60].hex,2,-1)',
  'substring(substring(option[60].hex,1,all),-3,2)',
  'lcase(substring(option[60].hex,0,4))',
  'ucase(option[60].hex)',
  'option[82].option[1].hex',
  'relay4[2].hex',
  'pkt4.hlen',
  'pkt4.htype',
  'pkt4.giaddr',
  'pkt4.ciaddr',
  'pkt4.msgtype',
  'pkt4.transid',
  'pkt.len',
  'pkt.src',
  'pkt.dst',
  "split(option[60].hex, ':', 2)",
  "split(option[60].text, ':-', 1)",
  "split(option[60].hex, '', 1)",
  "split(option[60].hex, ':', 0)",
  "split(option[60].hex, ':', 4)",
  "split(option[host-name].text, '-', 1)",
  'option[12].text',
  'lcase(option[60].text)',
  'option[51].text',
];

test('X == constant by the byte shortcuts gives what comparing the string value of X gives', () => {
  const packetArb = fc.record({
    chaddr: fc.uint8Array({ maxLength: 16 }),
    hlen: fc.constantFrom(0, 3, 6, 16, 20),
    htype: fc.nat(255),
    giaddr: fc.constantFrom('0.0.0.0', '198.18.1.1', '255.255.255.255'),
    xid: fc.constantFrom(0, 1, 0x80000000, 0xffffffff),
    option12: fc.option(fc.constantFrom('lab-pc-1', 'desk', '-', 'lab--x', '')),
    option51: fc.option(fc.uint8Array({ minLength: 0, maxLength: 5 })),
    option60: fc.option(
      fc.oneof(
        fc.constantFrom('PXEClient:Arch', 'MSFT 5.0', 'Aastra', 'a::b:c', ':x-y'),
        fc.string({ maxLength: 12 }),
      ),
    ),
    option53: fc.option(fc.uint8Array({ minLength: 0, maxLength: 2 })),
    option82: fc.option(fc.uint8Array({ maxLength: 10 })),
    src: fc.constantFrom('0.0.0.0', '198.18.0.7', 'not-an-address'),
  });
  const constantArb = fc.oneof(fc.uint8Array({ maxLength: 10 }), fc.constant(null));
  fc.assert(
    fc.property(
      packetArb,
      fc.constantFrom(...FAST_VALUES),
      constantArb,
      fc.constantFrom('plain', 'hexstring', 'hexstring-bare'),
      (pk, value, k, form) => {
        const msg = createMessage({
          chaddr: pk.chaddr,
          hlen: pk.hlen,
          htype: pk.htype,
          giaddr: pk.giaddr,
          xid: pk.xid,
        });
        if (pk.option60 !== null) msg.options.setRaw(60, Uint8Array.from(Buffer.from(pk.option60, 'latin1')));
        if (pk.option53 !== null) msg.options.setRaw(53, pk.option53);
        if (pk.option12 !== null) msg.options.setRaw(12, Uint8Array.from(Buffer.from(pk.option12, 'latin1')));
        if (pk.option51 !== null) msg.options.setRaw(51, pk.option51);
        if (pk.option82 !== null) msg.options.setRaw(82, pk.option82);
        const p = {
          msg,
          iface: 'eth0',
          src: pk.src,
          dst: '198.18.0.1',
          length: 300,
          classes: new Set(['ALL']),
        };
        const x = form === 'plain' ? value : `hexstring(${value}, '${form === 'hexstring' ? ':' : ''}')`;
        // The reference reads every packet value through concat(v, ''), which has no shortcut: the
        // operators around it then work on strings.
        const reference = x.replace(
          /(option\[[^\]]+\](?:\.option\[\d+\])*\.(?:hex|text)|relay4\[\d+\]\.hex|pkt4\.mac)/g,
          "concat($1, '')",
        );
        let actual: string;
        try {
          actual = compileStringExpression(reference).evaluate(p);
        } catch (err) {
          // Bytes the option's type cannot take (option 51 of 3 bytes): both forms fail alike.
          assert.ok(err instanceof EvaluationError, x);
          assert.throws(() => compileStringExpression(x).evaluate(p), EvaluationError, x);
          return;
        }
        assert.equal(compileStringExpression(x).evaluate(p), actual, x);
        // null: the constant is the value itself, so that equal cases are tried as often as unequal ones.
        const bytes = k === null ? Buffer.from(actual, 'latin1') : Buffer.from(k);
        const literal =
          form === 'plain'
            ? bytes.length === 0
              ? "''"
              : `0x${bytes.toString('hex')}`
            : `'${k === null ? actual : [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(form === 'hexstring' ? ':' : '')}'`;
        const want = actual === compileStringExpression(literal).evaluate(p);
        assert.equal(compileBoolExpression(`${x} == ${literal}`).evaluate(p), want, `${x} == ${literal}`);
        assert.equal(compileBoolExpression(`${literal} == ${x}`).evaluate(p), want, `${literal} == ${x}`);
      },
    ),
    { numRuns: 3000 },
  );
});
