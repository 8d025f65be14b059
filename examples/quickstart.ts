// The README's quickstart: a DHCP server and a client on leasekeeper's in-memory network.
// Run it with: node --import tsx examples/quickstart.ts
import { createDhcp, VirtualNetwork, virtualUdp } from 'leasekeeper';

// One Ethernet link, a "router" host for the server and a "laptop" host for the client.
const net = new VirtualNetwork();
const lan = net.createLink('lan');
const routerHost = net.createHost('router');
routerHost.attach(lan, { ifname: 'eth0', addresses: ['192.168.1.1/24'] });
const laptopHost = net.createHost('laptop');
laptopHost.attach(lan, { ifname: 'eth0', mac: '02:00:00:00:00:01' });

// With tcpip.js this line is `createDhcp(stack.udp)`: the same datagram transport shape.
const dhcp = await createDhcp(virtualUdp(routerHost));
const server = await dhcp.serve({
  leaseRange: { start: '192.168.1.100', end: '192.168.1.200' },
  serverIdentifier: '192.168.1.1',
  netmask: '255.255.255.0',
  router: '192.168.1.1',
  dnsServers: ['192.168.1.1'],
  domainName: 'lan',
});
server.on('offered', (offer) => console.log(`offered ${offer.ip} to ${offer.mac}`));
server.on('bound', (lease) => console.log(`bound ${lease.ip} to ${lease.mac} (${lease.hostname})`));
server.on('released', (lease) => console.log(`released ${lease.ip}`));

// Client mode over the same kind of transport.
const client = await (
  await createDhcp(virtualUdp(laptopHost))
).client({
  mac: '02:00:00:00:00:01',
  hostname: 'laptop',
});
const lease = await client.bound();
console.log(
  `laptop has ${lease.address}/${lease.prefixLength} router ${lease.router} dns ${lease.dnsServers.join(',')} domain ${lease.domainName}`,
);
console.log('leases:', [...server.leases.values()].map((l) => `${l.ip}=${l.mac}`).join(' '));

const released = new Promise((resolve) => server.once('released', resolve));
await client.stop({ release: true }); // sends DHCPRELEASE
await released;
await server.stop();
