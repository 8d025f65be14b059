// Run inside a lab namespace by tsig-bind.test.ts: performs one add per key against the DNS server given
// in argv[2] (JSON) through leasekeeper's own UPDATE client, and prints one JSON line per key.
import { sendUpdate } from '../../src/runtime/ddns/dns-client.ts';
import { dhcidRdata } from '../../src/runtime/ddns/dhcid.ts';
import { runNameChange } from '../../src/ddns/transaction.ts';
import { decodeSecret, type TsigAlgorithm } from '../../src/ddns/tsig-keys.ts';

interface ProbeKey {
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  readonly secret: string;
  readonly digestBits: number;
  readonly host: string;
}
const spec = JSON.parse(process.argv[2] ?? '{}') as { server: string; zone: string; keys: ProbeKey[] };

for (const k of spec.keys) {
  const key = {
    name: k.name,
    algorithm: k.algorithm,
    secret: decodeSecret(k.secret)!,
    digestBits: k.digestBits,
  };
  const server = { address: spec.server, port: 53, key };
  const fqdn = `${k.host}.${spec.zone}`;
  try {
    const outcome = await runNameChange(
      {
        kind: 'add',
        fqdn,
        address: '198.18.1.77',
        dhcid: dhcidRdata({ clientId: null, htype: 1, chaddr: Uint8Array.from([2, 0, 0, 0, 1, 1]) }, fqdn),
        ttl: 600,
        forward: true,
        reverse: false,
        mode: 'check-with-dhcid',
      },
      (_dir, _name, pre, upd) =>
        sendUpdate(server, spec.zone, pre, upd, {
          timeoutMs: 2000,
          nowSeconds: () => Math.floor(Date.now() / 1000),
        }),
    );
    console.log(JSON.stringify({ host: k.host, result: outcome.forward.result }));
  } catch (err) {
    console.log(JSON.stringify({ host: k.host, error: (err as Error).message }));
  }
}
