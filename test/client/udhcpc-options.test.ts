import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseUdhcpcExtraOption, parseUdhcpcOptionCode } from '../../src/client/udhcpc-options.ts';
import { udhcpcPacketEnvironment } from '../../src/client/udhcpc-env.ts';

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

describe('udhcpc -O and -x arguments', () => {
  it('takes option names, decimal and hex codes for -O', () => {
    assert.equal(parseUdhcpcOptionCode('staticroutes'), 121);
    assert.equal(parseUdhcpcOptionCode('42'), 42);
    assert.equal(parseUdhcpcOptionCode('0x79'), 121);
    assert.throws(() => parseUdhcpcOptionCode('nosuch'), { code: 'ERR_CLIENT_UDHCPC_OPTION' });
    assert.throws(() => parseUdhcpcOptionCode('255'), { code: 'ERR_CLIENT_UDHCPC_OPTION' });
  });

  it('parses the examples of udhcpc --help', () => {
    assert.deepEqual(parseUdhcpcExtraOption('hostname:bbox'), {
      code: 12,
      data: new TextEncoder().encode('bbox'),
    });
    assert.deepEqual(parseUdhcpcExtraOption('lease:3600'), { code: 51, data: bytes(0, 0, 0x0e, 0x10) });
    assert.deepEqual(parseUdhcpcExtraOption('0x3d:0100BEEFC0FFEE'), {
      code: 61,
      data: bytes(1, 0, 0xbe, 0xef, 0xc0, 0xff, 0xee),
    });
    assert.deepEqual(parseUdhcpcExtraOption('14:"dumpfile"'), {
      code: 14,
      data: new TextEncoder().encode('dumpfile'),
    });
  });

  it('encodes typed values so that udhcpc would print them back the same', () => {
    for (const [arg, name, printed] of [
      ['dns:1.1.1.1 8.8.8.8', 'dns', '1.1.1.1 8.8.8.8'],
      ['mtu:1400', 'mtu', '1400'],
      ['timezone:-3600', 'timezone', '4294963696'],
      [
        'staticroutes:10.0.0.0/8 198.18.0.1 0.0.0.0/0 198.18.0.2',
        'staticroutes',
        '10.0.0.0/8 198.18.0.1 0.0.0.0/0 198.18.0.2',
      ],
      ['search:example.test lab.test', 'search', 'example.test lab.test'],
      ['routes:10.0.0.0/198.18.0.1', 'routes', '10.0.0.0/198.18.0.1'],
    ] as const) {
      const o = parseUdhcpcExtraOption(arg);
      const env = udhcpcPacketEnvironment(
        { yiaddr: '0.0.0.0', siaddr: '0.0.0.0', sname: '', file: '', options: new Map([[o.code, o.data]]) },
        'e',
      );
      assert.equal(env[name], printed, arg);
    }
  });

  it('rejects malformed values', () => {
    for (const bad of [
      'nocolon',
      'lease:abc',
      'mtu:70000',
      'dns:1.2.3',
      '200:xyz',
      'staticroutes:10.0.0.0/8',
      'sipsrv:1.2.3.4',
    ]) {
      assert.throws(() => parseUdhcpcExtraOption(bad), { name: 'UdhcpcOptionError' }, bad);
    }
  });
});
