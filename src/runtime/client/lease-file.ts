import { readFile, rename, writeFile } from 'node:fs/promises';
import { LeaseFileError, parseLeaseFile, serializeLeaseFile, type LeaseFile } from '../../client/index.ts';

/** Reads a lease file; null when there is none. */
export async function readLeaseFile(path: string): Promise<LeaseFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LeaseFileError(`cannot read lease file ${path}`, { cause: err });
  }
  return parseLeaseFile(text);
}

/** Writes a lease file atomically (temporary file, then rename), so a crash never leaves half a lease. */
export async function writeLeaseFile(path: string, file: Omit<LeaseFile, 'version'>): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, serializeLeaseFile(file), { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    throw new LeaseFileError(`cannot write lease file ${path}`, { cause: err });
  }
}
