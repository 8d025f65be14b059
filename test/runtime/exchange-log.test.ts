/**
 * The server builds an exchange's log line only when the log level writes it: a level raised while the
 * server runs (a `loggers` reload) logs the next exchanges in full, and junk is counted at any level.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { MessageType } from '../../src/protocol/index.ts';
import type { ExchangeEvent } from '../../src/server/index.ts';
import { request, virtualLab } from './helpers.ts';

test('exchange lines: none at warn, in full from the next exchange once the level is raised to info', async () => {
  const lines: { msg: string; exchange?: { reply: string | null } }[] = [];
  const logger = pino(
    { level: 'warn', base: undefined },
    { write: (l: string) => void lines.push(JSON.parse(l)) },
  );
  const lab = await virtualLab({ logger });
  try {
    await lab.send(request(MessageType.DISCOVER, { xid: 1 }));
    const first = await lab.reply();
    assert.equal(first?.options.get('dhcp-message-type'), MessageType.OFFER);
    assert.equal(lines.length, 0, JSON.stringify(lines));

    logger.level = 'info';
    await lab.send(request(MessageType.DISCOVER, { xid: 2 }));
    const offer = await lab.reply();
    assert.equal(offer?.options.get('dhcp-message-type'), MessageType.OFFER);
    await lab.send(
      request(MessageType.REQUEST, { xid: 2, requested: offer!.yiaddr, serverId: '198.18.0.1' }),
    );
    assert.equal((await lab.reply())?.options.get('dhcp-message-type'), MessageType.ACK);
    const exchanges = lines.filter((l) => l.exchange !== undefined);
    assert.equal(exchanges.length, 2, JSON.stringify(lines));
    assert.match(
      exchanges[0]!.msg,
      new RegExp(
        `^DHCPDISCOVER from 02:00:00:00:00:01 via eth0 -> DHCPOFFER ${offer!.yiaddr.replaceAll('.', '\\.')}`,
      ),
    );
    assert.match(exchanges[1]!.msg, /^DHCPREQUEST for \S+ from 02:00:00:00:00:01 via eth0 -> DHCPACK/);
  } finally {
    await lab.close();
  }
});

test('an exchange listener gets every event in full whatever the log level', async () => {
  const lines: unknown[] = [];
  const logger = pino({ level: 'warn', base: undefined }, { write: (l: string) => void lines.push(l) });
  const events: ExchangeEvent[] = [];
  const lab = await virtualLab({ logger, onExchange: (e) => events.push(e) });
  try {
    await lab.send(request(MessageType.DISCOVER, { xid: 3 }));
    const offer = await lab.reply();
    assert.ok(offer);
    // A DECLINE without option 50: junk (RFC 2131 §4.3.3).
    await lab.send(request(MessageType.DECLINE));
    await lab.send(request(MessageType.DISCOVER, { xid: 4 }));
    assert.ok(await lab.reply());
    assert.equal(events.length, 3);
    assert.match(events[0]!.text, /^DHCPDISCOVER from 02:00:00:00:00:01 via eth0 -> DHCPOFFER /);
    assert.match(events[0]!.destination ?? '', /02:00:00:00:00:01|255\.255\.255\.255/);
    assert.equal(events[1]!.junk, 'DECLINE without a requested address');
    assert.match(events[1]!.text, /^DHCPDECLINE from 02:00:00:00:00:01 via eth0 -> no reply/);
    assert.deepEqual(lines, []);
  } finally {
    await lab.close();
  }
});

test('a listener that reads only fields gets every field, and the text only when the level logs it', async () => {
  const logger = pino({ level: 'warn', base: undefined }, { write: () => undefined });
  const events: ExchangeEvent[] = [];
  const lab = await virtualLab({ logger, onExchange: (e) => events.push(e), onExchangeReadsText: false });
  try {
    await lab.send(request(MessageType.DISCOVER, { xid: 5 }));
    const offer = await lab.reply();
    assert.ok(offer);
    logger.level = 'info';
    await lab.send(request(MessageType.DISCOVER, { xid: 6 }));
    assert.ok(await lab.reply());
    assert.equal(events.length, 2);
    for (const e of events) {
      assert.equal(e.request, 'DHCPDISCOVER');
      assert.equal(e.reply, 'DHCPOFFER');
      assert.equal(e.address, offer.yiaddr);
      assert.equal(e.hwAddress, '02:00:00:00:00:01');
      assert.equal(e.interface, 'eth0');
      assert.equal(e.subnetId, 1);
    }
    assert.equal(events[0]!.text, '');
    assert.match(events[1]!.text, /^DHCPDISCOVER from 02:00:00:00:00:01 via eth0 -> DHCPOFFER /);
  } finally {
    await lab.close();
  }
});
