/**
 * The server's own share of each exchange's delay, from a capture taken on its interface: the time from a
 * DISCOVER to its OFFER and from a REQUEST to its ACK as the wire saw them (paired by xid), so whatever
 * perfdhcp adds on its side (its threads waiting for a core, its own queues) is left out. `bench/perfdhcp.ts`
 * takes one per trial with CAPTURE=1; alone: `npx tsx bench/wire-delay.ts FILE.pcap [SKIP_MAC_PREFIX]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeMessage, macToString, MessageType, messageTypeOf } from '../src/protocol/index.ts';
import { readPcap } from '../src/transport/pcap.ts';

export interface HalfWire {
  readonly n: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface WireDelays {
  readonly discoverOffer: HalfWire;
  readonly requestAck: HalfWire;
  /**
   * The slowest exchanges of each half (DISCOVER-OFFER's, then REQUEST-ACK's), slowest first: when the request
   * crossed the wire (UTC time of day), which half, ms.
   */
  readonly worst: readonly { readonly at: string; readonly half: 'DO' | 'RA'; readonly ms: number }[];
}

const ANSWER_OF = new Map<number, number>([
  [MessageType.OFFER, MessageType.DISCOVER],
  [MessageType.ACK, MessageType.REQUEST],
]);

function half(delays: number[]): HalfWire {
  delays.sort((a, b) => a - b);
  const n = delays.length;
  return {
    n,
    avgMs: n === 0 ? 0 : delays.reduce((a, b) => a + b, 0) / n,
    p99Ms: delays[Math.min(n - 1, Math.floor(0.99 * n))] ?? 0,
    maxMs: delays[n - 1] ?? 0,
  };
}

const BOOTREPLY = 2;
const COOKIE_AT = 236;
const COOKIE = [99, 130, 83, 99];

function bootReplyAt(p: Uint8Array, at: number): boolean {
  return p[at] === BOOTREPLY && COOKIE.every((b, i) => p[at + COOKIE_AT + i] === b);
}

/**
 * The datagrams of one captured frame. A capture on the sending host sees a UDP GSO send (docs/transport.md,
 * "UDP GSO") before it is cut into datagrams: replies of one size (the last may be shorter) back to back. The
 * size is the first offset past the first reply's fixed fields where another BOOTREPLY with the magic cookie
 * starts and the rest splits evenly; a frame that holds one message comes back whole.
 */
export function gsoSegments(payload: Uint8Array): Uint8Array[] {
  if (!bootReplyAt(payload, 0)) return [payload];
  for (let size = COOKIE_AT + 4; size + COOKIE_AT + 4 <= payload.length; size++) {
    if (!bootReplyAt(payload, size)) continue;
    let whole = true;
    for (let at = size; at + COOKIE_AT + 4 <= payload.length && whole; at += size)
      whole = bootReplyAt(payload, at);
    if (!whole) continue;
    const out: Uint8Array[] = [];
    for (let at = 0; at < payload.length; at += size)
      out.push(payload.subarray(at, Math.min(at + size, payload.length)));
    return out;
  }
  return [payload];
}

/**
 * Pairs each OFFER with the last DISCOVER of its xid and each ACK with the last REQUEST; frames whose client
 * hardware address starts with `skipMacPrefix` (a warm-up's clients) are left out.
 */
export function wireDelays(file: Uint8Array, skipMacPrefix?: string, worstCount = 4): WireDelays {
  const asked = new Map<string, number>();
  const delays: Record<'DO' | 'RA', number[]> = { DO: [], RA: [] };
  const all: { at: number; half: 'DO' | 'RA'; ms: number }[] = [];
  for (const f of readPcap(file)) {
    if (f.kind !== 'dhcp') continue;
    for (const payload of gsoSegments(f.payload)) pair(payload, f.timeUs);
  }
  function pair(payload: Uint8Array, timeUs: number): void {
    let type: number | undefined;
    let xid: number;
    let chaddr: string;
    try {
      const msg = decodeMessage(payload);
      type = messageTypeOf(msg);
      xid = msg.xid;
      chaddr = macToString(msg.chaddr, msg.hlen);
    } catch {
      return;
    }
    if (skipMacPrefix !== undefined && chaddr.startsWith(skipMacPrefix)) return;
    if (type === MessageType.DISCOVER || type === MessageType.REQUEST) {
      asked.set(`${type}/${xid}`, timeUs);
      return;
    }
    const question = type === undefined ? undefined : ANSWER_OF.get(type);
    if (question === undefined) return;
    const key = `${question}/${xid}`;
    const from = asked.get(key);
    if (from === undefined) return;
    asked.delete(key);
    const which = question === MessageType.DISCOVER ? 'DO' : 'RA';
    const ms = (timeUs - from) / 1000;
    delays[which].push(ms);
    all.push({ at: from, half: which, ms });
  }
  all.sort((a, b) => b.ms - a.ms);
  const worst = (['DO', 'RA'] as const)
    .flatMap((h) => all.filter((w) => w.half === h).slice(0, worstCount))
    .map((w) => ({ at: new Date(w.at / 1000).toISOString().slice(11, 23), half: w.half, ms: w.ms }));
  return { discoverOffer: half(delays.DO), requestAck: half(delays.RA), worst };
}

/** Two lines: each half's count, average, p99 and maximum, then the slowest exchanges with their times. */
export function wireSummary(d: WireDelays): string {
  const show = (label: string, h: HalfWire): string =>
    `${label} ${h.n} avg ${h.avgMs.toFixed(2)} p99 ${h.p99Ms.toFixed(2)} max ${h.maxMs.toFixed(1)}`;
  return [
    `  on the wire, ms: ${show('DISCOVER-OFFER', d.discoverOffer)}; ${show('REQUEST-ACK', d.requestAck)}`,
    `  slowest: ${d.worst.map((w) => `${w.at} ${w.half} ${w.ms.toFixed(1)}`).join(', ')}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, skip] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: tsx bench/wire-delay.ts FILE.pcap [SKIP_MAC_PREFIX]');
    process.exit(2);
  }
  console.log(wireSummary(wireDelays(readFileSync(file), skip)));
}
