import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { lstat, open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { CommandArgumentError } from './errors.ts';

/**
 * Where `config-write` may write and `config-reload` may read: inside the directory of the configuration
 * file the server was started with (resolved with realpath when the server starts), never through a
 * symbolic link, never onto the lease database or a control socket. Kea restricts the same way since
 * 2.6.2 (CVE-2025-32801/-32802/-32803).
 */
export class ConfigFileRefusedError extends CommandArgumentError {
  override name = 'ConfigFileRefusedError';
}

export interface ConfigFilePolicyOptions {
  /** The configuration file the server was started with. */
  readonly configFile: string;
  /** Files never to be written: the lease database, control sockets. Read at each write. */
  readonly protectedPaths?: () => readonly string[];
}

/** Suffixes SQLite keeps next to a database file. */
const SQLITE_COMPANIONS = ['', '-wal', '-shm', '-journal'];

export class ConfigFilePolicy {
  readonly configFile: string;
  /** The directory every written or re-read file must be in (realpath). */
  readonly directory: string;
  readonly #protected: () => readonly string[];

  constructor(options: ConfigFilePolicyOptions) {
    this.configFile = options.configFile;
    const dir = dirname(resolve(options.configFile));
    try {
      this.directory = realpathSync(dir);
    } catch {
      this.directory = dir;
    }
    this.#protected = options.protectedPaths ?? (() => []);
  }

  /**
   * The path `filename` (relative to the configuration's directory, or absolute) may be written at; throws
   * ConfigFileRefusedError otherwise. The error does not depend on whether a path outside exists.
   */
  async writablePath(filename: string | undefined): Promise<string> {
    const name = filename ?? this.configFile;
    const refuse = (): never => {
      throw new ConfigFileRefusedError(
        `not allowed to write config into ${name}: path specified is not within the supported path: ${this.directory}`,
      );
    };
    if (name === '' || name.includes('\0')) refuse();
    const candidate = isAbsolute(name) ? resolve(name) : resolve(this.directory, name);
    const parent = await realpath(dirname(candidate)).catch(() => undefined);
    if (parent === undefined || !this.#inside(parent)) refuse();
    const path = join(parent as string, basename(candidate));
    const existing = await lstat(path).catch(() => undefined);
    if (existing !== undefined && !existing.isFile()) {
      // The configuration file itself may be a link within the directory (a common way to switch versions).
      if (filename !== undefined || !existing.isSymbolicLink()) refuse();
      const target = await realpath(path).catch(() => undefined);
      if (target === undefined || !this.#inside(dirname(target))) refuse();
      return this.#unprotected(target as string, name);
    }
    return this.#unprotected(path, name);
  }

  /** The configuration file to re-read, after checking it still resolves inside the directory. */
  async readablePath(): Promise<string> {
    const target = await realpath(this.configFile).catch(() => undefined);
    if (target === undefined || !this.#inside(dirname(target))) {
      throw new ConfigFileRefusedError(
        `not allowed to read config from ${this.configFile}: path specified is not within the supported path: ${this.directory}`,
      );
    }
    return target;
  }

  #inside(dir: string): boolean {
    return (
      dir === this.directory ||
      dir.startsWith(this.directory.endsWith(sep) ? this.directory : `${this.directory}${sep}`)
    );
  }

  async #unprotected(path: string, name: string): Promise<string> {
    const stat = await lstat(path).catch(() => undefined);
    for (const p of this.#protected()) {
      const real = await realpath(p).catch(() => resolve(p));
      const same = SQLITE_COMPANIONS.some((s) => path === `${real}${s}` || path === `${resolve(p)}${s}`);
      const other = stat === undefined ? undefined : await lstat(real).catch(() => undefined);
      if (
        same ||
        (other !== undefined && stat !== undefined && other.ino === stat.ino && other.dev === stat.dev)
      ) {
        throw new ConfigFileRefusedError(
          `not allowed to write config into ${name}: the file is in use by the server (lease database or control socket)`,
        );
      }
    }
    return path;
  }
}

/**
 * Writes `text` to `path` as a new file of mode 0600 (it may hold credentials) and renames it into place:
 * the old file is replaced, never written through, so a link or another process's open file is not touched.
 */
export async function writeConfigFile(path: string, text: string): Promise<number> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.chmod(0o600);
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return Buffer.byteLength(text);
}
