/**
 * Sends mutated DHCP requests to a server: `tsx test/interop/mutated-packets.ts TARGET_IP COUNT SEED`.
 * Valid requests of every type (built with the codec) are mutated (bytes flipped, set to boundary values,
 * truncated, extended, option bytes spliced in), and one packet in ten is random bytes. Deterministic for
 * a seed. Clients come from a small set of MACs and client identifiers, and addresses mostly lie outside
 * the pool, so the junk does not lease the pool away: what is tested is the server, not pool size.
 * Paced at about 20,000 packets/s; prints `sent N` at the end.
 */
import { createSocket } from 'node:dgram';
import { MessageType, createMessage, encodeMessage, type DhcpMessage } from '../../src/protocol/index.ts';

const [target = '198.18.0.1', countText = '1000', seedText = '1'] = process.argv.slice(2);
const count = Number(countText);
let state = Number(seedText) >>> 0 || 1;

/** xorshift32: a deterministic stream for a seed. */
function rand(n: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;

function template(): Uint8Array {
  const mac = Uint8Array.of(0x02, 0xf0, 0, 0, 0, rand(64));
  const type = pick([
    MessageType.DISCOVER,
    MessageType.REQUEST,
    MessageType.REQUEST,
    MessageType.RELEASE,
    MessageType.DECLINE,
    MessageType.INFORM,
  ]);
  // Addresses on the subnet but outside the pool, or off the subnet.
  const addr = pick(['198.18.1.' + rand(256), '198.18.0.' + rand(256), '10.9.8.7', '0.0.0.0']);
  const m: DhcpMessage = createMessage({
    xid: rand(0xffffffff),
    chaddr: mac,
    flags: pick([0, 0x8000]),
    ciaddr: type === MessageType.DISCOVER || rand(2) === 0 ? '0.0.0.0' : addr,
    giaddr: pick(['0.0.0.0', '0.0.0.0', '198.18.0.2', '198.18.7.7']),
  });
  m.options.set('dhcp-message-type', type);
  if (rand(2) === 0) m.options.set('dhcp-requested-address', addr);
  if (rand(2) === 0) m.options.set('dhcp-server-identifier', pick(['198.18.0.1', '198.18.0.9']));
  if (rand(3) === 0) m.options.set('dhcp-client-identifier', Uint8Array.of(0xff, 0, 0, rand(16)));
  if (rand(3) === 0) m.options.set('host-name', pick(['box', 'a\nb', 'x'.repeat(200), '\u001b[2J']));
  if (rand(4) === 0) m.options.set('dhcp-parameter-request-list', [1, 3, 6, 15, 51, 54, 119, 121]);
  if (rand(4) === 0) m.options.setRaw(57, Uint8Array.of(rand(256), rand(256)));
  if (rand(8) === 0) m.options.setRaw(82, Uint8Array.of(1, 4, 0, 0, 0, rand(256), 2, 2, 0xab, 0xcd));
  return encodeMessage(m, { maxSize: 1500 });
}

function mutate(bytes: Uint8Array): Uint8Array {
  let b = Uint8Array.from(bytes);
  const edits = 1 + rand(8);
  for (let i = 0; i < edits; i++) {
    switch (rand(6)) {
      case 0: {
        const at = rand(b.length);
        b[at] = (b[at] as number) ^ (1 << rand(8));
        break;
      }
      case 1:
        b[rand(b.length)] = pick([0, 1, 0x7f, 0x80, 0xfe, 0xff]);
        break;
      case 2:
        b = b.subarray(0, rand(b.length + 1));
        break;
      case 3: {
        const extra = Uint8Array.from({ length: rand(64) }, () => rand(256));
        const out = new Uint8Array(b.length + extra.length);
        out.set(b);
        out.set(extra, b.length);
        b = out;
        break;
      }
      case 4: {
        // An option header with a wild length somewhere in the options area.
        if (b.length > 244) {
          const at = 240 + rand(b.length - 240);
          b[at] = rand(256);
          if (at + 1 < b.length) b[at + 1] = rand(256);
        }
        break;
      }
      default:
        // The fixed header's hlen and htype, which name the chaddr's shape.
        if (b.length > 3) {
          b[1] = pick([1, 6, 0, 0xff]);
          b[2] = pick([6, 0, 16, 17, 255]);
        }
    }
    if (b.length === 0) break;
  }
  return b;
}

const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, resolve));
let sent = 0;
for (let i = 0; i < count; i++) {
  const packet =
    rand(10) === 0 ? Uint8Array.from({ length: rand(600) }, () => rand(256)) : mutate(template());
  await new Promise<void>((resolve) => socket.send(packet, 67, target, () => resolve()));
  sent++;
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 10));
}
socket.close();
console.log(`sent ${sent}`);
