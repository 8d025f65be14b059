/** fast-check arbitraries that generate messages through the option table: one arbitrary per codec type. */
import fc from 'fast-check';
import {
  createMessage,
  intToIp,
  ipToInt,
  OPTION_DEFINITIONS,
  prefixToMask,
  type DhcpMessage,
  type OptionDefinition,
} from '../../src/protocol/index.ts';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?$/);
export const domainName = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const text = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
  .filter((s) => !s.endsWith('\0') && s.length > 0);
// fast-check may build records with a null prototype; decoded values are plain objects.
const record = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((v) => ({ ...v }));
const subOption = record(fc.record({ code: fc.integer({ min: 0, max: 255 }), data: bytes(0, 12) }));

const route = fc
  .record({ ip: fc.ipV4(), prefixLength: fc.integer({ min: 0, max: 32 }), router: fc.ipV4() })
  .map(({ ip, prefixLength, router }) => ({
    destination: intToIp((ipToInt(ip) & prefixToMask(prefixLength)) >>> 0),
    prefixLength,
    router,
  }));

const clientFqdn = fc.oneof(
  record(
    fc.record({
      flags: fc.integer({ min: 0, max: 255 }).map((f) => f | 0x04),
      rcode1: fc.integer({ min: 0, max: 255 }),
      rcode2: fc.integer({ min: 0, max: 255 }),
      name: fc.oneof(
        domainName,
        domainName.map((n) => `${n}.`),
        fc.constant(''),
        fc.constant('.'),
      ),
    }),
  ),
  record(
    fc.record({
      flags: fc.integer({ min: 0, max: 255 }).map((f) => f & ~0x04),
      rcode1: fc.integer({ min: 0, max: 255 }),
      rcode2: fc.integer({ min: 0, max: 255 }),
      name: fc.string({ unit: 'binary-ascii', maxLength: 30 }),
    }),
  ),
);

const dnrParams = record(
  fc.record(
    {
      alpn: fc.array(label, { minLength: 1, maxLength: 3 }),
      port: fc.integer({ min: 0, max: 0xffff }),
      dohpath: fc.stringMatching(/^\/[a-z0-9/]{0,12}\{\?dns\}$/),
    },
    { requiredKeys: [] },
  ),
).filter((p) => Object.keys(p).length > 0);

const dnrInstance = fc.oneof(
  record(fc.record({ priority: fc.integer({ min: 0, max: 0xffff }), adn: domainName })),
  record(
    fc.record(
      {
        priority: fc.integer({ min: 0, max: 0xffff }),
        adn: domainName,
        addresses: fc.array(fc.ipV4(), { minLength: 1, maxLength: 3 }),
        params: dnrParams,
      },
      { requiredKeys: ['priority', 'adn', 'addresses'] },
    ),
  ),
);

/** Canonical typed values for each codec type: what decode gives back for what encode was given. */
export const VALUE_BY_TYPE: Record<string, fc.Arbitrary<unknown>> = {
  ip: fc.ipV4(),
  ips: fc.array(fc.ipV4(), { minLength: 1, maxLength: 6 }),
  'ip-pairs': fc.array(fc.tuple(fc.ipV4(), fc.ipV4()), { minLength: 1, maxLength: 3 }).map((p) => p.flat()),
  u8: fc.integer({ min: 0, max: 255 }),
  u16: fc.integer({ min: 0, max: 0xffff }),
  u32,
  i32: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  bool: fc.boolean(),
  flag: fc.constant(true),
  string: text,
  bytes: bytes(3, 24),
  'u8-list': fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 20 }),
  'u16-list': fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 6 }),
  'fqdn-list': fc.array(domainName, { minLength: 1, maxLength: 5 }),
  fqdn: domainName,
  routes: fc.array(route, { minLength: 1, maxLength: 4 }),
  'sub-options': fc.array(subOption, { minLength: 1, maxLength: 4 }),
  'client-fqdn': clientFqdn,
  'user-classes': fc.array(bytes(1, 8), { minLength: 1, maxLength: 3 }),
  'vendor-classes': fc.array(
    record(fc.record({ enterprise: u32, data: fc.array(bytes(1, 8), { maxLength: 3 }) })),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
  dnr: fc.array(dnrInstance, { minLength: 1, maxLength: 3 }),
  'vendor-options': fc.array(
    record(fc.record({ enterprise: u32, options: fc.array(subOption, { maxLength: 3 }) })),
    {
      minLength: 1,
      maxLength: 2,
    },
  ),
};

/** Per-name narrowing where the type alone allows values the option does not. */
const VALUE_BY_NAME: Record<string, fc.Arbitrary<unknown>> = {
  'dhcp-message-type': fc.integer({ min: 1, max: 18 }),
  'dhcp-max-message-size': fc.integer({ min: 576, max: 0xffff }),
  // Records whose smallest value is longer than the bytes type's: Kea's record definitions.
  'v4-portparams': bytes(4, 8),
  'rdnss-selection': bytes(10, 40),
  'option-6rd': bytes(22, 40),
};

const DEFINITIONS = (OPTION_DEFINITIONS as readonly OptionDefinition[]).filter(
  (d) => d.name !== 'dhcp-option-overload',
);
const KNOWN = new Set(OPTION_DEFINITIONS.map((d) => d.code));
const UNKNOWN_CODES = Array.from({ length: 254 }, (_, i) => i + 1).filter((c) => !KNOWN.has(c));

export interface TypedOption {
  name: string;
  value: unknown;
}

/** Options drawn from the table (all of it, or those `only` keeps), each with a value of its type. */
export function typedOptionsOf(
  only: (d: OptionDefinition) => boolean = () => true,
): fc.Arbitrary<TypedOption[]> {
  return fc
    .subarray(DEFINITIONS.filter(only), { maxLength: 10 })
    .chain((defs) =>
      fc.tuple(
        ...defs.map((d) =>
          (VALUE_BY_NAME[d.name] ?? VALUE_BY_TYPE[d.type]!).map((value) => ({ name: d.name, value })),
        ),
      ),
    );
}

export const typedOptions = typedOptionsOf();

const unknownOptions = fc.uniqueArray(
  // Now and then a bulky one, so that overload and RFC 3396 splitting get exercised.
  fc.record({
    code: fc.constantFrom(...UNKNOWN_CODES),
    data: fc.oneof({ weight: 5, arbitrary: bytes(0, 20) }, { weight: 1, arbitrary: bytes(100, 400) }),
  }),
  { maxLength: 3, selector: (o) => o.code },
);

const cString = (max: number) =>
  fc.oneof(
    fc.constant(''),
    fc.string({ unit: 'binary-ascii', maxLength: max }).map((s) => s.replace(/\0/g, '')),
  );

export interface GeneratedMessage {
  message: DhcpMessage;
  typed: TypedOption[];
}

export interface MessageShape {
  /** Which table entries to draw options from (default all). */
  only?: (d: OptionDefinition) => boolean;
  /** Add options of codes the table does not know (default true). */
  unknown?: boolean;
}

export function messageOf(shape: MessageShape = {}): fc.Arbitrary<GeneratedMessage> {
  return fc
    .record({
      op: fc.integer({ min: 0, max: 255 }),
      htype: fc.integer({ min: 0, max: 255 }),
      hlen: fc.integer({ min: 0, max: 16 }),
      hops: fc.integer({ min: 0, max: 255 }),
      xid: u32,
      secs: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      ciaddr: fc.ipV4(),
      yiaddr: fc.ipV4(),
      siaddr: fc.ipV4(),
      giaddr: fc.ipV4(),
      chaddr: bytes(16, 16),
      sname: cString(64),
      file: cString(128),
      typed: typedOptionsOf(shape.only),
      unknown: shape.unknown === false ? fc.constant([]) : unknownOptions,
    })
    .map(({ typed, unknown, ...header }) => {
      const message = createMessage(header);
      for (const { name, value } of typed) message.options.set(name as 'host-name', value as string);
      for (const { code, data } of unknown) message.options.setRaw(code, data);
      return { message, typed };
    });
}

export const generatedMessage: fc.Arbitrary<GeneratedMessage> = messageOf();
