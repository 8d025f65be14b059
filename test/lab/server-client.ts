/** The most common lab: a server namespace and a client namespace on one link. */
import type { Lab, Netns } from './netns.ts';

/**
 * Namespaces `srv` and `cli` joined by a veth with eth0 at both ends; the server's eth0 has 198.18.0.1/24,
 * the client's no address (as a DHCP client starts) and `clientMac` when given.
 */
export async function serverAndClient(lab: Lab, clientMac?: string): Promise<{ srv: Netns; cli: Netns }> {
  const srv = await lab.namespace('srv');
  const cli = await lab.namespace('cli');
  await lab.veth(srv, 'eth0', cli, 'eth0', clientMac === undefined ? {} : { bMac: clientMac });
  await srv.addAddress('eth0', '198.18.0.1/24');
  return { srv, cli };
}

/**
 * A server namespace `srv` (eth0, 198.18.0.1/24) and two client namespaces, each given as [its short name,
 * its eth0's MAC], all on one bridge as on one LAN. Resolves [server, first client, second client].
 */
export async function serverAndTwoClients(
  lab: Lab,
  first: readonly [name: string, mac: string],
  second: readonly [name: string, mac: string],
): Promise<[Netns, Netns, Netns]> {
  const srv = await lab.namespace('srv');
  const a = await lab.namespace(first[0]);
  const b = await lab.namespace(second[0]);
  await lab.bridge('br', [
    { ns: srv, ifname: 'eth0' },
    { ns: a, ifname: 'eth0', mac: first[1] },
    { ns: b, ifname: 'eth0', mac: second[1] },
  ]);
  await srv.addAddress('eth0', '198.18.0.1/24');
  return [srv, a, b];
}
