/**
 * Prints the EXPECTED table of test/protocol/fixtures.test.ts from the fixture files, read with the
 * independent annotator (not src/protocol). After re-capturing, paste it over the old table and review.
 * Usage: node --import tsx scripts/lab/print-expectations.ts
 */
import { listFixtures, loadFixture } from '../../test/fixtures/load.ts';
import { annotate } from './annotate.ts';
// the options asserted by value; 61 and 82 are asserted separately, the rest by code order
const NAMES: Record<number, string> = {
  1: 'subnet-mask',
  3: 'routers',
  6: 'domain-name-servers',
  12: 'host-name',
  28: 'broadcast-address',
  50: 'dhcp-requested-address',
  51: 'dhcp-lease-time',
  54: 'dhcp-server-identifier',
  55: 'dhcp-parameter-request-list',
  56: 'dhcp-message',
  57: 'dhcp-max-message-size',
  58: 'dhcp-renewal-time',
  59: 'dhcp-rebinding-time',
  60: 'vendor-class-identifier',
};
const TYPES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
let out = '';
for (const n of listFixtures()) {
  const s = annotate(loadFixture(n).bytes).summary;
  const o = s.options;
  const t = o.find((x) => x.code === 53)?.value as number;
  const hdr: string[] = [];
  if (s.ciaddr !== '0.0.0.0') hdr.push(`ciaddr: '${s.ciaddr}'`);
  if (s.yiaddr !== '0.0.0.0') hdr.push(`yiaddr: '${s.yiaddr}'`);
  if (s.siaddr !== '0.0.0.0') hdr.push(`siaddr: '${s.siaddr}'`);
  if (s.giaddr !== '0.0.0.0') hdr.push(`giaddr: '${s.giaddr}'`);
  hdr.push(`hops: ${s.hops}`, `secs: ${s.secs}`, `flags: 0x${s.flags.toString(16)}`);
  const opts = o
    .filter((x) => NAMES[x.code])
    .map((x) => `'${NAMES[x.code]}': ${JSON.stringify(x.value).replace(/"/g, "'")}`);
  const cid = o.find((x) => x.code === 61);
  out += `  '${n}': {\n    type: MessageType.${TYPES[t]},\n    op: ${s.op},\n    xid: 0x${s.xid.toString(16).padStart(8, '0')},\n    chaddr: '${s.chaddr}',\n    ${hdr.join(',\n    ')},\n    codes: [${o.map((x) => x.code).join(', ')}],\n    options: {\n      ${opts.join(',\n      ')},\n    },\n${cid ? `    clientId: '${cid.raw}',\n` : ''}${o.some((x) => x.code === 82) ? `    circuitId: 'eth0',\n` : ''}  },\n`;
}
console.log(out);
