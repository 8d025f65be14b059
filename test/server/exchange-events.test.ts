/**
 * Exchange events when nobody reads their text: the engine leaves `text` and `destination` empty and keeps
 * every other field as a described event has it, and the answers themselves do not change. When nobody
 * reads the events at all, none is built but a junk drop's, and an unsent OFFER still lets its offer go.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType } from '../../src/protocol/index.ts';
import type { EngineEvent } from '../../src/server/index.ts';
import { basicConfig, ETH0, Lab, msg, type Received } from './harness.ts';

/** The same requests through a described lab and an undescribed one. */
async function both(
  labs: readonly [Lab, Lab],
  send: (lab: Lab) => Promise<readonly Received[]>,
): Promise<void> {
  const [a, b] = await Promise.all(labs.map(send));
  assert.deepEqual(
    b!.map((r) => r.message),
    a!.map((r) => r.message),
  );
}

function withoutDescription(e: EngineEvent): EngineEvent {
  return { ...e, text: '', destination: null };
}

test('an undescribed exchange event has every field of the described one but its text and destination', async () => {
  const described = new Lab();
  const quiet = new Lab();
  quiet.engine.describeExchangesWhen(() => false);
  const labs = [described, quiet] as const;
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];
  for (const mac of macs) {
    await both(labs, async (lab) => [
      await lab.dora(mac, { options: { 'host-name': `host-${mac.slice(-2)}` } }),
    ]);
  }
  // A NAK (an address not on the subnet), a junk drop (DECLINE without an address), a RELEASE.
  await both(labs, (lab) =>
    lab.send(msg(MessageType.REQUEST, macs[0]!, { options: { 'dhcp-requested-address': '198.51.100.7' } })),
  );
  await both(labs, (lab) => lab.send(msg(MessageType.DECLINE, macs[1]!)));
  await both(labs, (lab) => lab.send(msg(MessageType.RELEASE, macs[2]!, { ciaddr: '198.18.0.12' })));

  assert.equal(quiet.events.length, described.events.length);
  assert.ok(described.events.length >= 9);
  for (let i = 0; i < described.events.length; i++) {
    const d = described.events[i]!;
    const q = quiet.events[i]!;
    assert.notEqual(d.text, '', 'a described event has its line');
    assert.equal(q.text, '');
    assert.equal(q.destination, null);
    assert.deepEqual(q, withoutDescription(d));
  }
  assert.ok(described.events.some((e) => e.junk !== undefined && e.reply === null));
  assert.ok(
    quiet.events.some((e) => e.junk !== undefined),
    'junk is still marked: the runtime counts it',
  );
  assert.ok(described.events.some((e) => e.reply === 'DHCPNAK' && e.reason !== null));
});

test('describing is asked per event: a reader that appears mid-run gets described events from then on', async () => {
  const lab = new Lab();
  let reading = false;
  lab.engine.describeExchangesWhen(() => reading);
  await lab.dora('02:00:00:00:00:01');
  assert.deepEqual(
    lab.events.map((e) => e.text),
    ['', ''],
  );
  reading = true;
  await lab.dora('02:00:00:00:00:02');
  const [offer, ack] = lab.events.slice(2);
  assert.match(offer!.text, /^DHCPDISCOVER from 02:00:00:00:00:02 via eth0 -> DHCPOFFER 198\.18\.0\.\d+/);
  assert.match(ack!.text, /^DHCPREQUEST for 198\.18\.0\.\d+ from 02:00:00:00:00:02 via eth0 -> DHCPACK/);
  assert.notEqual(ack!.destination, null);
});

test('unrecorded exchanges carry no event but junk (asked per exchange), with the same answers', async () => {
  const recorded = new Lab();
  const unrecorded = new Lab();
  let asked = 0;
  unrecorded.engine.recordExchangesWhen(() => (asked++, false));
  const labs = [recorded, unrecorded] as const;
  const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
  for (const mac of macs) await both(labs, async (lab) => [await lab.dora(mac)]);
  await both(labs, (lab) =>
    lab.send(msg(MessageType.REQUEST, macs[0]!, { options: { 'dhcp-requested-address': '198.51.100.7' } })),
  );
  await both(labs, (lab) => lab.send(msg(MessageType.DECLINE, macs[1]!)));
  await both(labs, (lab) => lab.send(msg(MessageType.RELEASE, macs[0]!, { ciaddr: '198.18.0.10' })));

  assert.deepEqual(
    recorded.events.map((e) => e.reply ?? (e.junk === undefined ? 'drop' : 'junk')),
    ['DHCPOFFER', 'DHCPACK', 'DHCPOFFER', 'DHCPACK', 'DHCPNAK', 'junk', 'drop'],
  );
  assert.deepEqual(
    unrecorded.events,
    recorded.events.filter((e) => e.junk !== undefined),
    'only the junk drop is built: the runtime counts those at any level',
  );
  assert.equal(asked, 6, 'asked once for every exchange that is not junk');
});

test('an OFFER that never reached the wire lets its offer go without an exchange event', () => {
  const lab = new Lab();
  lab.engine.recordExchangesWhen(() => false);
  const out = lab.engine.handle(msg(MessageType.DISCOVER, '02:00:00:00:00:01'), ETH0, lab.now);
  assert.equal(out.events.length, 0);
  assert.equal(out.replies.length, 1);
  assert.notEqual(lab.engine.nextDeadline(), null, 'the offer is held until it expires');
  assert.equal(lab.engine.replyNotSent(out.replies[0]!, undefined, 'too large'), undefined);
  assert.equal(lab.engine.nextDeadline(), null, 'the offer is gone');
  assert.equal(lab.engine.statistics()['pkt4-encode-failed'], 1);
});

test("an unsent OFFER leaves alone an offer at its address that is now another client's", () => {
  const subnet = { ...basicConfig.Dhcp4.subnet4[0]!, pools: [{ pool: '198.18.0.10 - 198.18.0.10' }] };
  const lab = new Lab({ Dhcp4: { ...basicConfig.Dhcp4, subnet4: [subnet] } });
  const first = lab.engine.handle(msg(MessageType.DISCOVER, '02:00:00:00:00:01'), ETH0, lab.now);
  const reply = first.replies[0]!;
  lab.engine.replyNotSent(reply, undefined, 'too large');
  // The pool's one address goes to a second client; a late second call for the first OFFER must not free it.
  const second = lab.engine.handle(msg(MessageType.DISCOVER, '02:00:00:00:00:02'), ETH0, lab.now);
  assert.equal(second.replies[0]!.message.yiaddr, reply.message.yiaddr);
  lab.engine.replyNotSent(reply, undefined, 'too large');
  assert.notEqual(lab.engine.nextDeadline(), null, "the second client's offer stays");
});
