import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTREQUEST, MessageType, encodeMessage } from '../../src/protocol/index.ts';
import type { DhcpMessage } from '../../src/protocol/index.ts';
import { FakeServer, Sim, makeClient, replyFor } from './harness.ts';

const { OFFER, ACK, NAK } = MessageType;

/** A client in SELECTING whose DISCOVER nobody answers; returns it and the DISCOVER. */
function selecting(overrides = {}): { sim: Sim; discover: DhcpMessage } {
  const server = new FakeServer();
  server.mode = 'silent';
  const sim = new Sim(makeClient(overrides), [server]);
  sim.start();
  const discover = sim.sends()[0]!.action.message;
  return { sim, discover };
}

describe('bogus packets are ignored and counted', () => {
  it('wrong xid, wrong chaddr, BOOTREQUEST, no message type', () => {
    const { sim, discover } = selecting();
    sim.inject(encodeMessage(replyFor(discover, OFFER, { xid: (discover.xid + 1) >>> 0 })));
    const other = new Uint8Array(16);
    other.set([2, 0, 0, 0, 0, 9]);
    sim.inject(encodeMessage(replyFor(discover, OFFER, { chaddr: other })));
    sim.inject(encodeMessage(replyFor(discover, OFFER, { op: BOOTREQUEST })));
    const bootp = replyFor(discover, OFFER);
    bootp.options.delete('dhcp-message-type');
    sim.inject(encodeMessage(bootp));
    const b = sim.client.stats.bogus;
    assert.equal(b['wrong-xid'], 1);
    assert.equal(b['wrong-chaddr'], 1);
    assert.equal(b['not-bootreply'], 1);
    assert.equal(b['no-message-type'], 1);
    assert.equal(sim.client.stateName, 'SELECTING');
    const ignored = sim.events().filter((e) => e.type === 'ignored');
    assert.equal(ignored.length, 4);
  });

  it('malformed bytes are counted as malformed, never thrown', () => {
    const { sim, discover } = selecting();
    const good = encodeMessage(replyFor(discover, OFFER));
    sim.inject(good.subarray(0, 100)); // truncated header
    const badCookie = Uint8Array.from(good);
    badCookie[236] = 0;
    sim.inject(badCookie);
    sim.inject(new Uint8Array(0));
    assert.equal(sim.client.stats.bogus.malformed, 3);
    const ev = sim.events().find((e) => e.type === 'ignored');
    assert.ok(ev && ev.type === 'ignored' && ev.detail.startsWith('ERR_'));
    assert.equal(sim.client.stateName, 'SELECTING');
  });

  it('accepts a reply with garbage after the END option', () => {
    const { sim, discover } = selecting();
    const good = encodeMessage(replyFor(discover, OFFER));
    const padded = new Uint8Array(good.length + 40);
    padded.set(good);
    padded.fill(0xab, good.length);
    sim.inject(padded);
    assert.equal(sim.client.stateName, 'REQUESTING');
  });

  it('an OFFER without server id, or with an unusable yiaddr, is not acceptable', () => {
    const { sim, discover } = selecting();
    sim.inject(encodeMessage(replyFor(discover, OFFER, {}, '')));
    sim.inject(encodeMessage(replyFor(discover, OFFER, { yiaddr: '0.0.0.0' })));
    sim.inject(encodeMessage(replyFor(discover, OFFER, { yiaddr: '224.0.0.1' })));
    const endAddress = replyFor(discover, OFFER, { yiaddr: '198.18.0.255' });
    endAddress.options.set('subnet-mask', '255.255.255.0');
    sim.inject(encodeMessage(endAddress));
    const networkAddress = replyFor(discover, OFFER, { yiaddr: '198.18.0.0' });
    networkAddress.options.set('subnet-mask', '255.255.255.0');
    sim.inject(encodeMessage(networkAddress));
    const b = sim.client.stats.bogus;
    assert.equal(b['no-server-id'], 1);
    assert.equal(b['bad-yiaddr'], 4);
    assert.equal(sim.client.stateName, 'SELECTING');
    // A /31 has no network or broadcast address: .255 is fine there.
    const p2p = replyFor(discover, OFFER, { yiaddr: '198.18.0.255' });
    p2p.options.set('subnet-mask', '255.255.255.254');
    sim.inject(encodeMessage(p2p));
    assert.equal(sim.client.stateName, 'REQUESTING');
  });

  it('ACK and NAK while SELECTING, and an ACK or NAK from another server while REQUESTING', () => {
    const { sim, discover } = selecting();
    sim.inject(encodeMessage(replyFor(discover, ACK)));
    sim.inject(encodeMessage(replyFor(discover, NAK)));
    assert.equal(sim.client.stats.bogus.unexpected, 2);
    sim.inject(encodeMessage(replyFor(discover, OFFER)));
    assert.equal(sim.client.stateName, 'REQUESTING');
    sim.inject(encodeMessage(replyFor(discover, ACK, {}, '198.18.0.99')));
    sim.inject(encodeMessage(replyFor(discover, NAK, {}, '198.18.0.99')));
    assert.equal(sim.client.stats.bogus['wrong-server'], 2);
    assert.equal(sim.client.stateName, 'REQUESTING');
    sim.inject(encodeMessage(replyFor(discover, ACK)));
    assert.equal(sim.client.stateName, 'BOUND');
    // After binding, the same ACK again is a late duplicate; an OFFER with a new xid is a stranger.
    sim.inject(encodeMessage(replyFor(discover, ACK)));
    sim.inject(encodeMessage(replyFor(discover, OFFER, { xid: 12345 })));
    assert.equal(sim.client.stats.bogus.duplicate, 1);
    assert.equal(sim.client.stats.bogus['wrong-xid'], 1);
    assert.equal(sim.client.stats.received.DHCPACK, 4);
  });

  it('anything received while stopped is counted as not-running', () => {
    const sim = new Sim(makeClient(), []);
    const req = { xid: 1, chaddr: sim.client.config.hwAddress } as unknown as DhcpMessage;
    const m = replyFor({ ...req, chaddr: padded16(sim.client.config.hwAddress) }, OFFER);
    sim.inject(encodeMessage(m));
    assert.equal(sim.client.stats.bogus['not-running'], 1);
  });
});

function padded16(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(b);
  return out;
}
