import { test } from 'node:test';
import fc from 'fast-check';
import { compileBoolExpression, EvaluationError, ExpressionError } from '../../src/classify/index.ts';
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
