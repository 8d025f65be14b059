/** Shared by the namespace tests of the linux transport. */
import { createLab, type Lab, type Netns } from '../lab/netns.ts';
import { listInterfaces } from '../../src/transport/linux/interfaces.ts';
import { buildUdpFrame } from '../../src/transport/frame.ts';
import { parseMacBytes } from '../../src/transport/addr.ts';
import { LinuxTransport, type LinuxTransportOptions } from '../../src/transport/linux/transport.ts';
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

/** A frame as a client with no address broadcasts it: 0.0.0.0:68 to 255.255.255.255:`dstPort`, from `srcMac`. */
export function clientBroadcastFrame(srcMac: string, dstPort: number, payload: string): Buffer {
  return buildUdpFrame({
    srcMac: parseMacBytes(srcMac)!,
    dstMac: parseMacBytes('ff:ff:ff:ff:ff:ff')!,
    srcIp: 0,
    dstIp: 0xffffffff,
    srcPort: 68,
    dstPort,
    payload: Buffer.from(payload),
  });
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

/** The two namespaces of `vethLink`: `s` holds srv0, `c` holds cli0. */
export interface VethLink {
  s: Netns;
  c: Netns;
}

export interface VethLinkOptions {
  /** srv0's address with its prefix; null leaves srv0 without one. Default 198.18.0.1/24. */
  serverAddress?: string | null;
  /** cli0's address with its prefix; default none, as a DHCP client before its first lease. */
  clientAddress?: string;
  serverMac?: string;
  clientMac?: string;
}

/** Namespaces `srv` and `cli` joined by the veth srv0–cli0, addressed, with carrier on both ends. */
export async function vethLink(lab: Lab, opts: VethLinkOptions = {}): Promise<VethLink> {
  const s = await lab.namespace('srv');
  const c = await lab.namespace('cli');
  const macs: { aMac?: string; bMac?: string } = {};
  if (opts.serverMac) macs.aMac = opts.serverMac;
  if (opts.clientMac) macs.bMac = opts.clientMac;
  await lab.veth(s, 'srv0', c, 'cli0', macs);
  const serverAddress = opts.serverAddress === undefined ? '198.18.0.1/24' : opts.serverAddress;
  if (serverAddress !== null) await s.addAddress('srv0', serverAddress);
  if (opts.clientAddress) await c.addAddress('cli0', opts.clientAddress);
  await carrierUp(s.name, 'srv0');
  await carrierUp(c.name, 'cli0');
  return { s, c };
}

/** A `vethLink` with a transport on each end: the server on srv0 (port 67), the client on cli0 (port 68). */
export interface TransportPair extends VethLink {
  lab: Lab;
  server: LinuxTransport;
  client: LinuxTransport;
}

/** Runs `fn` in a new lab named after `prefix` and closes the lab (namespaces included) even when `fn` throws. */
export async function withLab(prefix: string, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await createLab(prefix);
  try {
    await fn(lab);
  } finally {
    await lab.close();
  }
}

/**
 * Builds a lab named after `prefix`, its `vethLink` and the two transports, runs `fn`, and closes the
 * transports and the lab (namespaces included) even when `fn` throws.
 */
export function withTransportPair(
  prefix: string,
  fn: (p: TransportPair) => Promise<void>,
  opts: VethLinkOptions & { server?: Partial<LinuxTransportOptions> } = {},
): Promise<void> {
  return withLab(prefix, async (lab) => {
    let server: LinuxTransport | undefined;
    let client: LinuxTransport | undefined;
    try {
      const { s, c } = await vethLink(lab, opts);
      server = await LinuxTransport.open({ interfaces: ['srv0'], port: 67, netns: s.name, ...opts.server });
      client = await LinuxTransport.open({ interfaces: ['cli0'], port: 68, netns: c.name });
      await fn({ lab, s, c, server, client });
    } finally {
      await server?.close();
      await client?.close();
    }
  });
}
