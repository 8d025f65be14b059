// BIND 9 (`named`, Debian's bind9) as the authoritative server for dynamic-update tests: a forward zone and
// a reverse zone that accept updates signed with one TSIG key, run in the foreground in a temp dir.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabProcess, Netns } from '../lab/netns.ts';

export interface BindOptions {
  readonly listen: string;
  readonly port?: number;
  readonly zone?: string;
  readonly reverseZone?: string;
  /** BIND's algorithm name (hmac-sha256, ...) and base64 secret. */
  readonly key?: BindKey;
  /** More keys allowed to update both zones. */
  readonly extraKeys?: readonly BindKey[];
}

export interface BindKey {
  readonly name: string;
  readonly algorithm: string;
  readonly secret: string;
}

export interface Bind {
  readonly proc: LabProcess;
  /** `dig @server NAME TYPE +short` lines. */
  dig(name: string, type: string): Promise<string[]>;
  stop(): Promise<void>;
}

export const TEST_KEY = {
  name: 'lk-ddns-key',
  algorithm: 'hmac-sha256',
  secret: 'bGVhc2VrZWVwZXItZGRucy10ZXN0LWtleS0wMTIzNDU=',
};

function zoneFile(zone: string, forward: string, ns: string): string {
  return [
    '$TTL 300',
    `@ IN SOA ns.${forward}. admin.${forward}. 1 3600 600 86400 300`,
    `@ IN NS ns.${forward}.`,
    zone === forward ? `ns IN A ${ns}` : '',
    '',
  ].join('\n');
}

/** Writes the configuration (once per directory) and starts named; resolves when it serves. */
export async function startBind(ns: Netns, dir: string, o: BindOptions): Promise<Bind> {
  const zone = o.zone ?? 'example.com';
  const rev = o.reverseZone ?? '0.18.198.in-addr.arpa';
  const key = o.key ?? TEST_KEY;
  const port = o.port ?? 53;
  const keys = [key, ...(o.extraKeys ?? [])];
  const allow = keys.map((k) => `key "${k.name}";`).join(' ');
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'named.conf');
  writeFileSync(
    conf,
    [
      'options {',
      `  directory "${dir}";`,
      `  pid-file "${join(dir, 'named.pid')}";`,
      `  listen-on port ${port} { ${o.listen}; };`,
      '  listen-on-v6 { none; };',
      '  recursion no;',
      '  dnssec-validation no;',
      '};',
      // No rndc channel: nothing listens but the DNS port.
      'controls { };',
      ...keys.map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`),
      `zone "${zone}" { type primary; file "${join(dir, 'fwd.db')}"; allow-update { ${allow} }; };`,
      `zone "${rev}" { type primary; file "${join(dir, 'rev.db')}"; allow-update { ${allow} }; };`,
      '',
    ].join('\n'),
  );
  const fwdFile = join(dir, 'fwd.db');
  const revFile = join(dir, 'rev.db');
  // A restart keeps the zone (and its journal) as the previous run left it.
  try {
    writeFileSync(fwdFile, zoneFile(zone, zone, o.listen), { flag: 'wx' });
    writeFileSync(revFile, zoneFile(rev, zone, o.listen), { flag: 'wx' });
  } catch {
    // already there
  }
  // -u root: the lab runs as root and named would otherwise drop to the `bind` user, who cannot write here.
  const proc = ns.spawn('named', ['-g', '-u', 'root', '-n', '1', '-c', conf]);
  await proc.waitFor(/running/, 20_000);
  const dig = async (name: string, type: string): Promise<string[]> => {
    const r = await ns.run('dig', [
      `@${o.listen}`,
      '-p',
      String(port),
      '+short',
      '+tries=1',
      '+time=2',
      name,
      type,
    ]);
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  };
  return { proc, dig, stop: async () => void (await proc.stop('SIGTERM', 5_000)) };
}
