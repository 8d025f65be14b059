/**
 * Reads V8's `--trace-gc-nvp` lines (one `name=value` list per collection, prefixed `[pid:isolate:0]`) and
 * sums what the main isolate's collections did: scavenges, mark-compacts, and the bytes scavenges promoted into
 * the old generation. A worker thread (the SQLite writer) is an isolate of its own with its own lines; the
 * main isolate is the first one to trace, since the main thread starts before any worker.
 */
export interface GcSummary {
  scavenges: number;
  markCompacts: number;
  /** Bytes the scavenges moved into the old generation. */
  promotedBytes: number;
  /** Bytes the scavenges copied within the young generation (survived once, not yet promoted). */
  survivedBytes: number;
  /** The longest main-thread pause of a scavenge and of a mark-compact, in ms (0: none). */
  longestScavengeMs: number;
  longestMarkCompactMs: number;
}

const LINE = /^\[\d+:(0x[0-9a-f]+):\d+\]\s+\d+ ms: pause=.* gc=(\w+) /;

/** The main isolate's collections in `text` from character `from` on (a process's output, from a trial's start). */
export function summariseGcTrace(text: string, from = 0): GcSummary {
  const summary: GcSummary = {
    scavenges: 0,
    markCompacts: 0,
    promotedBytes: 0,
    survivedBytes: 0,
    longestScavengeMs: 0,
    longestMarkCompactMs: 0,
  };
  let main: string | undefined;
  let at = 0;
  for (const line of text.split('\n')) {
    const start = at;
    at += line.length + 1;
    const m = LINE.exec(line);
    if (m === null) continue;
    main ??= m[1];
    if (m[1] !== main || start < from) continue;
    const pause = decimal(line, 'pause');
    if (m[2] === 'mc') {
      summary.markCompacts++;
      summary.longestMarkCompactMs = Math.max(summary.longestMarkCompactMs, pause);
    } else if (m[2] === 's') {
      summary.scavenges++;
      summary.longestScavengeMs = Math.max(summary.longestScavengeMs, pause);
      summary.promotedBytes += decimal(line, 'promoted');
      summary.survivedBytes += decimal(line, 'new_space_survived');
    }
  }
  return summary;
}

function decimal(line: string, name: string): number {
  const m = new RegExp(` ${name}=(\\d+(?:\\.\\d+)?)`).exec(line);
  return m === null ? 0 : Number(m[1]);
}
