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
