/** Shared by the namespace tests of the linux transport. */
import { listInterfaces } from '../../src/transport/linux/interfaces.ts';
import type { DatagramMeta, LinkState, Transport } from '../../src/transport/types.ts';
import type { TransportError } from '../../src/transport/errors.ts';

/** Polls `cond` every 20 ms, at most `timeoutMs`; rejects with `what` when it never holds. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Veth carrier is reported through linkwatch, up to a second after `ip link set up`. */
export function carrierUp(netns: string, ifname: string, timeoutMs = 5000): Promise<void> {
  return until(
    () => listInterfaces({ netns }).some((i) => i.name === ifname && i.carrier),
    timeoutMs,
    `carrier on ${ifname} in ${netns}`,
  );
}

export interface Recorder {
  messages: { data: Buffer; meta: DatagramMeta }[];
  links: LinkState[];
  errors: TransportError[];
}

export function record(t: Transport): Recorder {
  const r: Recorder = { messages: [], links: [], errors: [] };
  t.on('message', (data, meta) => r.messages.push({ data, meta }));
  t.on('link', (s) => r.links.push(s));
  t.on('error', (e) => r.errors.push(e));
  return r;
}
