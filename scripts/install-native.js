// `npm install` step for the optional native transport addon. Never fails the install: the addon only adds
// the raw-socket transport, and without it the server falls back to the UDP transport (and says so once).
//  - not Linux: nothing to build (the transport is Linux-only);
//  - a prebuilt binary for this architecture ships in prebuilds/: use it, no compiler needed;
//  - otherwise (a source checkout, or an architecture without a prebuild): try node-gyp, and on failure
//    print one line saying what the server will do instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'leasekeeper_transport.node');

if (process.platform === 'linux' && !existsSync(prebuilt)) {
  // npm tells lifecycle scripts where its own node-gyp is; `node-gyp` on PATH is the fallback.
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    const reason = result.error?.message ?? `node-gyp exited with ${result.status ?? result.signal}`;
    console.warn(
      `leasekeeper: native transport addon not built (${reason}); the server will use the UDP transport. ` +
        'Install a C++ compiler and run `npm rebuild leasekeeper` to build it.',
    );
  }
}
