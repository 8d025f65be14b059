/**
 * The classifier runs a configuration's tests through one loop with option-presence masks and keeps
 * requests' classes as nodes of a shared trie. Both are shortcuts: over random configurations (Kea's
 * example expressions and the usual kinds) and random requests, they must give exactly the classes, in
 * exactly the order, that evaluating every test one by one gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  classifyAdditional,
  classifyEarly,
  classifyHost,
  combination,
  EvaluationError,
  PacketClasses,
  type EvalPacket,
} from '../../src/classify/index.ts';
import { MAX_NODES } from '../../src/classify/class-trie.ts';
import { compileConfig } from '../../src/config/compile.ts';
import type { CompiledConfig, CompiledReservation } from '../../src/config/index.ts';
import { createMessage, decodeMessage, encodeMessage, type DhcpMessage } from '../../src/protocol/index.ts';
import type { Arrival } from '../../src/classify/index.ts';

/** Tests as sites and Kea's examples write them; PREV names an earlier class of the configuration. */
const TESTS = [
  "substring(option[60].hex,0,9) == 'PXEClient'",
  "substring(option[60].hex,0,6) == 'Aastra'",
  "member('PREV') and option[93].hex == 0x0007",
  'vendor-class[4491].exists or vendor[4491].exists',
  'relay4[1].exists and pkt4.giaddr == 198.18.1.1',
  "hexstring(substring(pkt4.mac,0,3), ':') == '00:50:56'",
  "split(option[host-name].text, '-', 1) == 'lab'",
  'option[55].exists and pkt4.htype == 1',
  "pkt4.hlen == 6 and not (pkt.iface == 'lo')",
  "lcase(substring(option[60].hex,0,4)) == 'msft'",
  "member('ALL')",
  "member('PREV') and member('KNOWN')",
  "member('PREV') or unknown",
  'known',
  'pkt4.mac == 0x010203040506',
  'pkt4.msgtype == 1',
  'pkt4.transid == 0',
  "int16totext(option[93].hex) == '7'",
  'option[82].option[2].hex == 0x0102 or option[12].exists',
  "ifelse(option[61].exists, 'a', 'b') == 'a'",
  "member('VENDOR_CLASS_docsis3.0')",
  "member('PREV') or member('BOOTP')",
  'option[77].exists and not option[60].exists',
  "vendor-class[*].data == 'docsis' and option[125].exists",
  'option[150].exists or option[151].exists',
  "option[160].exists and option[161].exists and option[162].hex == 'x'",
];

/** Many distinct options read, so that some get no bit of the mask. */
const MANY = Array.from({ length: 36 }, (_, i) => `option[${170 + i}].exists`);

const VENDORS = ['PXEClient:Arch:00007:UNDI:003016', 'Aastra6731i', 'MSFT 5.0', 'docsis3.0', ''];
const OPTION_CODES = [53, 55, 60, 61, 77, 82, 93, 12, 124, 125, 150, 151, 160, 161, 162, 170, 171, 190, 205];

interface ClassSpec {
  test: number;
  prev: number;
  additionalOnly: boolean;
  hasTest: boolean;
}

function config(
  specs: readonly ClassSpec[],
  pool: readonly string[],
  extraClasses: string[],
): CompiledConfig {
  const classes = specs.map((s, i) => {
    const prev = i === 0 ? 'ALL' : `c${s.prev % i}`;
    const entry: Record<string, unknown> = { name: `c${i}`, 'only-if-required': s.additionalOnly };
    if (s.hasTest) entry.test = pool[s.test % pool.length]!.replaceAll('PREV', prev);
    return entry;
  });
  return compileConfig({
    Dhcp4: {
      'client-classes': classes,
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
          reservations: [{ 'hw-address': '02:00:00:00:00:99', 'client-classes': extraClasses }],
        },
      ],
    },
  });
}

const packetArb: fc.Arbitrary<PacketSpec> = fc.record({
  options: fc.array(
    fc.record({
      code: fc.constantFrom(...OPTION_CODES),
      bytes: fc.oneof(
        fc.constantFrom(...VENDORS).map((v) => Uint8Array.from(Buffer.from(v))),
        fc.constantFrom(Uint8Array.of(0, 7), Uint8Array.of(1), Uint8Array.of(1, 2, 1, 2, 2, 2, 1, 2)),
        fc.constantFrom(Uint8Array.of(0, 0, 0x11, 0x8b, 8, 6, 100, 111, 99, 115, 105, 115)),
        fc.uint8Array({ minLength: 0, maxLength: 12 }),
      ),
    }),
    { maxLength: 8 },
  ),
  mac: fc.oneof(
    fc.constant([0, 0x50, 0x56]),
    fc.constant([1, 2, 3, 4, 5, 6]),
    fc.array(fc.nat(255), { maxLength: 6 }),
  ),
  hlen: fc.constantFrom(6, 6, 6, 0, 16, 3),
  htype: fc.constantFrom(1, 1, 6),
  giaddr: fc.constantFrom('0.0.0.0', '198.18.1.1'),
  xid: fc.constantFrom(0, 1, 0xdeadbeef),
  iface: fc.constantFrom('eth0', 'lo'),
  given: fc.subarray(['HA_server1', 'ALL']),
});

interface PacketSpec {
  readonly options: readonly { readonly code: number; readonly bytes: Uint8Array }[];
  readonly mac: readonly number[];
  readonly hlen: number;
  readonly htype: number;
  readonly giaddr: string;
  readonly xid: number;
  readonly iface: string;
  readonly given: readonly string[];
}

function packet(p: PacketSpec): { msg: DhcpMessage; meta: Arrival } {
  const chaddr = new Uint8Array(16);
  chaddr.set(p.mac.slice(0, 16));
  const m = createMessage({ chaddr, hlen: p.hlen, htype: p.htype, giaddr: p.giaddr, xid: p.xid });
  // Option 53 must be a message type for the decoder to take the packet.
  for (const o of p.options)
    m.options.setRaw(o.code, o.code === 53 ? Uint8Array.of(o.bytes.length % 2 === 0 ? 1 : 3) : o.bytes);
  // Decoded from the wire, as the engine sees it (options read lazily from the packet).
  const msg = decodeMessage(encodeMessage(m));
  const meta: Arrival = {
    interface: p.iface,
    sourceAddress: '0.0.0.0',
    interfaceAddresses: [{ address: '198.18.0.1' }],
    classes: p.given,
  };
  return { msg, meta };
}

/** Every test evaluated one by one with a Set of names: Kea's procedure, without any shortcut. */
function reference(
  cfg: CompiledConfig,
  msg: DhcpMessage,
  meta: Arrival,
  res: CompiledReservation | undefined,
  lists: readonly (readonly string[])[],
): string[] {
  const members = new Set(['ALL']);
  const standalone = new PacketClasses(msg, meta);
  const p: EvalPacket = {
    msg,
    iface: meta.interface,
    src: meta.sourceAddress,
    dst: standalone.dst,
    length: standalone.length,
    classes: members,
  };
  const phase = (): string[] => [];
  const builtin = ['ALL'];
  const [host, evaluated, known, late, additional] = [phase(), phase(), phase(), phase(), phase()];
  const add = (name: string, into: string[]): void => {
    if (members.has(name)) return;
    members.add(name);
    into.push(name);
  };
  const run = (c: CompiledConfig['clientClasses'][number]): boolean => {
    try {
      return c.test!.evaluate(p);
    } catch (err) {
      if (err instanceof EvaluationError) return false;
      throw err;
    }
  };
  const vendor = msg.options.getRaw(60);
  if (vendor !== undefined && vendor.length > 0)
    add(`VENDOR_CLASS_${Buffer.from(vendor).toString('latin1')}`, builtin);
  if (!msg.options.hasCode(53)) add('BOOTP', builtin);
  for (const n of meta.classes ?? []) add(n, builtin);
  const tested = cfg.clientClasses.filter((c) => c.test !== undefined && !c.additionalOnly);
  for (const c of tested) if (!c.dependsOnKnown && run(c)) add(c.name, evaluated);
  for (const n of res?.clientClasses ?? []) add(n, host);
  add(res === undefined ? 'UNKNOWN' : 'KNOWN', known);
  for (const c of tested) if (c.dependsOnKnown && run(c)) add(c.name, late);
  for (const list of lists)
    for (const n of list) {
      const c = cfg.classesByName.get(n);
      if (members.has(n) || c === undefined) continue;
      if (c.test === undefined || run(c)) add(n, additional);
    }
  return [...builtin, ...host, ...evaluated, ...known, ...late, ...additional];
}

const classArb = fc.record({
  test: fc.nat(),
  prev: fc.nat(),
  additionalOnly: fc.boolean(),
  hasTest: fc.nat(9).map((n) => n < 8),
});

test('the fused, masked classifier assigns what evaluating every test in turn assigns, in the same order', () => {
  fc.assert(
    fc.property(
      fc.array(classArb, { minLength: 1, maxLength: 40 }),
      fc.boolean(),
      fc.array(packetArb, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.array(fc.array(fc.nat(20), { maxLength: 3 }), { maxLength: 2 }),
      (specs, many, packets, reserved, listIdx) => {
        const pool = many ? [...TESTS, ...MANY] : TESTS;
        const cfg = config(specs, pool, reserved ? ['c0', 'HOSTONLY'] : []);
        const res = reserved ? cfg.subnets[0]!.reservations[0] : undefined;
        const lists = listIdx.map((l) => l.map((i) => `c${i}`));
        for (const spec of packets) {
          const { msg, meta } = packet(spec);
          const pc = classifyEarly(cfg, msg, meta);
          classifyHost(cfg, pc, res);
          for (const list of lists) classifyAdditional(cfg, pc, list);
          const want = reference(cfg, msg, meta, res, lists);
          assert.deepEqual(combination(cfg, pc).ordered, want);
          for (const name of [...want, 'c0', 'c1', 'KNOWN', 'nope'])
            assert.equal(pc.has(name), want.includes(name));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('tests reading more options than the mask has bits still see every option', () => {
  const specs = MANY.map((_, i) => ({
    test: TESTS.length + i,
    prev: 0,
    additionalOnly: false,
    hasTest: true,
  }));
  const cfg = config(specs, [...TESTS, ...MANY], []);
  const codes = MANY.map((_, i) => 170 + i);
  fc.assert(
    fc.property(fc.subarray(codes), fc.subarray(codes), (present, reordered) => {
      const options = [...present, ...reordered.filter((c) => !present.includes(c))].map((code) => ({
        code,
        bytes: Uint8Array.of(1),
      }));
      const base = { mac: [2], hlen: 6, htype: 1, giaddr: '0.0.0.0', xid: 1, iface: 'eth0', given: [] };
      const { msg, meta } = packet({ ...base, options: [{ code: 53, bytes: Uint8Array.of() }, ...options] });
      const pc = classifyEarly(cfg, msg, meta);
      classifyHost(cfg, pc, undefined);
      assert.deepEqual(combination(cfg, pc).ordered, reference(cfg, msg, meta, undefined, []));
    }),
    { numRuns: 200 },
  );
});

test('a flood of distinct option 60 values never grows the trie past its bound, and the trie keeps caching afterwards', () => {
  const cfg = config(
    [
      { test: 0, prev: 0, additionalOnly: false, hasTest: true },
      { test: 7, prev: 0, additionalOnly: false, hasTest: true },
    ],
    TESTS,
    [],
  );
  const request = (vendor: string): PacketClasses => {
    const { msg, meta } = packet({
      options: [
        { code: 60, bytes: Uint8Array.from(Buffer.from(vendor)) },
        { code: 55, bytes: Uint8Array.of(1, 3) },
        { code: 53, bytes: Uint8Array.of() },
      ],
      mac: [2, 0, 0, 0, 0, 1],
      hlen: 6,
      htype: 1,
      giaddr: '0.0.0.0',
      xid: 1,
      iface: 'eth0',
      given: [],
    });
    const pc = classifyEarly(cfg, msg, meta);
    classifyHost(cfg, pc, undefined);
    return pc;
  };
  const trie = request('PXEClient').classifier.trie;
  let largest = 0;
  for (let i = 0; i < 3 * MAX_NODES; i++) {
    const pc = request(`PXEClient-${i}`);
    largest = Math.max(largest, trie.size);
    assert.deepEqual(combination(cfg, pc).ordered, [
      'ALL',
      `VENDOR_CLASS_PXEClient-${i}`,
      'c0',
      'c1',
      'UNKNOWN',
    ]);
  }
  assert.ok(largest <= MAX_NODES, `the trie held ${largest} nodes`);
  assert.ok(trie.generation >= 2, 'the trie started over when full');
  // After the flood, a client's combination is cached again: the same node for the same classes.
  const a = request('PXEClient:Arch:00007');
  const b = request('PXEClient:Arch:00007');
  assert.equal(a.node, b.node);
  assert.equal(combination(cfg, b).text, 'VENDOR_CLASS_PXEClient:Arch:00007, c0, c1, UNKNOWN');
});
