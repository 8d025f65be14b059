/**
 * Each interface's receive path as status-get, the statistics and /metrics show it, from what the transport
 * reports (the linux transport's `receiveStats`; faked here on the virtual network), and a switch logged once
 * at debug.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { renderMetrics } from '../../src/control/index.ts';
import type { Transport } from '../../src/transport/types.ts';
import { config, virtualLab } from '../runtime/helpers.ts';
import { httpControlClient, httpControlSocket, metricSamples } from './http-control.ts';

const AUTH = httpControlSocket();

interface FakeStat {
  ifname: string;
  path: 'ring' | 'recvmmsg';
  adaptive: boolean;
  switches: number;
  kernelDrops: number;
  udpGso?: boolean;
}

test('status-get, statistic-get and /metrics show the receive path, switches, kernel drops and UDP GSO per interface', async () => {
  const stat: FakeStat = { ifname: 'eth0', path: 'recvmmsg', adaptive: true, switches: 0, kernelDrops: 0 };
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const lab = await virtualLab({
    config: config(AUTH),
    control: {},
    logger,
    wrapTransport: (t: Transport) => Object.assign(t, { receiveStats: () => [{ ...stat }] }),
  });
  try {
    const { command, metrics } = httpControlClient(lab);
    const receive = async (): Promise<unknown> => (await command('status-get'))['receive'];
    const now = async (name: string): Promise<number | undefined> =>
      ((await command('statistic-get', { name }))[name] as [number, string][] | undefined)?.[0]?.[0];

    assert.deepEqual(await receive(), [
      { interface: 'eth0', mode: 'adaptive', path: 'recvmmsg', switches: 0, 'kernel-drops': 0 },
    ]);
    const switched = (): string[] => lines.filter((l) => l.includes('receive path now'));
    assert.deepEqual(switched(), []);

    Object.assign(stat, { path: 'ring', switches: 3, kernelDrops: 42, udpGso: true });
    assert.deepEqual(await receive(), [
      { interface: 'eth0', mode: 'adaptive', path: 'ring', switches: 3, 'kernel-drops': 42, 'udp-gso': true },
    ]);
    assert.equal(await now('interface[eth0].receive-ring'), 1);
    assert.equal(await now('interface[eth0].receive-path-switches'), 3);
    assert.equal(await now('interface[eth0].pkt4-kernel-drop'), 42);
    // Seen by several reads, logged once, at debug (pino level 20).
    assert.equal(switched().length, 1, lines.join(''));
    const line = JSON.parse(switched()[0]!) as { level: number; msg: string };
    assert.equal(line.level, 20);
    assert.match(line.msg, /^eth0: receive path now ring \(3 switch\(es\) since the last look, 3 in all\)$/);

    const families = await metrics();
    const sample = (family: string): ReturnType<typeof metricSamples> => metricSamples(families, family);
    assert.deepEqual(sample('kea_dhcp4_interface_receive_ring'), [[{ interface: 'eth0' }, '1']]);
    assert.deepEqual(sample('kea_dhcp4_interface_receive_path_switches_total'), [
      [{ interface: 'eth0' }, '3'],
    ]);
    assert.deepEqual(sample('kea_dhcp4_interface_kernel_drops_total'), [[{ interface: 'eth0' }, '42']]);
  } finally {
    await lab.close();
  }
});

test('a transport without packet sockets shows an empty receive list', async () => {
  const lab = await virtualLab({ config: config(AUTH), control: {} });
  try {
    assert.deepEqual(lab.server.target.status().receive, []);
  } finally {
    await lab.close();
  }
});

test('renderMetrics labels interface statistics, escaping the name, and ignores unknown ones', () => {
  const text = renderMetrics(
    [
      ['interface[we"ird].pkt4-kernel-drop', 7],
      ['interface[eth0].something-else', 1],
    ],
    [],
  );
  assert.match(text, /^kea_dhcp4_interface_kernel_drops_total\{interface="we\\"ird"\} 7$/m);
  assert.doesNotMatch(text, /something/);
});
