/**
 * Option overload against real clients: busybox udhcpc and ISC dhclient take an OFFER/ACK whose option 119
 * is split across the options, file and sname fields (RFC 3396 with option 52 = 3), in network namespaces.
 */
import { requiring } from '../lab/needs.ts';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type Netns } from '../lab/netns.ts';
import { SEARCH } from './overload-responder.ts';

const { test } = requiring('root', 'ip', 'busybox', 'dhclient');

const responder = fileURLToPath(new URL('./overload-responder.ts', import.meta.url));

async function setup(lab: Lab): Promise<{ srv: Netns; cli: Netns }> {
  const srv = await lab.namespace('srv');
  const cli = await lab.namespace('cli');
  await lab.veth(srv, 'eth0', cli, 'eth0');
  await srv.addAddress('eth0', '198.18.79.1/24');
  await srv.setLink('eth0', true);
  await cli.setLink('eth0', true);
  return { srv, cli };
}

function script(dir: string, name: string, line: string): { path: string; log: string } {
  const path = join(dir, name);
  const log = join(dir, `${name}.log`);
  writeFileSync(path, `#!/bin/sh\necho "${line}" >> ${log}\n`);
  chmodSync(path, 0o755);
  return { path, log };
}

test('udhcpc and dhclient join option 119 split across options, file and sname', async () => {
  const lab = await createLab('pov');
  try {
    const { srv, cli } = await setup(lab);
    const server = srv.spawn(process.execPath, ['--import', 'tsx', responder]);
    await server.waitFor(/listening/, 15_000);

    const u = script(cli.dir, 'udhcpc-script', 'EVENT=$1 ip=$ip search=$search routes=$staticroutes');
    const r = await cli.run(
      'busybox',
      ['udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-s', u.path, '-O', 'search', '-O', 'staticroutes'],
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(server.output(), /overload 3/);
    const bound = readFileSync(u.log, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('EVENT=bound'));
    assert.equal(
      bound,
      `EVENT=bound ip=198.18.79.50 search=${SEARCH.join(' ')} routes=10.0.0.0/8 198.18.79.1`,
    );

    const d = script(
      cli.dir,
      'dhclient-script',
      'REASON=$reason ip=$new_ip_address search=$new_domain_search',
    );
    const client = cli.spawn('dhclient', [
      '-d',
      '-1',
      '-v',
      '-sf',
      d.path,
      '-lf',
      join(cli.dir, 'leases'),
      '-pf',
      join(cli.dir, 'pid'),
      'eth0',
    ]);
    try {
      await client.waitFor(/bound to 198\.18\.79\.50/, 20_000);
    } finally {
      await client.stop();
    }
    const dBound = readFileSync(d.log, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('REASON=BOUND'));
    assert.equal(dBound, `REASON=BOUND ip=198.18.79.50 search=${SEARCH.map((n) => `${n}.`).join(' ')}`);
    await server.stop();
  } finally {
    await lab.close();
  }
});
