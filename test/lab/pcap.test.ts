// The classic-pcap reader used by the fixture tests (test/fixtures/pcap.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcap } from '../fixtures/pcap.ts';
import { PCAP_DIR } from '../fixtures/load.ts';

test('reads the DHCP datagrams of a real capture with addresses and ports', () => {
  const frames = readPcap(readFileSync(join(PCAP_DIR, 'kea-relay-server-side.pcap')));
  assert.equal(frames.length, 4);
  const [discover, offer] = frames;
  assert.deepEqual(
    { ...discover, payload: discover!.payload.length, time: undefined },
    {
      index: 0,
      time: undefined,
      srcMac: '02:00:00:00:00:02',
      dstMac: '02:00:00:00:00:01',
      srcIp: '198.18.0.2',
      dstIp: '198.18.0.1',
      srcPort: 67,
      dstPort: 67,
      payload: 300,
    },
  );
  assert.equal(offer!.srcIp, '198.18.0.1');
  assert.equal(offer!.dstIp, '198.18.1.1');
  assert.ok(offer!.time >= discover!.time);
  // the magic cookie sits at offset 236 of every payload
  for (const f of frames) assert.deepEqual([...f.payload.subarray(236, 240)], [99, 130, 83, 99]);
});

test('rejects pcapng and foreign link types, tolerates a truncated last record', () => {
  const pcapng = new Uint8Array(32);
  new DataView(pcapng.buffer).setUint32(0, 0x0a0d0d0a, true);
  assert.throws(() => readPcap(pcapng), /bad magic/);
  const file = readFileSync(join(PCAP_DIR, 'kea-nak.pcap'));
  const sll = Uint8Array.from(file);
  new DataView(sll.buffer).setUint32(20, 113, true); // LINKTYPE_LINUX_SLL
  assert.throws(() => readPcap(sll), /link type 113/);
  const all = readPcap(file);
  const cut = readPcap(file.subarray(0, file.length - 10));
  assert.equal(cut.length, all.length - 1);
  assert.throws(() => readPcap(new Uint8Array(10)), /shorter/);
});
