import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
/** Frames read per system call while scanning. */
const FRAMES_PER_READ = 64;

/** What SQLite would silently drop from a WAL file when it opens the database. */
export interface WalLoss {
  /** 1-based index of the first frame SQLite rejects (bad checksum or header). */
  readonly firstBadFrame: number;
  /** Intact frames after it that end a committed transaction: transactions SQLite would discard. */
  readonly lostCommits: number;
  readonly frames: number;
}

/**
 * Reads a WAL file the way SQLite's recovery does (https://www.sqlite.org/fileformat.html#the_write_ahead_log)
 * and reports committed transactions that recovery would drop. SQLite replays frames up to the first one whose
 * salts or cumulative checksum do not match and ignores the rest without a word; after a `kill -9` every frame
 * written is complete, so an intact commit frame of the same WAL generation after a bad one means damage in
 * the middle, not a torn last write. A torn tail (power loss during the last, unacknowledged commit) has no
 * intact frame after it and is not reported. Returns null when nothing committed would be lost.
 */
export function scanWalForLoss(walPath: string): WalLoss | null {
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return null;
  }
  try {
    // Another server on the same file may restart the WAL (new header, new salts) while it is read: a header
    // that changed meanwhile means the scan saw two generations, so it is done again.
    for (let attempt = 0; ; attempt++) {
      const before = readHeader(fd);
      const loss = scanOnce(fd);
      if (loss === null || attempt === 2 || before.equals(readHeader(fd))) return loss;
    }
  } finally {
    closeSync(fd);
  }
}

function readHeader(fd: number): Buffer {
  const header = Buffer.alloc(WAL_HEADER_BYTES);
  readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
  return header;
}

function scanOnce(fd: number): WalLoss | null {
  const size = fstatSync(fd).size;
  if (size < WAL_HEADER_BYTES) return null;
  const header = readHeader(fd);
  const magic = header.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return null;
  const bigEndian = (magic & 1) === 1;
  const pageSize = pageSizeOf(header.readUInt32BE(8));
  if (pageSize === null) return null;
  const frameBytes = FRAME_HEADER_BYTES + pageSize;
  const frames = Math.floor((size - WAL_HEADER_BYTES) / frameBytes);
  if (frames === 0) return null;

  const headerSum = checksum(header.subarray(0, 24), [0, 0], bigEndian);
  const headerOk = headerSum[0] === header.readUInt32BE(24) && headerSum[1] === header.readUInt32BE(28);
  let salt1 = header.readUInt32BE(16);
  let salt2 = header.readUInt32BE(20);
  let chain: [number, number] = [header.readUInt32BE(24), header.readUInt32BE(28)];
  let firstBad = headerOk ? 0 : 1;
  let lostCommits = 0;
  const buffer = Buffer.alloc(frameBytes * FRAMES_PER_READ);
  for (let first = 0; first < frames; first += FRAMES_PER_READ) {
    const count = Math.min(FRAMES_PER_READ, frames - first);
    readSync(fd, buffer, 0, count * frameBytes, WAL_HEADER_BYTES + first * frameBytes);
    for (let i = 0; i < count; i++) {
      const frame = buffer.subarray(i * frameBytes, (i + 1) * frameBytes);
      const stored: [number, number] = [frame.readUInt32BE(16), frame.readUInt32BE(20)];
      if (!headerOk && first + i === 0) {
        // A damaged WAL header makes SQLite ignore the whole file: judge the frames by the first one's salts.
        salt1 = frame.readUInt32BE(8);
        salt2 = frame.readUInt32BE(12);
        chain = stored;
        continue;
      }
      const sameGeneration = frame.readUInt32BE(8) === salt1 && frame.readUInt32BE(12) === salt2;
      let sum = checksum(frame.subarray(0, 8), chain, bigEndian);
      sum = checksum(frame.subarray(FRAME_HEADER_BYTES), sum, bigEndian);
      const intact = sameGeneration && sum[0] === stored[0] && sum[1] === stored[1];
      const isCommit = frame.readUInt32BE(4) !== 0;
      if (firstBad === 0) {
        if (!intact) firstBad = first + i + 1;
      } else if (intact && isCommit) {
        lostCommits++;
      }
      // After the break, each frame is judged against the checksum its predecessor recorded.
      chain = firstBad === 0 ? sum : stored;
    }
  }
  if (firstBad === 0 || lostCommits === 0) return null;
  return { firstBadFrame: firstBad, lostCommits, frames };
}

/** The header stores 65536 as 1. */
function pageSizeOf(raw: number): number | null {
  const size = raw === 1 ? 65536 : raw;
  if (size < 512 || size > 65536 || (size & (size - 1)) !== 0) return null;
  return size;
}

/** SQLite's WAL checksum: pairs of 32-bit words in the byte order the magic number names. */
function checksum(data: Buffer, seed: readonly [number, number], bigEndian: boolean): [number, number] {
  let s0 = seed[0];
  let s1 = seed[1];
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
