/**
 * Captures real DHCP packets in network namespaces and writes them as fixtures:
 *   test/fixtures/pcap/*.pcap          the raw captures (tcpdump on the server's side of the link)
 *   test/fixtures/packets/*.hex        one message each, annotated field by field
 *
 * Run by hand as root (not in CI): `bash scripts/capture-fixtures.sh`. Each scenario is its own lab
 * (namespaces from test/lab/netns.ts, removed at the end even on failure); addresses are in 198.18.0.0/15.
 *
 * Scenarios:
 *   <server>-<client>  a client (udhcpc, dhclient, dhcpcd) binds from the server (dnsmasq, Kea) and releases
 *   <server>-nak       dhclient starts from a lease file holding 198.19.77.7, an address of no subnet here:
 *                      it begins in INIT-REBOOT, REQUESTs that address (option 50, no server id), and the
 *                      server answers NAK (RFC 2131 §4.3.2, "client is on the wrong network")
 *   kea-relay-*        udhcpc behind ISC dhcrelay -a (adds option 82 circuit-id), Kea two hops away
 *   dnsmasq-overload   a crafted DISCOVER (maximum message size 576, a long parameter request list) to dnsmasq
 *                      configured with long options: its OFFER overloads file and sname (option 52 = 3).
 *                      Kea 2.2 does not overload: it answers the same request with a 746-byte OFFER.
 *
 * `bash scripts/capture-fixtures.sh overload` captures only dnsmasq-overload (the other fixtures unchanged).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createLab, type Lab, type Netns } from '../../test/lab/netns.ts';
import {
  startCapture,
  startDhclient,
  startDhcpcd,
  startDhcrelay,
  startDnsmasq,
  startKea,
  startUdhcpc,
  type PeerClient,
  type PeerServer,
} from '../../test/lab/peers.ts';
import { readPcap, type PcapFrame } from '../../src/transport/pcap.ts';

type UdpDatagram = Extract<PcapFrame, { kind: 'dhcp' }>;
import { annotate } from './annotate.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PCAP_DIR = join(ROOT, 'test', 'fixtures', 'pcap');
const PACKET_DIR = join(ROOT, 'test', 'fixtures', 'packets');
const SERVER_MAC = '02:00:00:00:00:01';
const CLIENT_MACS = {
  udhcpc: '02:00:00:00:01:01',
  dhclient: '02:00:00:00:02:02',
  dhcpcd: '02:00:00:00:03:03',
  nak: '02:00:00:00:04:04',
  relay: '02:00:00:00:05:05',
  overload: '02:00:00:00:06:06',
} as const;
const FOREIGN_ADDRESS = '198.19.77.7';

type ClientName = 'udhcpc' | 'dhclient' | 'dhcpcd';
type ServerName = 'dnsmasq' | 'kea';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** First non-empty line a version command prints, on stdout or stderr, whatever its exit code. */
function firstLine(cmd: string, args: string[]): string {
  let out: string;
  try {
    out = execFileSync('sh', ['-c', '"$0" "$@" 2>&1', cmd, ...args], { encoding: 'utf8' });
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return (
    out
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? `${cmd} (version unknown)`
  );
}

const VERSIONS: Record<string, string> = {
  udhcpc: `busybox udhcpc, ${firstLine('busybox', [])}`,
  dhclient: firstLine('dhclient', ['--version']),
  dhcpcd: firstLine('dhcpcd', ['--version']),
  dnsmasq: firstLine('dnsmasq', ['--version']),
  kea: `kea-dhcp4 ${firstLine('kea-dhcp4', ['-V'])}`,
  dhcrelay: firstLine('dhcrelay', ['--version']),
  tcpdump: firstLine('tcpdump', ['--version']),
};

function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((s) => s !== '')
    .map((s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s}'`))
    .join(' ')
    .replace(/\/tmp\/lk-[^ ']*\//g, '$LABDIR/');
}

interface CaptureRecord {
  pcap: string;
  setup: string;
  commands: Record<string, string>;
  when: string;
}

async function twoHostLab(lab: Lab, clientMac: string): Promise<{ srv: Netns; cli: Netns }> {
  const srv = await lab.namespace('srv');
  const cli = await lab.namespace('cli');
  await lab.veth(srv, 'eth0', cli, 'eth0', { aMac: SERVER_MAC, bMac: clientMac });
  await srv.addAddress('eth0', '198.18.0.1/24');
  return { srv, cli };
}

function startServer(name: ServerName, srv: Netns): Promise<PeerServer> {
  return name === 'dnsmasq'
    ? startDnsmasq(srv, 'eth0', {
        range: ['198.18.0.100', '198.18.0.150'],
        router: '198.18.0.1',
        dnsServers: ['198.18.0.53'],
        leaseTime: 3600,
      })
    : startKea(srv, 'eth0', {
        subnet: '198.18.0.0/24',
        pool: '198.18.0.100 - 198.18.0.150',
        router: '198.18.0.1',
        dnsServers: ['198.18.0.53'],
        validLifetime: 3600,
        renewTimer: 1800,
        rebindTimer: 3150,
      });
}

function startClient(name: ClientName, cli: Netns): PeerClient {
  if (name === 'udhcpc') return startUdhcpc(cli, 'eth0', { hostname: 'lk-udhcpc' });
  if (name === 'dhclient') return startDhclient(cli, 'eth0', { hostname: 'lk-dhclient' });
  return startDhcpcd(cli, 'eth0', { hostname: 'lk-dhcpcd' });
}

const SETUP_2 = (serverMac: string, clientMac: string): string =>
  `server netns eth0 ${serverMac} 198.18.0.1/24 <-veth-> client netns eth0 ${clientMac} (no address); IPv6 off, no routes`;

async function captureDora(server: ServerName, client: ClientName): Promise<CaptureRecord> {
  const lab = await createLab('cap');
  try {
    const { srv, cli } = await twoHostLab(lab, CLIENT_MACS[client]);
    const pcap = join(PCAP_DIR, `${server}-${client}.pcap`);
    const cap = await startCapture(srv, 'eth0', pcap);
    const s = await startServer(server, srv);
    const c = startClient(client, cli);
    await c.waitForBound(30_000);
    const commands = { [server]: cmdline(s.proc.pid), [client]: cmdline(c.proc.pid) };
    await sleep(300);
    await c.release();
    await sleep(500);
    await cap.stop();
    return {
      pcap,
      setup: SETUP_2(SERVER_MAC, CLIENT_MACS[client]),
      commands,
      when: new Date().toISOString(),
    };
  } finally {
    await lab.close();
  }
}

async function captureNak(server: ServerName): Promise<CaptureRecord> {
  const lab = await createLab('cap');
  try {
    const { srv, cli } = await twoHostLab(lab, CLIENT_MACS.nak);
    const pcap = join(PCAP_DIR, `${server}-nak.pcap`);
    const cap = await startCapture(srv, 'eth0', pcap);
    const s = await startServer(server, srv);
    const c = startDhclient(cli, 'eth0', {
      hostname: 'lk-dhclient',
      previousLease: { address: FOREIGN_ADDRESS, prefixLength: 24 },
    });
    // after the NAK dhclient falls back to DISCOVER and binds: that proves the NAK was taken
    await c.waitForBound(40_000);
    const commands = { [server]: cmdline(s.proc.pid), dhclient: cmdline(c.proc.pid) };
    await sleep(300);
    await c.stop();
    await cap.stop();
    return {
      pcap,
      setup: `${SETUP_2(SERVER_MAC, CLIENT_MACS.nak)}; dhclient lease file holds ${FOREIGN_ADDRESS}/24 (no subnet here) so it starts in INIT-REBOOT`,
      commands,
      when: new Date().toISOString(),
    };
  } finally {
    await lab.close();
  }
}

async function captureRelay(): Promise<CaptureRecord[]> {
  const lab = await createLab('cap');
  try {
    const srv = await lab.namespace('srv');
    const rly = await lab.namespace('rly');
    const cli = await lab.namespace('cli');
    await lab.veth(srv, 'eth0', rly, 'eth1', { aMac: SERVER_MAC, bMac: '02:00:00:00:00:02' });
    await lab.veth(rly, 'eth0', cli, 'eth0', { aMac: '02:00:00:00:00:03', bMac: CLIENT_MACS.relay });
    await srv.addAddress('eth0', '198.18.0.1/24');
    await rly.addAddress('eth1', '198.18.0.2/24');
    await rly.addAddress('eth0', '198.18.1.1/24');
    // the server answers the relay at giaddr 198.18.1.1: a route to that segment only (no default route)
    const r = await srv.run('ip', ['route', 'add', '198.18.1.0/24', 'via', '198.18.0.2']);
    if (r.code !== 0) throw new Error(r.stderr);
    const upPcap = join(PCAP_DIR, 'kea-relay-server-side.pcap');
    const downPcap = join(PCAP_DIR, 'kea-relay-client-side.pcap');
    const capUp = await startCapture(rly, 'eth1', upPcap);
    const capDown = await startCapture(rly, 'eth0', downPcap);
    const s = await startKea(srv, 'eth0', {
      subnet: '198.18.0.0/24',
      pool: '198.18.0.100 - 198.18.0.150',
      validLifetime: 3600,
      renewTimer: 1800,
      rebindTimer: 3150,
      extraDhcp4: {
        subnet4: [
          { id: 1, subnet: '198.18.0.0/24', pools: [{ pool: '198.18.0.100 - 198.18.0.150' }] },
          {
            id: 2,
            subnet: '198.18.1.0/24',
            pools: [{ pool: '198.18.1.100 - 198.18.1.150' }],
            'option-data': [{ name: 'routers', data: '198.18.1.1' }],
          },
        ],
      },
    });
    const relay = await startDhcrelay(rly, {
      downstream: 'eth0',
      upstream: 'eth1',
      server: '198.18.0.1',
      agentOptions: true,
    });
    const c = startUdhcpc(cli, 'eth0', { hostname: 'lk-relayed' });
    await c.waitForBound(30_000);
    const commands = { kea: cmdline(s.proc.pid), dhcrelay: cmdline(relay.pid), udhcpc: cmdline(c.proc.pid) };
    await sleep(300);
    await capUp.stop();
    await capDown.stop();
    const setup =
      `client netns eth0 ${CLIENT_MACS.relay} <-veth-> relay netns eth0 198.18.1.1/24 | relay eth1 198.18.0.2/24 ` +
      `<-veth-> server netns eth0 ${SERVER_MAC} 198.18.0.1/24 (route 198.18.1.0/24 via 198.18.0.2); IPv6 off`;
    const when = new Date().toISOString();
    return [
      { pcap: upPcap, setup: `${setup}; captured on relay eth1 (server side)`, commands, when },
      { pcap: downPcap, setup: `${setup}; captured on relay eth0 (client side)`, commands, when },
    ];
  } finally {
    await lab.close();
  }
}

async function captureOverload(): Promise<CaptureRecord> {
  const lab = await createLab('cap');
  try {
    const { srv, cli } = await twoHostLab(lab, CLIENT_MACS.overload);
    // The crafted request is sent from a UDP socket: it needs an address and a route for 255.255.255.255.
    await cli.addAddress('eth0', '198.18.0.6/24');
    const route = await cli.run('ip', ['route', 'add', 'default', 'dev', 'eth0']);
    if (route.code !== 0) throw new Error(route.stderr);
    const pcap = join(PCAP_DIR, 'dnsmasq-overload.pcap');
    const cap = await startCapture(srv, 'eth0', pcap);
    const s = await startDnsmasq(srv, 'eth0', {
      range: ['198.18.0.100', '198.18.0.150'],
      router: '198.18.0.1',
      dnsServers: ['198.18.0.53'],
      leaseTime: 3600,
      extraConf: [
        'dhcp-option=option:domain-name,overload.lab.example',
        `dhcp-option=option:root-path,/srv/${'r'.repeat(90)}`,
        `dhcp-option=option:extension-path,/srv/${'e'.repeat(90)}`,
        `dhcp-option=40,nis.${'n'.repeat(40)}`,
        `dhcp-option=47,scope.${'s'.repeat(30)}`,
        `dhcp-option=option:domain-search,${Array.from({ length: 6 }, (_, i) => `zone${i}.site${i}.example.test`).join(',')}`,
        'dhcp-option=option:ntp-server,198.18.0.1,198.18.0.2,198.18.0.3',
        `dhcp-option=14,/dump/${'d'.repeat(30)}`,
        `dhcp-option=64,nisplus.${'p'.repeat(20)}`,
      ],
    });
    const request = join(ROOT, 'scripts', 'lab', 'overload-request.ts');
    const sent = await cli.run(process.execPath, ['--import', 'tsx', request, CLIENT_MACS.overload], {
      timeoutMs: 30_000,
    });
    if (!sent.stdout.includes('sent')) throw new Error(`the crafted DISCOVER was not sent: ${sent.stderr}`);
    const commands = {
      dnsmasq: cmdline(s.proc.pid),
      request: `node --import tsx ${request.slice(ROOT.length + 1)} ${CLIENT_MACS.overload}`,
    };
    await sleep(300);
    await cap.stop();
    return {
      pcap,
      setup: `${SETUP_2(SERVER_MAC, CLIENT_MACS.overload)}; the client side has 198.18.0.6/24 and a default route (a UDP socket sends the request)`,
      commands,
      when: new Date().toISOString(),
    };
  } finally {
    await lab.close();
  }
}

const TYPES: Record<string, number> = { discover: 1, offer: 2, request: 3, ack: 5, nak: 6, release: 7 };

function messageType(p: Uint8Array): number | undefined {
  for (let off = 240; off < p.length;) {
    const code = p[off]!;
    if (code === 0) {
      off++;
      continue;
    }
    if (code === 255) return undefined;
    if (code === 53) return p[off + 2];
    off += 2 + (p[off + 1] ?? 0);
  }
  return undefined;
}

interface FixtureSpec {
  name: string;
  peer: string;
  rec: CaptureRecord;
  pick: (d: UdpDatagram) => boolean;
  note?: string;
}

function writeFixture(spec: FixtureSpec): void {
  const dgrams = [...readPcap(readFileSync(spec.rec.pcap))].filter((f) => f.kind === 'dhcp');
  const d = dgrams.find(spec.pick);
  if (!d) throw new Error(`${spec.name}: no matching packet in ${spec.rec.pcap}`);
  const { lines } = annotate(d.payload);
  const rel = spec.rec.pcap.slice(ROOT.length + 1);
  const header = [
    `# leasekeeper packet fixture: ${spec.name}`,
    `# peer: ${VERSIONS[spec.peer] ?? spec.peer}`,
    `# command: ${spec.rec.commands[spec.peer] ?? '(see pcap)'}`,
    ...Object.entries(spec.rec.commands)
      .filter(([k]) => k !== spec.peer)
      .map(([k, v]) => `# other peer: ${k} (${VERSIONS[k] ?? ''}): ${v}`),
    `# captured: ${spec.rec.when} with ${VERSIONS.tcpdump}, ${rel} frame #${d.frame} (1-based, as tshark and leasekeeper decode count)`,
    `# lab: ${spec.rec.setup}`,
    `# wire: ${d.srcMac} ${d.srcIp}:${d.srcPort} -> ${d.dstMac} ${d.dstIp}:${d.dstPort}, UDP payload ${d.payload.length} bytes`,
    ...(spec.note ? [`# note: ${spec.note}`] : []),
    '# reproduce: bash scripts/capture-fixtures.sh (as root)',
    '#',
    '# The hex below is the DHCP message only (the UDP payload); text after # is a comment.',
  ];
  writeFileSync(join(PACKET_DIR, `${spec.name}.hex`), [...header, ...lines, ''].join('\n'));
  console.log(`wrote ${spec.name}.hex (${d.payload.length} bytes, frame ${d.frame} of ${rel})`);
}

const fromClient = (mac: string, type: string) => (d: UdpDatagram) =>
  d.srcMac === mac && d.srcPort === 68 && messageType(d.payload) === TYPES[type];
const fromServer =
  (type: string, dstPort = 68) =>
  (d: UdpDatagram) =>
    d.srcMac === SERVER_MAC &&
    d.srcPort === 67 &&
    d.dstPort === dstPort &&
    messageType(d.payload) === TYPES[type];

function overloadSpec(rec: CaptureRecord): FixtureSpec {
  return {
    name: 'dnsmasq-offer-overload',
    peer: 'dnsmasq',
    rec,
    pick: fromServer('offer'),
    note: 'answer to a DISCOVER with maximum message size 576 and 14 requested options: options in file and sname (option 52 = 3)',
  };
}

async function main(): Promise<void> {
  mkdirSync(PCAP_DIR, { recursive: true });
  mkdirSync(PACKET_DIR, { recursive: true });
  if (process.argv[2] === 'overload') {
    writeFixture(overloadSpec(await captureOverload()));
    console.log('update EXPECTED in test/protocol/fixtures.test.ts (scripts/lab/print-expectations.ts)');
    return;
  }
  const specs: FixtureSpec[] = [];
  for (const server of ['dnsmasq', 'kea'] as const) {
    for (const client of ['udhcpc', 'dhclient', 'dhcpcd'] as const) {
      const rec = await captureDora(server, client);
      if (server === 'dnsmasq') {
        for (const m of ['discover', 'request', 'release']) {
          specs.push({ name: `${client}-${m}`, peer: client, rec, pick: fromClient(CLIENT_MACS[client], m) });
        }
      }
      if (client === 'udhcpc') {
        for (const m of ['offer', 'ack'])
          specs.push({ name: `${server}-${m}`, peer: server, rec, pick: fromServer(m) });
      }
    }
    const nak = await captureNak(server);
    specs.push({
      name: `${server}-nak`,
      peer: server,
      rec: nak,
      pick: fromServer('nak'),
      note: `answer to dhclient's INIT-REBOOT REQUEST for ${FOREIGN_ADDRESS}`,
    });
    if (server === 'dnsmasq') {
      specs.push({
        name: 'dhclient-request-initreboot',
        peer: 'dhclient',
        rec: nak,
        pick: fromClient(CLIENT_MACS.nak, 'request'),
        note: `INIT-REBOOT: requests ${FOREIGN_ADDRESS} from its lease file, no server identifier, ciaddr 0`,
      });
    }
  }
  const [up, down] = await captureRelay();
  const relayMac = '02:00:00:00:00:02';
  const toRelay = (d: UdpDatagram): boolean => d.srcMac === relayMac && d.dstPort === 67;
  specs.push(
    {
      name: 'dhcrelay-discover',
      peer: 'dhcrelay',
      rec: up!,
      pick: (d) => toRelay(d) && messageType(d.payload) === 1,
    },
    {
      name: 'dhcrelay-request',
      peer: 'dhcrelay',
      rec: up!,
      pick: (d) => toRelay(d) && messageType(d.payload) === 3,
    },
    { name: 'kea-offer-relayed', peer: 'kea', rec: up!, pick: fromServer('offer', 67) },
    { name: 'kea-ack-relayed', peer: 'kea', rec: up!, pick: fromServer('ack', 67) },
    {
      name: 'dhcrelay-offer',
      peer: 'dhcrelay',
      rec: down!,
      pick: (d) => d.srcMac === '02:00:00:00:00:03' && d.srcPort === 67 && messageType(d.payload) === 2,
      note: "the relay forwarding Kea's OFFER to the client segment (option 82 stripped)",
    },
  );
  specs.push(overloadSpec(await captureOverload()));
  for (const spec of specs) writeFixture(spec);
  console.log(
    'xids, MACs of dhcpcd DUIDs and addresses changed: update EXPECTED in test/protocol/fixtures.test.ts',
  );
  console.log('from: node --import tsx scripts/lab/print-expectations.ts');
}

await main();
