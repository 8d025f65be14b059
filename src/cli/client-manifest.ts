import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';
import { unusableAddress } from '../client/index.ts';
import { LeasekeeperError } from '../errors.ts';

/** Where `-r`'s default comes from when `--manifest` is not given: `manifest.json` in the working directory. */
export const DEFAULT_MANIFEST_PATH = 'manifest.json';
/** A manifest is a small JSON object; anything larger is refused unread. */
export const MAX_MANIFEST_BYTES = 64 * 1024;

export class ManifestError extends LeasekeeperError {
  override name = 'ManifestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CLIENT_MANIFEST', message, options);
  }
}

/** The file's bytes, at most MAX_MANIFEST_BYTES (read from one descriptor: no check-then-read race); null when absent. */
function readBounded(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ManifestError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new ManifestError(`${path} is not a regular file`);
    const buf = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let got = 0;
    for (let n = -1; n !== 0 && got < buf.length; got += n)
      n = readSync(fd, buf, got, buf.length - got, null);
    if (got > MAX_MANIFEST_BYTES)
      throw new ManifestError(`${path} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof ManifestError) throw err;
    throw new ManifestError(`cannot read ${path}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * `default_ip` of a manifest: the address `-r` requests when none is given. An absent file at the
 * default path means no default (undefined); an absent file named by `--manifest` (`required`), a file
 * that is not a JSON object, a missing key or a value that is not a usable IPv4 unicast address is a
 * ManifestError saying which.
 */
export function manifestDefaultIp(path: string, required: boolean): string | undefined {
  const bytes = readBounded(path);
  if (bytes === null) {
    if (required) throw new ManifestError(`${path} does not exist`);
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ManifestError(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ManifestError(`${path} is not a JSON object`);
  }
  if (!Object.hasOwn(doc, 'default_ip')) throw new ManifestError(`${path} has no "default_ip"`);
  const ip = (doc as Record<string, unknown>)['default_ip'];
  if (typeof ip !== 'string' || isIP(ip) !== 4) {
    throw new ManifestError(
      `${path}: "default_ip" is not an IPv4 address: ${JSON.stringify(ip)?.slice(0, 60)}`,
    );
  }
  const bad = unusableAddress(ip, null);
  if (bad !== null) throw new ManifestError(`${path}: "default_ip" cannot be requested: ${bad}`);
  return ip;
}
