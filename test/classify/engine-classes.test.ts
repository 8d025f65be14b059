import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/compile.ts';
import { MessageType } from '../../src/protocol/index.ts';
import { Lab, msg } from '../server/harness.ts';

const PXE = { 'vendor-class-identifier': 'PXEClient:Arch:00007:UNDI:003016', 'client-system': [7] };
const PRL = { 'dhcp-parameter-request-list': [1, 3, 6, 15, 42, 66, 67] };

const pxeConfig = {
  Dhcp4: {
    'valid-lifetime': 3600,
    'option-data': [{ name: 'domain-name', data: 'global.example' }],
    'client-classes': [
      {
        name: 'pxe-efi',
        test: "substring(option[60].hex,0,9) == 'PXEClient' and option[93].hex == 0x0007",
        'next-server': '198.18.0.5',
        'server-hostname': 'tftp.example',
        'boot-file-name': 'efi/shimx64.efi',
        'option-data': [
          { name: 'domain-name', data: 'pxe.example' },
          { name: 'ntp-servers', data: '198.18.0.123' },
        ],
      },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
        'option-data': [{ name: 'routers', data: '198.18.0.1' }],
      },
    ],
  },
};

test('a PXE client (option 60 PXEClient:Arch:00007, option 93) gets its class boot file and next-server; a plain client does not', async () => {
  const lab = new Lab(pxeConfig);
  const ack = await lab.dora('02:00:00:00:00:01', { options: { ...PXE, ...PRL } });
  assert.equal(ack.message.siaddr, '198.18.0.5');
  assert.equal(ack.message.file, 'efi/shimx64.efi');
  assert.equal(ack.message.sname, 'tftp.example');
  // Class options over global ones (Kea: subnet > class > global).
  assert.equal(ack.message.options.get('domain-name'), 'pxe.example');
  assert.deepEqual(ack.message.options.get('ntp-servers'), ['198.18.0.123']);
  assert.match(
    lab.lastEvent(),
    /classes \[VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016, pxe-efi, UNKNOWN\]/,
  );
  const lease = await lab.store.get(ack.message.yiaddr);
  assert.deepEqual(lease?.userContext, {
    ISC: { 'client-classes': ['VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016', 'pxe-efi', 'UNKNOWN'] },
  });

  const plain = await lab.dora('02:00:00:00:00:02', { options: PRL });
  assert.equal(plain.message.siaddr, '0.0.0.0');
  assert.equal(plain.message.file, '');
  assert.equal(plain.message.options.get('domain-name'), 'global.example');
  assert.equal(plain.message.options.get('ntp-servers'), undefined);
  assert.match(lab.lastEvent(), /classes \[UNKNOWN\]/);
});

test('a configuration without classes logs none and stores no classes', async () => {
  const lab = new Lab({ Dhcp4: { ...pxeConfig.Dhcp4, 'client-classes': undefined } });
  const ack = await lab.dora('02:00:00:00:00:01', { options: PXE });
  assert.doesNotMatch(lab.lastEvent(), /classes/);
  assert.equal((await lab.store.get(ack.message.yiaddr))?.userContext, null);
  assert.equal(lab.events.at(-1)?.classes, null);
});

const gated = {
  Dhcp4: {
    'valid-lifetime': 3600,
    'client-classes': [
      { name: 'phones', test: "substring(option[60].hex,0,6) == 'Aastra'", 'valid-lifetime': 600 },
      { name: 'lab-only', test: "option[host-name].text == 'lab'" },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [
          { pool: '198.18.0.10 - 198.18.0.19', 'client-class': 'phones' },
          { pool: '198.18.0.20 - 198.18.0.29', 'client-class': 'UNKNOWN' },
          { pool: '198.18.0.30 - 198.18.0.39', 'client-classes': ['KNOWN'] },
        ],
        reservations: [{ 'hw-address': '02:00:00:00:00:aa', hostname: 'desk' }],
      },
      {
        id: 2,
        subnet: '198.18.5.0/24',
        'client-class': 'lab-only',
        pools: [{ pool: '198.18.5.10 - 198.18.5.20' }],
        relay: { 'ip-addresses': ['198.18.5.1'] },
      },
    ],
  },
};

test('pools limited to a class: a phone pool for a vendor, a guest pool for UNKNOWN, a known pool for reserved hosts', async () => {
  const lab = new Lab(gated);
  const phone = await lab.dora('02:00:00:00:00:01', {
    options: { 'vendor-class-identifier': 'Aastra6731i' },
  });
  // The phone is UNKNOWN too, and the first pool that admits it is the phone pool.
  assert.equal(phone.message.yiaddr, '198.18.0.10');
  assert.equal(phone.message.options.get('dhcp-lease-time'), 600); // the class's valid-lifetime
  const guest = await lab.dora('02:00:00:00:00:02');
  assert.equal(guest.message.yiaddr, '198.18.0.20');
  assert.equal(guest.message.options.get('dhcp-lease-time'), 3600);
  const desk = await lab.dora('02:00:00:00:00:aa');
  assert.equal(desk.message.yiaddr, '198.18.0.30');
  assert.match(lab.lastEvent(), /classes \[KNOWN\]/);
});

test('a guest cannot take an address of a pool its classes do not admit, even by asking for it', async () => {
  const lab = new Lab(gated);
  const offer = await lab.one(
    msg(MessageType.DISCOVER, '02:00:00:00:00:03', { options: { 'dhcp-requested-address': '198.18.0.31' } }),
  );
  assert.equal(offer.message.yiaddr, '198.18.0.20');
  const nak = await lab.one(
    msg(MessageType.REQUEST, '02:00:00:00:00:03', {
      options: { 'dhcp-requested-address': '198.18.0.11', 'dhcp-server-identifier': '198.18.0.1' },
    }),
  );
  assert.equal(nak.type, MessageType.NAK);
});

test('a subnet limited to a class is invisible to other clients', async () => {
  const lab = new Lab(gated);
  const relayed = { giaddr: '198.18.5.1' };
  await lab.none(msg(MessageType.DISCOVER, '02:00:00:00:00:04', relayed));
  assert.match(lab.lastEvent(), /no subnet/);
  const ack = await lab.dora('02:00:00:00:00:05', { ...relayed, options: { 'host-name': 'lab' } });
  assert.equal(ack.message.yiaddr, '198.18.5.10');
});

const precedence = {
  Dhcp4: {
    'option-data': [{ name: 'domain-name', data: 'global.example' }],
    'client-classes': [
      {
        name: 'first',
        test: "option[60].text == 'x'",
        'option-data': [
          { name: 'domain-name', data: 'first.example' },
          { name: 'ntp-servers', data: '198.18.0.1' },
          { name: 'interface-mtu', data: '1400' },
        ],
      },
      {
        name: 'second',
        test: "member('first')",
        'option-data': [
          { name: 'ntp-servers', data: '198.18.0.2' },
          { name: 'tftp-server-name', data: 'second' },
          { name: 'interface-mtu', data: '1300' },
        ],
        'boot-file-name': 'second.efi',
      },
      {
        name: 'when-known',
        test: 'known',
        'option-data': [{ name: 'root-path', data: '/known' }],
      },
      { name: 'gold', 'option-data': [{ name: 'nis-domain', data: 'gold' }], 'boot-file-name': 'gold.efi' },
      {
        name: 'late',
        'only-if-required': true,
        test: "option[60].text == 'x'",
        'option-data': [{ name: 'domain-search', data: 'late.example' }],
      },
      {
        name: 'later',
        'only-in-additional-list': true,
        'option-data': [{ name: 'merit-dump', data: '/later' }],
      },
      { name: 'DROP', test: "option[60].text == 'evil'" },
    ],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        'require-client-classes': ['late'],
        'evaluate-additional-classes': ['later', 'no-such-class'],
        'option-data': [{ name: 'interface-mtu', data: '1500' }],
        pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
        reservations: [
          {
            'hw-address': '02:00:00:00:00:aa',
            'client-classes': ['gold'],
            'boot-file-name': 'host.efi',
            'option-data': [{ name: 'ntp-servers', data: '198.18.0.9' }],
          },
          { 'hw-address': '02:00:00:00:00:bb', 'client-classes': ['gold'] },
        ],
      },
    ],
  },
};

const ALL_PRL = { 'dhcp-parameter-request-list': [15, 17, 14, 26, 40, 42, 66, 119] };

test('option precedence: subnet over classes in order over global; the first class listed wins', async () => {
  const lab = new Lab(precedence);
  const ack = await lab.dora('02:00:00:00:00:01', {
    options: { 'vendor-class-identifier': 'x', ...ALL_PRL },
  });
  const o = ack.message.options;
  assert.equal(o.get('domain-name'), 'first.example'); // class over global
  assert.deepEqual(o.get('ntp-servers'), ['198.18.0.1']); // first class over second
  assert.equal(o.get('tftp-server-name'), 'second');
  assert.equal(o.get('interface-mtu'), 1500); // subnet over classes
  assert.equal(ack.message.file, 'second.efi');
  assert.equal(o.get('root-path'), undefined); // UNKNOWN: no "known" class
  assert.equal(o.get('nis-domain'), undefined); // gold is assigned by reservations only
  // The subnet's additional classes: `late` by its test, `later` without one; an unknown name is skipped.
  assert.deepEqual(o.get('domain-search'), ['late.example']);
  assert.equal(o.get('merit-dump'), '/later');
  assert.match(lab.lastEvent(), /classes \[VENDOR_CLASS_x, first, second, UNKNOWN, late, later\]/);
});

test("clients with the same classes in different pools each get their own pool's options with the class's", async () => {
  const lab = new Lab({
    Dhcp4: {
      'client-classes': [
        {
          name: 'everyone',
          test: "member('ALL')",
          'option-data': [
            { name: 'domain-name', data: 'class.example' },
            { name: 'ntp-servers', data: '198.18.0.123' },
          ],
        },
      ],
      subnet4: [
        {
          id: 1,
          subnet: '198.18.0.0/24',
          pools: [
            {
              pool: '198.18.0.10 - 198.18.0.10',
              'option-data': [{ name: 'domain-name', data: 'one.example' }],
            },
            {
              pool: '198.18.0.20 - 198.18.0.20',
              'option-data': [{ name: 'domain-name', data: 'two.example' }],
            },
          ],
        },
      ],
    },
  });
  const prl = { 'dhcp-parameter-request-list': [15, 42] };
  const first = await lab.dora('02:00:00:00:00:01', { options: prl });
  const second = await lab.dora('02:00:00:00:00:02', { options: prl });
  const renewed = await lab.dora('02:00:00:00:00:01', { options: prl });
  assert.deepEqual(
    [first, second, renewed].map((r) => [r.message.yiaddr, r.message.options.get('domain-name')]),
    [
      ['198.18.0.10', 'one.example'],
      ['198.18.0.20', 'two.example'],
      ['198.18.0.10', 'one.example'],
    ],
  );
  for (const r of [first, second, renewed])
    assert.deepEqual(r.message.options.get('ntp-servers'), ['198.18.0.123']);
});

test('reservation classes, KNOWN-dependent tests, and the reservation over its classes', async () => {
  const lab = new Lab(precedence);
  const ack = await lab.dora('02:00:00:00:00:aa', { options: ALL_PRL });
  const o = ack.message.options;
  assert.equal(o.get('nis-domain'), 'gold');
  assert.equal(o.get('root-path'), '/known');
  assert.deepEqual(o.get('ntp-servers'), ['198.18.0.9']); // reservation over class
  assert.equal(ack.message.file, 'host.efi'); // reservation over class
  const other = await lab.dora('02:00:00:00:00:bb', { options: ALL_PRL });
  assert.equal(other.message.file, 'gold.efi'); // class over subnet/global
  assert.match(lab.lastEvent(), /classes \[gold, KNOWN, when-known, later\]/);
});

test('a client in class DROP gets no answer', async () => {
  const lab = new Lab(precedence);
  await lab.none(
    msg(MessageType.DISCOVER, '02:00:00:00:00:02', { options: { 'vendor-class-identifier': 'evil' } }),
  );
  assert.match(lab.lastEvent(), /class DROP/);
});

test('a client string in VENDOR_CLASS_ is escaped and cut short in the log line', async () => {
  const lab = new Lab(pxeConfig);
  await lab.one(
    msg(MessageType.DISCOVER, '02:00:00:00:00:09', {
      options: { 'vendor-class-identifier': `a\nb c\\${'z'.repeat(100)}` },
    }),
  );
  const line = lab.lastEvent();
  assert.ok(!line.includes('\n'));
  assert.match(line, /VENDOR_CLASS_a\\x0ab\\x20c\\x5cz+\.\.\./);
});

test('configuration errors name the class path and the offending token', () => {
  const bad = (classes: unknown[]): string[] => {
    const r = parseConfig({ Dhcp4: { 'client-classes': classes } });
    assert.ok(!r.ok);
    return r.error.issues.map((i) => `${i.path}: ${i.message}`);
  };
  const [forward] = bad([
    { name: 'a', test: "member('b')" },
    { name: 'b', test: "option[60].hex == 'x'" },
  ]);
  assert.match(forward!, /^Dhcp4\.client-classes\[0\]\.test: .*class is not defined before.*\("b"\)/);
  const [syntax] = bad([{ name: 'a', test: "option[60].hex = 'x'" }]);
  assert.match(syntax!, /^Dhcp4\.client-classes\[0\]\.test: .*unexpected character at offset 15 \("="\)/);
  const [dup] = bad([{ name: 'a' }, { name: 'a' }]);
  assert.match(dup!, /^Dhcp4\.client-classes\[1\]\.name: class "a" is defined twice/);
  const [builtin] = bad([{ name: 'KNOWN' }]);
  assert.match(builtin!, /built-in/);
  const [unknownKey] = bad([{ name: 'a', 'template-test': "''" }]);
  assert.match(
    unknownKey!,
    /^Dhcp4\.client-classes\[0\]\.template-test: not supported: template classes \(Kea 2\.6\)/,
  );
});

test("a router named only in a class's options is never handed out", async () => {
  const lab = new Lab({
    Dhcp4: {
      'client-classes': [
        {
          name: 'lab',
          test: "option[60].text == 'lab'",
          'option-data': [{ name: 'routers', data: '198.18.0.10' }],
        },
      ],
      subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.10 - 198.18.0.11' }] }],
    },
  });
  const ack = await lab.dora('02:00:00:00:00:01', { options: { 'vendor-class-identifier': 'lab' } });
  assert.equal(ack.message.yiaddr, '198.18.0.11');
  assert.deepEqual(ack.message.options.get('routers'), ['198.18.0.10']);
});
