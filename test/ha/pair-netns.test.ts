/**
 * A leasekeeper and a partner in one HA relationship on one link, each with its own lease store, with busybox
 * udhcpc clients in namespaces. The partner is ISC Kea 2.2 (kea-dhcp4 with Debian's libdhcp_ha.so and
 * libdhcp_lease_cmds.so, its partner URL served by kea-ctrl-agent: Kea's dhcp4 server cannot listen for HTTP
 * itself before 2.4) or a second leasekeeper process. Load balancing: each answers its half of the clients
 * by RFC 3074 bucket; hot standby: the primary (the partner) answers everyone. The leases of each appear at
 * the other; the partner stopped, leasekeeper goes partner-down and serves the partner's clients' renewals;
 * the partner restarted, it syncs from leasekeeper and both return to the normal state.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requiring } from '../lab/needs.ts';
import { sendUnix } from '../../src/control/client.ts';
import { loadBalanceHash } from '../../src/ha/hash.ts';
import { parseMac } from '../../src/protocol/index.ts';
import { createLab, type LabProcess, type Netns } from '../lab/netns.ts';
import { startKea, startUdhcpc, type PeerClient, type PeerServer } from '../lab/peers.ts';
import { eventually, startLeasekeeper, type Leasekeeper } from '../interop/harness.ts';
import { haSubnet } from './helpers.ts';

const { test } = requiring('root', 'ip', 'busybox', 'kea-dhcp4', 'kea-ctrl-agent');

const HOOKS = '/usr/lib/x86_64-linux-gnu/kea/hooks';
const LK = '198.18.0.1';
const PARTNER = '198.18.0.2';
const CLIENTS = 6;

type Mode = 'load-balancing' | 'hot-standby';

function haHook(me: 'server1' | 'server2', mode: Mode): Record<string, unknown> {
  // Load balancing: leasekeeper is server1 (primary); hot standby: the partner is the primary.
  const [lkRole, partnerRole] = mode === 'load-balancing' ? ['primary', 'secondary'] : ['standby', 'primary'];
  const url = (address: string): string => `http://${address}:8000/`;
  return {
    library: `${HOOKS}/libdhcp_ha.so`,
    parameters: {
      'high-availability': [
        {
          'this-server-name': me,
          mode,
          'heartbeat-delay': 1000,
          'max-response-delay': 3000,
          'max-ack-delay': 1000,
          'max-unacked-clients': 0,
          peers: [
            { name: 'server1', url: url(LK), role: lkRole, 'auto-failover': true },
            { name: 'server2', url: url(PARTNER), role: partnerRole, 'auto-failover': true },
          ],
        },
      ],
    },
  };
}

const LIFETIMES = { 'valid-lifetime': 60, 'renew-timer': 4, 'rebind-timer': 6 };

/** MACs whose client identifiers (01 + MAC, as udhcpc sends them) fall half in each bucket. */
function pickMacs(): { mac: string; bucket: number }[] {
  const out: { mac: string; bucket: number }[] = [];
  const per = [0, 0];
  for (let i = 1; out.length < CLIENTS && i < 250; i++) {
    const mac = `02:00:00:00:40:${i.toString(16).padStart(2, '0')}`;
    const bucket = loadBalanceHash(Uint8Array.of(1, ...parseMac(mac))) % 2;
    if (per[bucket]! >= CLIENTS / 2) continue;
    per[bucket]!++;
    out.push({ mac, bucket });
  }
  return out;
}

function startCtrlAgent(ns: Netns, keaSocket: string): LabProcess {
  const conf = join(ns.dir, 'kea-ctrl-agent.conf');
  writeFileSync(
    conf,
    JSON.stringify({
      'Control-agent': {
        'http-host': PARTNER,
        'http-port': 8000,
        'control-sockets': { dhcp4: { 'socket-type': 'unix', 'socket-name': keaSocket } },
        loggers: [{ name: 'kea-ctrl-agent', output_options: [{ output: 'stdout' }], severity: 'INFO' }],
      },
    }),
  );
  return ns.spawn('kea-ctrl-agent', ['-c', conf], {
    env: {
      ...process.env,
      KEA_PIDFILE_DIR: ns.dir,
      KEA_LOCKFILE_DIR: ns.dir,
      KEA_LOGGER_DESTINATION: 'stdout',
    },
  });
}

async function haState(ask: () => Promise<unknown>): Promise<string | undefined> {
  try {
    const a = (await ask()) as {
      arguments?: { 'high-availability'?: { 'ha-servers': { local: { state: string } } }[] };
    };
    return a.arguments?.['high-availability']?.[0]?.['ha-servers'].local.state;
  } catch {
    return undefined;
  }
}

/** The partner under test: started, asked, stopped and restarted the same way whatever it is. */
interface Partner {
  ctl(command: string): Promise<unknown>;
  stop(): Promise<void>;
}

async function startPartner(kind: 'kea' | 'leasekeeper', ns: Netns, mode: Mode): Promise<Partner> {
  const dhcp4 = {
    ...LIFETIMES,
    'hooks-libraries': [{ library: `${HOOKS}/libdhcp_lease_cmds.so` }, haHook('server2', mode)],
    subnet4: [haSubnet(mode)],
  };
  if (kind === 'leasekeeper') {
    const lk = await startLeasekeeper(ns, {
      dhcp4,
      name: 'partner',
      leaseFile: join(ns.dir, 'partner-leases.sqlite'),
      serveArgs: ['--control-http', `${PARTNER}:8000`, '--insecure-control'],
    });
    return { ctl: (command) => lk.ctl(command), stop: async () => void (await lk.stop()) };
  }
  const kea: PeerServer = await startKea(ns, 'eth0', {
    subnet: '198.18.0.0/24',
    pool: '198.18.0.100 - 198.18.0.199',
    severity: 'INFO',
    extraDhcp4: dhcp4,
  });
  const agent = startCtrlAgent(ns, kea.controlSocket!);
  await agent.waitFor(/CTRL_AGENT_HTTP_SERVICE_STARTED|listening/, 20_000);
  return {
    ctl: (command) => sendUnix(kea.controlSocket!, { command }, 3000),
    stop: async () => {
      await agent.stop('SIGTERM', 5000);
      await kea.stop();
    },
  };
}

const CASES = [
  { partner: 'kea', mode: 'load-balancing' },
  { partner: 'kea', mode: 'hot-standby' },
  { partner: 'leasekeeper', mode: 'load-balancing' },
  { partner: 'leasekeeper', mode: 'hot-standby' },
] as const;

for (const { partner: kind, mode } of CASES) {
  test(
    `leasekeeper and ${kind === 'kea' ? 'Kea 2.2' : 'another leasekeeper'} in ${mode}`,
    { timeout: 240_000 },
    async () => {
      const lab = await createLab('hak');
      const clients: PeerClient[] = [];
      try {
        const lkNs = await lab.namespace('lk');
        const partnerNs = await lab.namespace('pt');
        const macs = pickMacs();
        const clientNs: Netns[] = [];
        for (let i = 0; i < macs.length; i++) clientNs.push(await lab.namespace(`c${i}`));
        await lab.bridge('br', [
          { ns: lkNs, ifname: 'eth0' },
          { ns: partnerNs, ifname: 'eth0' },
          ...clientNs.map((ns, i) => ({ ns, ifname: 'eth0', mac: macs[i]!.mac })),
        ]);
        await lkNs.addAddress('eth0', `${LK}/24`);
        await partnerNs.addAddress('eth0', `${PARTNER}/24`);

        const lk: Leasekeeper = await startLeasekeeper(lkNs, {
          dhcp4: {
            ...LIFETIMES,
            'hooks-libraries': [{ library: `${HOOKS}/libdhcp_lease_cmds.so` }, haHook('server1', mode)],
            subnet4: [haSubnet(mode)],
          },
          serveArgs: ['--control-http', `${LK}:8000`, '--insecure-control'],
        });
        let partner = await startPartner(kind, partnerNs, mode);
        const normal = async (what: string): Promise<void> => {
          await eventually(
            async () =>
              (await haState(() => lk.ctl('status-get'))) === mode &&
              (await haState(() => partner.ctl('status-get'))) === mode
                ? true
                : undefined,
            60_000,
            what,
          );
        };
        await normal(`both in ${mode}`);

        for (let i = 0; i < macs.length; i++) {
          clients.push(
            startUdhcpc(clientNs[i]!, 'eth0', {
              clientIdHex: `01${macs[i]!.mac.replaceAll(':', '')}`,
              tries: 60,
            }),
          );
        }
        const bound = await Promise.all(clients.map((c) => c.waitForBound(60_000)));
        // Load balancing: the server of the client's bucket, from its pool. Hot standby: the primary (partner).
        const answeredBy = (i: number): string =>
          mode === 'hot-standby' || macs[i]!.bucket === 1 ? PARTNER : LK;
        bound.forEach((b, i) => {
          assert.equal(b.serverId, answeredBy(i), `${macs[i]!.mac} (bucket ${macs[i]!.bucket})`);
          if (mode === 'load-balancing')
            assert.equal(Number(b.address.split('.')[3]) >= 150, macs[i]!.bucket === 1);
        });
        // The leases of each server are at the other (lease4-update before the ACK).
        const leasesAt = async (ask: () => Promise<unknown>): Promise<Map<string, string>> => {
          const a = (await ask()) as {
            arguments?: { leases?: { 'ip-address': string; 'hw-address': string }[] };
          };
          return new Map((a.arguments?.leases ?? []).map((l) => [l['ip-address'], l['hw-address']]));
        };
        for (const ask of [() => lk.ctl('lease4-get-all'), () => partner.ctl('lease4-get-all')]) {
          const held = await leasesAt(ask);
          bound.forEach((b, i) =>
            assert.equal(held.get(b.address), macs[i]!.mac, `${b.address} at both servers`),
          );
        }

        // The partner stops: leasekeeper goes partner-down and renews (rebinds) the partner's clients.
        const seen = clients.map((c) => c.events().length);
        await partner.stop();
        await eventually(
          async () => ((await haState(() => lk.ctl('status-get'))) === 'partner-down' ? true : undefined),
          30_000,
          'leasekeeper in partner-down',
        );
        for (let i = 0; i < clients.length; i++) {
          if (answeredBy(i) !== PARTNER) continue;
          for (let after = seen[i]!; ;) {
            const b = await clients[i]!.waitForBound(60_000, after);
            after = clients[i]!.events().length;
            assert.equal(b.address, bound[i]!.address, `${macs[i]!.mac} keeps its address`);
            if (b.serverId === LK) break;
          }
        }

        // The partner returns: it syncs from leasekeeper and both go back to the normal state.
        partner = await startPartner(kind, partnerNs, mode);
        await normal(`both back in ${mode}`);
        const atPartner = await leasesAt(() => partner.ctl('lease4-get-all'));
        bound.forEach((b, i) =>
          assert.equal(atPartner.get(b.address), macs[i]!.mac, `${b.address} at the partner after the sync`),
        );
        await partner.stop();
        await lk.stop();
      } finally {
        for (const c of clients) await c.stop().catch(() => undefined);
        await lab.close();
      }
    },
  );
}
