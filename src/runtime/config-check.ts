import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CompiledConfig } from '../config/index.ts';
import { ControlError } from '../control/index.ts';
import { controlListenerSettings, type ControlOverrides } from '../control/index.ts';
import { LeaseStoreError, postgresFromKea } from '../leases/index.ts';
import { listInterfaces, type InterfaceInfo } from '../transport/index.ts';
import { RuntimeError } from './errors.ts';
import { resolveInterfaces } from './interfaces.ts';
import { chooseLeaseStore } from './lease-database.ts';
import { hostsDatabasePath } from './host-databases.ts';
import { readLogSettings, type LogSettings } from './log-settings.ts';
import { ddnsNotes } from '../config/index.ts';

export interface ConfigCheck {
  /** Problems that would stop `serve` from starting: each names its JSON path or option. */
  readonly errors: readonly string[];
  /** What would start but is probably not meant (an interface absent on this host, an unused logger). */
  readonly warnings: readonly string[];
  /** The logging the configuration asks for, when its `loggers` section is valid. */
  readonly logging: LogSettings | undefined;
}

export interface ConfigCheckOptions {
  readonly leaseFile?: string;
  readonly control?: ControlOverrides;
  /** The host's interfaces; default the live list. */
  readonly interfaces?: () => InterfaceInfo[];
}

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_UNIX_PATH = 107;

/**
 * Everything `serve --test` checks beyond the parser's syntax and semantics, without opening a socket or a
 * database: the interfaces exist on this host (a warning, as Kea and dnsmasq say it: the file may be meant
 * for another host, or an interface may come up later), the lease file, control sockets and log files can be
 * created where they are named, TLS and password files are readable, and `loggers` is understood.
 */
export function checkConfigOffline(config: CompiledConfig, options: ConfigCheckOptions = {}): ConfigCheck {
  const errors: string[] = [];
  const warnings: string[] = [...config.warnings];
  const interfaces = options.interfaces ?? (() => listInterfaces());
  const attempt = (what: () => void): void => {
    try {
      what();
    } catch (err) {
      errors.push(describeError(err));
    }
  };

  config.interfaces.forEach((entry, i) => {
    try {
      resolveInterfaces([entry], interfaces);
    } catch (err) {
      if (!(err instanceof RuntimeError)) throw err;
      warnings.push(`Dhcp4.interfaces-config.interfaces[${i}]: ${err.message}`);
    }
  });
  if (config.interfaces.length === 0)
    warnings.push('Dhcp4.interfaces-config.interfaces: empty, DHCP would not be served');
  warnings.push(...ddnsNotes(config.ddns, config.source['dhcp-ddns']).warnings);

  attempt(() => {
    const choice = chooseLeaseStore(config.leaseDatabase, options.leaseFile);
    if (choice.spec.type === 'sqlite') {
      const where = options.leaseFile !== undefined ? '--lease-file' : 'Dhcp4.lease-database.name';
      const problem = creatable(choice.spec.path, true);
      if (problem !== undefined) errors.push(`${where}: ${choice.spec.path}: ${problem}`);
    }
  });

  // Parameters and TLS files only: the databases themselves are not opened.
  config.hostsDatabases.forEach((entry, i) => {
    try {
      postgresFromKea(entry, { path: hostsDatabasePath(config, i) });
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  });

  attempt(() => {
    const settings = controlListenerSettings(config.source, options.control ?? {});
    for (const u of settings.unix) {
      if (Buffer.byteLength(u.path) > MAX_UNIX_PATH)
        errors.push(`control socket ${u.path}: longer than ${MAX_UNIX_PATH} bytes`);
      const problem = creatable(u.path, false);
      if (problem !== undefined) errors.push(`control socket ${u.path}: ${problem}`);
    }
    for (const h of settings.http) {
      const files = h.tls === undefined ? [] : [h.tls.certFile, h.tls.keyFile, h.tls.trustAnchor];
      for (const f of files) {
        if (f === undefined) continue;
        const problem = readable(f);
        if (problem !== undefined) errors.push(`control HTTP ${h.host}:${h.port}: ${f}: ${problem}`);
      }
    }
  });

  let logging: LogSettings | undefined;
  attempt(() => {
    logging = readLogSettings(config.source['loggers']);
    warnings.push(...logging.notes);
    for (const o of logging.outputs) {
      if (o.kind !== 'file') continue;
      const problem = creatable(o.path, false);
      if (problem !== undefined) errors.push(`log file ${o.path}: ${problem}`);
    }
  });
  return { errors, warnings, logging };
}

/**
 * Why `path` could not be created or written, or undefined. With `makesParents` (the lease file, whose
 * directories serve creates) the nearest existing ancestor must be a writable directory, else the parent.
 */
function creatable(path: string, makesParents: boolean): string | undefined {
  let dir = path;
  try {
    if (statSync(path).isDirectory()) return 'is a directory';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `not writable (${codeOf(err)})`;
  }
  for (;;) {
    const parent = dirname(dir);
    try {
      if (!statSync(parent).isDirectory()) return `${parent} is not a directory`;
      accessSync(parent, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir || !makesParents)
        return `cannot be created in ${parent} (${codeOf(err)})`;
    }
    dir = parent;
  }
}

function readable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    return `not readable (${codeOf(err)})`;
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

function describeError(err: unknown): string {
  if (err instanceof RuntimeError)
    return err.path === undefined ? err.message : `${err.path}: ${err.message}`;
  if (err instanceof ControlError) return `control channel: ${err.message}`;
  if (err instanceof LeaseStoreError) return `lease store: ${err.message}`;
  throw err;
}
