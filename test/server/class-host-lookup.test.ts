import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/protocol/index.ts';
import type { CompiledReservation, CompiledSubnet } from '../../src/config/index.ts';
import { Lab, msg } from './harness.ts';

const config = {
  Dhcp4: {
    'client-classes': [{ name: 'gold', 'option-data': [{ name: 'domain-name', data: 'gold.example' }] }],
    subnet4: [
      {
        id: 1,
        subnet: '198.18.0.0/24',
        pools: [{ pool: '198.18.0.10 - 198.18.0.20' }],
        reservations: [{ 'hw-address': '02:00:00:00:00:01', 'client-classes': ['gold'] }],
      },
    ],
  },
};

type Find = (subnet: CompiledSubnet, id: unknown) => CompiledReservation | undefined;

/** Counts the engine's reservation lookups (the address book's, which the engine owns). */
function countLookups(lab: Lab): { count: number } {
  const book = (lab.engine as unknown as { book: { reservations: { find: Find } } }).book;
  const counter = { count: 0 };
  const find = book.reservations.find.bind(book.reservations);
  book.reservations.find = (subnet, id) => {
    counter.count++;
    return find(subnet, id);
  };
  return counter;
}

test('each DHCPREQUEST state looks the reservation up once, with the same classes as before', async () => {
  const lab = new Lab(config);
  const mac = '02:00:00:00:00:01';
  const offer = await lab.one(msg(MessageType.DISCOVER, mac));
  const lookups = countLookups(lab);
  const selecting = await lab.one(
    msg(MessageType.REQUEST, mac, {
      options: {
        'dhcp-server-identifier': offer.message.options.get('dhcp-server-identifier') ?? '',
        'dhcp-requested-address': offer.message.yiaddr,
      },
    }),
  );
  assert.equal(selecting.type, MessageType.ACK, lab.lastEvent());
  assert.equal(lookups.count, 1, 'SELECTING');
  // The reservation's class still applies (its option is in the ACK) and is recorded on the lease.
  assert.equal(selecting.message.options.get('domain-name'), 'gold.example');
  assert.match(lab.lastEvent(), /classes \[gold, KNOWN\]/);

  lookups.count = 0;
  const reboot = await lab.one(
    msg(MessageType.REQUEST, mac, { options: { 'dhcp-requested-address': selecting.message.yiaddr } }),
  );
  assert.equal(reboot.type, MessageType.ACK, lab.lastEvent());
  assert.equal(lookups.count, 1, 'INIT-REBOOT');

  lookups.count = 0;
  const renew = await lab.one(msg(MessageType.REQUEST, mac, { ciaddr: selecting.message.yiaddr }));
  assert.equal(renew.type, MessageType.ACK, lab.lastEvent());
  assert.equal(lookups.count, 1, 'RENEWING');
});
