/**
 * Two servers on one LAN sharing one PostgreSQL pool: every client's broadcast reaches both, both offer from
 * the same 20 addresses without knowing the other's offers, and the database's row locks decide. The
 * clients are the project's client engine on real timers over the virtual network.
 */
import assert from 'node:assert/strict';
import { requiring } from '../lab/needs.ts';
import pg from 'pg';
import type { ClientLease } from '../../src/client/index.ts';
import { compileConfig } from '../../src/config/index.ts';
import { postgresFromKea } from '../../src/leases/kea-postgres.ts';
import { openLeaseStore } from '../../src/leases/open.ts';
import {
  createMessage,
  decodeMessage,
  encodeMessage,
  intToIp,
  messageTypeOf,
  parseMac,
  type DhcpMessage,
} from '../../src/protocol/index.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { startServer, type ServerRuntime } from '../../src/runtime/server.ts';
import { VirtualNetwork, type VirtualLink } from '../../src/transport/virtual/index.ts';
import { EngineClient, until } from '../lab/engine-client.ts';
import { keaLeaseDatabase, useTempCluster, type TempCluster } from '../leases/pg-cluster.ts';

const { after, before, describe, it } = requiring('root', 'postgresql');

const POOL_SIZE = 20;
const CLIENTS = 32;
const SERVER_A = '198.18.0.1';
const SERVER_B = '198.18.0.2';
const ACK = 5;
const OFFER = 2;
const REQUEST = 3;
const NAK = 6;

interface Ack {
  readonly address: string;
  readonly serverId: string;
}

/**
 * One client host. Client i prefers server A or B (it ignores the other's OFFERs, as RFC 2131 §4.4.1 lets a
 * client choose), so both servers grant leases whatever order their offers arrive in. Every ACK addressed to
 * this client is recorded, whatever the engine makes of it.
 */
class Client extends EngineClient {
  readonly acks: Ack[] = [];
  naks = 0;
  /** The address of every REQUEST this client sent. */
  readonly requested: string[] = [];
  bound: Ack | null = null;
  /** Once set, replies go to `raw` and the engine is no longer driven. */
  manual = false;
  readonly raw: DhcpMessage[] = [];
  readonly #prefers: string;

  constructor(net: VirtualNetwork, lan: VirtualLink, index: number, prefers: string) {
    super(net.createHost(`client${index}`), lan, `02:00:00:00:10:${index.toString(16).padStart(2, '0')}`, {
      hostname: `client${index}`,
      arpProbe: false,
      // Short waits keep the test quick: retry a DISCOVER every second, come back 200 ms after a NAK.
      retransmit: { kind: 'udhcpc', retries: 1000, timeoutMs: 1000, tryAgainMs: 1000 },
      nakBackoffMs: 200,
    });
    this.#prefers = prefers;
  }

  protected override get paused(): boolean {
    return this.manual;
  }

  protected override received(m: DhcpMessage): boolean {
    if (this.manual) {
      this.raw.push(m);
      return false;
    }
    const type = messageTypeOf(m);
    const serverId = m.options.get('dhcp-server-identifier') ?? '';
    if (type === OFFER && serverId !== this.#prefers) return false;
    if (type === ACK) this.acks.push({ address: m.yiaddr, serverId });
    if (type === NAK) this.naks++;
    return true;
  }

  protected override sending(bytes: Uint8Array): void {
    const sent = decodeMessage(bytes);
    if (messageTypeOf(sent) === REQUEST) {
      this.requested.push(sent.options.get('dhcp-requested-address') ?? sent.ciaddr);
    }
  }

  protected override configured(lease: ClientLease): void {
    this.bound = { address: lease.address, serverId: lease.serverId };
  }
}

interface Row {
  readonly address: string;
  readonly hwAddress: string;
  readonly state: number;
  readonly cltt: number;
  readonly expiresAt: number;
}

describe('two servers sharing one PostgreSQL pool on one LAN', () => {
  let cluster: TempCluster | null = null;
  let sql: pg.Client | null = null;
  const servers: ServerRuntime[] = [];
  const clients: Client[] = [];

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers) await s.stop().catch(() => undefined);
    await sql?.end().catch(() => undefined);
  });
  // Registered after the hook above: hooks run in order, so the cluster stops once its users have.
  useTempCluster({ before, after }, (started) => (cluster = started));

  async function rows(): Promise<Row[]> {
    const res = await sql!.query<{
      address: string;
      hw_address: string;
      state: number;
      cltt: string;
      expires_at: string;
    }>('SELECT address, hw_address, state, cltt, expires_at FROM leasekeeper_lease4 ORDER BY address');
    return res.rows.map((r) => ({
      address: intToIp(Number(r.address)),
      hwAddress: r.hw_address,
      state: r.state,
      cltt: Number(r.cltt),
      expiresAt: Number(r.expires_at),
    }));
  }

  /** Rows a client holds now: state default, not expired. */
  async function active(): Promise<Row[]> {
    const now = Date.now();
    return (await rows()).filter((r) => r.state === 0 && r.expiresAt > now);
  }

  it('never leases one address twice, shares what each granted, and survives losing a server', async () => {
    const database = await cluster!.createDatabase('shared_pool');
    const leaseDatabase = keaLeaseDatabase(cluster!, database);
    // The same Kea configuration for both servers; each store is opened from its lease-database entry.
    const config = compileConfig({
      Dhcp4: {
        'interfaces-config': { interfaces: ['eth0'] },
        'lease-database': leaseDatabase,
        'valid-lifetime': 600,
        subnet4: [{ id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.119' }] }],
      },
    });
    const { spec } = postgresFromKea(config.leaseDatabase);
    sql = new pg.Client(cluster!.connection(database));
    await sql.connect();

    const net = new VirtualNetwork();
    const lan = net.createLink('lan');
    for (const [name, address] of [
      ['srv-a', SERVER_A],
      ['srv-b', SERVER_B],
    ] as const) {
      const host = net.createHost(name);
      host.attach(lan, { ifname: 'eth0', addresses: [`${address}/24`] });
      servers.push(
        await startServer({
          config,
          store: await openLeaseStore(spec),
          transport: {
            transport: host.openTransport({ port: 67 }),
            interfaces: [{ name: 'eth0', addresses: [{ address, prefixLength: 24 }] }],
          },
          logger: createLogger({ level: 'silent' }),
          control: false,
        }),
      );
    }
    const [a, b] = servers as [ServerRuntime, ServerRuntime];
    for (let i = 0; i < CLIENTS; i++)
      clients.push(new Client(net, lan, i, i % 2 === 0 ? SERVER_A : SERVER_B));

    // Hold every lease write back (reads go on) so that neither server learns what the other leased: the
    // clients one server offered an address to and which then chose the other server free that address in
    // the first server's view, so the clients retrying after the first round are offered, by one server,
    // addresses the other is committing for someone else. Both commits reach the database; its row locks
    // must refuse one of them.
    const gate = new pg.Client(cluster!.connection(database));
    await gate.connect();
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE leasekeeper_lease4 IN EXCLUSIVE MODE');
    const requests = (): number => clients.reduce((n, c) => n + c.requested.length, 0);
    const contested = (): string[] => {
      const by = new Map<string, Set<string>>();
      for (const c of clients) for (const r of c.requested) by.set(r, (by.get(r) ?? new Set()).add(c.mac));
      return [...by].filter(([, macs]) => macs.size > 1).map(([address]) => address);
    };
    try {
      // All at once.
      for (const c of clients) c.start();
      await until('two clients requesting one address from different servers', async () => {
        const sent = requests();
        return (
          contested().length > 0 &&
          [a, b].every((s) => s.engine.statistics()['pkt4-request-received'] === sent)
        );
      });
    } finally {
      await gate.query('COMMIT');
      await gate.end();
    }
    const raced = contested();
    await until(
      `${POOL_SIZE} clients bound`,
      () => clients.filter((c) => c.bound !== null).length >= POOL_SIZE,
    );
    // Each server learns the other's leases through LISTEN/NOTIFY: wait until both engines agree with the table.
    await until('both servers see every lease', async () => {
      const held = await active();
      return (
        held.length === POOL_SIZE &&
        held.every((r) => [a, b].every((s) => s.engine.lease(r.address)?.hwAddress === r.hwAddress))
      );
    });

    const held = await active();
    const holderOf = new Map(held.map((r) => [r.address, r.hwAddress]));
    // The pool is exhausted and no address is held twice: 20 rows, 20 distinct clients, 20 distinct addresses.
    assert.equal(held.length, POOL_SIZE);
    assert.equal(new Set(held.map((r) => r.hwAddress)).size, POOL_SIZE);
    const bound = clients.filter((c) => c.bound !== null);
    const unbound = clients.filter((c) => c.bound === null);
    assert.equal(bound.length, POOL_SIZE);
    assert.equal(unbound.length, CLIENTS - POOL_SIZE);
    assert.equal(new Set(bound.map((c) => c.bound!.address)).size, POOL_SIZE);

    // Every ACK any client received names an address the database holds for that very client.
    const ackedTo = new Map<string, Set<string>>();
    for (const c of clients) {
      for (const ack of c.acks) {
        assert.equal(
          holderOf.get(ack.address),
          c.mac,
          `ACK of ${ack.address} to ${c.mac} from ${ack.serverId}`,
        );
        const macs = ackedTo.get(ack.address) ?? new Set<string>();
        ackedTo.set(ack.address, macs.add(c.mac));
      }
    }
    for (const [address, macs] of ackedTo) assert.equal(macs.size, 1, `${address} was ACKed to ${[...macs]}`);
    // The contested addresses went to one client each; the others were refused (DHCPNAK), not given a copy.
    assert.ok(raced.length > 0);
    for (const address of raced) {
      const requesters = clients.filter((c) => c.requested.includes(address));
      assert.equal(requesters.filter((c) => c.acks.some((k) => k.address === address)).length, 1, address);
    }
    assert.ok(
      clients.some((c) => c.naks > 0),
      'some client was refused',
    );
    // Clients beyond the pool got no lease at all, rather than someone else's address.
    for (const c of unbound) assert.deepEqual(c.acks, [], `${c.mac} got an ACK with the pool exhausted`);
    for (const c of bound) assert.equal(holderOf.get(c.bound!.address), c.mac);

    // Both servers granted leases, and each one's engine holds what the other granted.
    const byA = bound.filter((c) => c.bound!.serverId === SERVER_A);
    const byB = bound.filter((c) => c.bound!.serverId === SERVER_B);
    assert.ok(byA.length > 0 && byB.length > 0, `A granted ${byA.length}, B granted ${byB.length}`);
    assert.equal(byA.length + byB.length, POOL_SIZE);
    for (const c of byB) assert.equal(a.engine.lease(c.bound!.address)?.hwAddress, c.mac);
    for (const c of byA) assert.equal(b.engine.lease(c.bound!.address)?.hwAddress, c.mac);

    // Server A goes away: its leases stay in the shared table.
    await a.stop();
    const afterStop = await active();
    // A late retransmitted REQUEST may have refreshed a lease's times since `held`; who holds what is the same.
    const holders = (list: Row[]): string[] => list.map((r) => `${r.address} ${r.hwAddress}`);
    assert.deepEqual(holders(afterStop), holders(held));

    // A client of A rebinds (RFC 2131 §4.4.5: broadcast REQUEST, ciaddr set, no server identifier); B answers.
    const client = byA[0]!;
    const address = client.bound!.address;
    // Its REQUESTs all went to A, whose commits stop() waited for: this row is final until the renewal.
    const before = afterStop.find((r) => r.address === address)!;
    client.manual = true;
    client.nic.addAddress(`${address}/24`);
    const request = createMessage({ xid: 0x5eed, ciaddr: address, chaddr: parseMac(client.mac) });
    request.options.set('dhcp-message-type', 3);
    request.options.set('dhcp-client-identifier', Uint8Array.from([1, ...parseMac(client.mac)]));
    await client.transport.send({
      data: encodeMessage(request),
      ip: '255.255.255.255',
      port: 67,
      sourceIp: address,
    });
    await until('an answer to the REBINDING request', () => client.raw.some((m) => m.xid === 0x5eed));
    const reply = client.raw.find((m) => m.xid === 0x5eed)!;
    assert.equal(messageTypeOf(reply), ACK);
    assert.equal(reply.yiaddr, address);
    assert.equal(reply.options.get('dhcp-server-identifier'), SERVER_B);
    const renewed = (await active()).find((r) => r.address === address);
    assert.equal(renewed?.hwAddress, client.mac);
    assert.ok(renewed.cltt > before.cltt, 'the renewal was written to the shared table');
    assert.equal(b.engine.lease(address)?.cltt, renewed.cltt);
  });
});
