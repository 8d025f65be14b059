/**
 * What a hostile or broken client can do to the running server's log and pool: forged log lines (host
 * names with CR/LF/ESC), replies too large to encode, junk requests by the thousand, odd hardware
 * addresses. Runs the real runtime on a virtual network with the text log captured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino, type Logger } from 'pino';
import { MessageType, createMessage, parseMac } from '../../src/protocol/index.ts';
import { formatText } from '../../src/runtime/logger.ts';
import { TransportError } from '../../src/transport/errors.ts';
import type { Transport } from '../../src/transport/types.ts';
import { CLIENT_MAC, config, request, virtualLab, type VirtualLab } from './helpers.ts';

/** A text-format logger whose lines land in `lines`. */
function textLog(level: 'info' | 'debug' | 'warn' = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level, base: undefined }, { write: (l: string) => void lines.push(formatText(l)) });
  return { logger, lines };
}

/** Every record is one line: no record carries a line break or a terminal escape of its own. */
function assertOneLineEach(lines: readonly string[]): void {
  for (const l of lines) {
    assert.ok(l.endsWith('\n'));
    // eslint-disable-next-line no-control-regex -- looking for control characters
    assert.doesNotMatch(l.slice(0, -1), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, JSON.stringify(l));
  }
}

test('a host name (option 12 or 81) with CR, LF and ESC cannot forge a log line', async () => {
  const { logger, lines } = textLog();
  const lab = await virtualLab({ logger });
  try {
    const forged = 'x\r\n12:00:01.123 DHCPREQUEST for 198.18.0.66 from 02:00:00:00:00:66 via eth0 -> DHCPACK';
    const d = request(MessageType.DISCOVER);
    d.options.set('host-name', `${forged}\u001b[2J"q"`);
    await lab.send(d);
    assert.ok(await lab.reply());
    const d81 = request(MessageType.DISCOVER, { xid: 7 });
    d81.options.set('fqdn', { flags: 0, rcode1: 0, rcode2: 0, name: `evil\nDHCPACK.example.` });
    await lab.send(d81);
    assert.ok(await lab.reply());
  } finally {
    await lab.close();
  }
  assertOneLineEach(lines);
  const offers = lines.filter((l) => l.includes('DHCPDISCOVER'));
  assert.equal(offers.length, 2, lines.join(''));
  assert.match(
    offers[0] as string,
    /\(x\\x0d\\x0a12:00:01\.123 DHCPREQUEST .*\\x1b\[2J\\"q\\"\) via eth0 -> DHCPOFFER/,
  );
  assert.match(offers[1] as string, /\(evil\\x0aDHCPACK\.example\) via eth0 -> DHCPOFFER/);
});

/**
 * A lab whose pool has one address, after a DISCOVER whose echoed client identifier makes its OFFER too large
 * to encode (checked: nothing went on the wire).
 */
async function oversizedOfferOnOneAddressPool(logger: Logger): Promise<VirtualLab> {
  const onePool = [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.100' }] }];
  const lab = await virtualLab({ logger, config: config({ subnet4: onePool }) });
  try {
    const d = request(MessageType.DISCOVER);
    d.options.set('dhcp-client-identifier', new Uint8Array(765).fill(7));
    await lab.send(d);
    assert.equal(await lab.reply(300), undefined, 'nothing can go on the wire');
    return lab;
  } catch (error) {
    await lab.close();
    throw error;
  }
}

test('a reply too large to encode is logged as not sent, counted, and its offer released', async () => {
  const { logger, lines } = textLog();
  const lab = await oversizedOfferOnOneAddressPool(logger);
  try {
    const stats = lab.server.engine.statistics();
    assert.equal(stats['pkt4-encode-failed'], 1);
    assert.equal(stats['pkt4-offer-sent'], 0);
    assert.equal(stats['pkt4-sent'], 0);
    // The offer is let go: the pool's only address goes to the next client.
    const ok = request(MessageType.DISCOVER, { xid: 9 });
    await lab.send(ok);
    const offer = await lab.reply();
    assert.equal(offer?.yiaddr, '198.18.0.100');
  } finally {
    await lab.close();
  }
  const line = lines.find((l) => l.includes('DHCPDISCOVER') && l.includes('[id'));
  assert.ok(line, lines.join(''));
  assert.match(line, / -> no reply: reply could not be encoded/);
  assert.doesNotMatch(line, /-> DHCPOFFER/);
});

test('an OFFER too large to encode releases its offer when nothing reads the exchange events', async () => {
  // At warn and without a listener the engine builds no exchange event: the release must not need one.
  const { logger, lines } = textLog('warn');
  const lab = await oversizedOfferOnOneAddressPool(logger);
  try {
    assert.equal(lab.server.engine.statistics()['pkt4-encode-failed'], 1);
    // A pool with one address gives it back to another client even while an offer holds it: look at the
    // offer's deadline instead, the only one the engine would have.
    assert.equal(lab.server.engine.nextDeadline(), null, 'the offer is let go');
  } finally {
    await lab.close();
  }
  assert.match(lines.join(''), /reply could not be encoded/, 'the failure itself is still logged, at warn');
});

test('a DHCPNAK too large to encode is logged as not sent and counted', async () => {
  const { logger, lines } = textLog();
  const lab = await virtualLab({ logger });
  try {
    // INIT-REBOOT for an address off the subnet: NAKed, but the echoed client identifier cannot fit.
    const r = request(MessageType.REQUEST, { requested: '10.0.0.5' });
    r.options.set('dhcp-client-identifier', new Uint8Array(765).fill(7));
    await lab.send(r);
    assert.equal(await lab.reply(300), undefined);
    const stats = lab.server.engine.statistics();
    assert.equal(stats['pkt4-encode-failed'], 1);
    assert.equal(stats['pkt4-nak-sent'], 0);
  } finally {
    await lab.close();
  }
  const line = lines.find((l) => l.includes('DHCPREQUEST'));
  assert.match(line ?? '', / -> no reply: reply could not be encoded/, lines.join(''));
});

test('junk requests are logged at debug and summed up in one info line', async () => {
  const { logger, lines } = textLog();
  const lab = await virtualLab({ logger });
  try {
    for (let i = 0; i < 50; i++) {
      const r = request(MessageType.RELEASE, { xid: i }); // no ciaddr: malformed
      await lab.send(r);
      await lab.sendRaw(new Uint8Array(40)); // undecodable
    }
    const ok = request(MessageType.DISCOVER);
    await lab.send(ok);
    assert.ok(await lab.reply());
  } finally {
    await lab.close();
  }
  assert.equal(lines.filter((l) => l.includes('DHCPRELEASE')).length, 0, lines.join(''));
  const summary = lines.filter((l) => l.includes('junk requests dropped'));
  assert.equal(summary.length, 1, lines.join(''));
  assert.match(summary[0] as string, /100 junk requests dropped: 50 RELEASE without ciaddr, 50 undecodable/);
  assert.equal(lines.filter((l) => l.includes('DHCPDISCOVER')).length, 1);
});

test('htype 1 with hlen 16 is answered by broadcast, without an error', async () => {
  const { logger, lines } = textLog();
  const lab = await virtualLab({ logger });
  try {
    const chaddr = new Uint8Array(16);
    chaddr.set(parseMac(CLIENT_MAC));
    chaddr.fill(0xab, 6);
    const d = createMessage({ xid: 5, chaddr, hlen: 16 });
    d.options.set('dhcp-message-type', MessageType.DISCOVER);
    await lab.send(d);
    const offer = await lab.reply();
    assert.equal(offer?.options.get('dhcp-message-type'), MessageType.OFFER);
    assert.equal(lab.server.engine.statistics()['pkt4-offer-sent'], 1);
  } finally {
    await lab.close();
  }
  assert.equal(lines.filter((l) => /WARN|ERROR/.test(l)).length, 0, lines.join(''));
});

test('replies the transport refuses are counted in one warning per interval, not one line each', async () => {
  const { logger, lines } = textLog();
  const refusing = (t: Transport): Transport =>
    new Proxy(t, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
        return () =>
          Promise.reject(
            new TransportError('ERR_TRANSPORT_SEND_FAILED', 'send EAGAIN', { syscallCode: 'EAGAIN' }),
          );
      },
    });
  const lab = await virtualLab({ logger, wrapTransport: refusing });
  try {
    for (let i = 0; i < 20; i++) await lab.send(request(MessageType.DISCOVER, { xid: i }));
    await lab.reply(200);
  } finally {
    await lab.close();
  }
  const warnings = lines.filter((l) => l.includes(' WARN '));
  assert.equal(warnings.length, 1, lines.join(''));
  assert.match(warnings[0] as string, /20 replies not sent: 20 ERR_TRANSPORT_SEND_FAILED EAGAIN/);
});
