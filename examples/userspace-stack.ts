// How a userspace TCP/IP stack plugs in: anything with tcpip.js's `stack.udp` shape,
// `open({ host?, port? }) => Promise<{ readable, writable, close() }>` of `{ host, port, data }` datagrams.
//
// With tcpip.js itself there is nothing to write:
//   const stack = await createStack();
//   await stack.interfaces.createTap({ ip: '192.168.1.1/24' });
//   const server = await (await createDhcp(stack.udp)).serve({ ... });
//
// Here a toy "stack" stands in for it: one IP address per stack, and a wire that carries datagrams
// between stacks (255.255.255.255 to every other stack, anything else to the stack holding that address).
// Run it with: node --import tsx examples/userspace-stack.ts
import { createDhcp, type Datagram, type DatagramSocket, type DatagramTransport } from 'leasekeeper';

class ToyWire {
  readonly stacks = new Set<ToyStack>();
  carry(from: ToyStack, d: Datagram): void {
    for (const to of this.stacks) {
      if (to === from || (d.host !== '255.255.255.255' && d.host !== to.ip)) continue;
      // Delivered on the next turn of the event loop, as a real network would.
      setImmediate(() => to.receive({ host: from.ip, port: from.portOf(d), data: d.data }, d.port));
    }
  }
}

class ToyStack {
  ip = '0.0.0.0';
  readonly #sockets = new Map<number, ReadableStreamDefaultController<Datagram>>();
  readonly #ports = new WeakMap<Datagram, number>();

  readonly wire: ToyWire;
  constructor(wire: ToyWire) {
    this.wire = wire;
    wire.stacks.add(this);
  }

  /** What tcpip.js's `stack.udp` offers: open a UDP socket on a port. */
  readonly udp: DatagramTransport = {
    open: async (options = {}): Promise<DatagramSocket> => {
      const port = options.port ?? 49152 + Math.floor(Math.random() * 16384);
      const readable = new ReadableStream<Datagram>({
        start: (controller) => void this.#sockets.set(port, controller),
      });
      const writable = new WritableStream<Datagram>({
        write: (d) => {
          this.#ports.set(d, port);
          this.wire.carry(this, d);
        },
      });
      return { readable, writable, close: async () => void this.#sockets.delete(port) };
    },
  };

  portOf(d: Datagram): number {
    return this.#ports.get(d) ?? 0;
  }

  receive(d: Datagram, port: number): void {
    this.#sockets.get(port)?.enqueue(d);
  }
}

const wire = new ToyWire();
const gateway = new ToyStack(wire);
gateway.ip = '10.0.0.1';
const vm = new ToyStack(wire);

const server = await (
  await createDhcp(gateway.udp)
).serve({
  leaseRange: { start: '10.0.0.50', end: '10.0.0.99' },
  serverIdentifier: '10.0.0.1',
  netmask: '255.255.255.0',
  router: '10.0.0.1',
  dnsServers: ['10.0.0.1'],
});

const client = await (
  await createDhcp(vm.udp)
).client({
  mac: '02:00:00:00:10:01',
  // The client tells the stack its address, so the server's unicast renewals reach it.
  apply: {
    configure: (address) => void (vm.ip = address),
    deconfigure: () => void (vm.ip = '0.0.0.0'),
  },
});
const lease = await client.bound();
console.log(`vm stack configured with ${vm.ip}/${lease.prefixLength}, gateway ${lease.router}`);
const renewed = await client.renew(); // unicast to 10.0.0.1 from the vm's new address
console.log(`renewed ${renewed.address} until ${new Date(renewed.expiresAt ?? 0).toISOString()}`);
console.log(`server leases: ${[...server.leases.keys()].join(', ')}`);
await client.stop();
await server.stop();
