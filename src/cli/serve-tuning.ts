/**
 * `serve`'s receive-path, commit-wait and UDP GSO flags: read once at start (a SIGHUP or config-reload re-reads the
 * configuration file, not the command line), checked here so a bad value is a usage error naming its flag.
 */
import { UsageError } from './command.ts';
import { RECEIVE_PATHS, RING_DEFAULTS, type ReceivePath, type RingThresholds } from '../runtime/index.ts';

export interface ReceiveTuning {
  readonly receivePath?: ReceivePath;
  readonly ringThresholds?: RingThresholds;
  readonly commitMaxWaitMs?: number;
  readonly udpSegmentation?: boolean | 'auto';
}

export interface ReceiveTuningFlags {
  readonly 'receive-path'?: string | undefined;
  readonly 'ring-above'?: string | undefined;
  readonly 'ring-below'?: string | undefined;
  readonly 'ring-window'?: string | undefined;
  readonly 'max-commit-wait'?: string | undefined;
  readonly 'udp-gso'?: string | undefined;
}

/** Frames a second past which a threshold says nothing useful (a 10 GbE link of minimum frames is ~15M). */
const MAX_FPS = 100_000_000;
/** A window longer than a minute would hold the ring through whole quiet spells. */
const MAX_WINDOW_MS = 60_000;
/** A batch waits for its fsync'd predecessor anyway; past a second the bound is meaningless. */
const MAX_COMMIT_WAIT_MS = 1000;

export function readReceiveTuning(v: ReceiveTuningFlags): ReceiveTuning {
  const path = v['receive-path'];
  if (path !== undefined && !(RECEIVE_PATHS as readonly string[]).includes(path))
    throw new UsageError(`--receive-path must be one of ${RECEIVE_PATHS.join(', ')} (got "${path}")`);
  const above = whole(v['ring-above'], '--ring-above', 1, MAX_FPS, 'frames a second');
  const below = whole(v['ring-below'], '--ring-below', 0, MAX_FPS, 'frames a second');
  const window = whole(v['ring-window'], '--ring-window', 1, MAX_WINDOW_MS, 'milliseconds');
  const given = [
    ['--ring-above', above],
    ['--ring-below', below],
    ['--ring-window', window],
  ].filter(([, n]) => n !== undefined);
  if (given.length > 0 && path !== undefined && path !== 'adaptive')
    throw new UsageError(
      `${given.map(([f]) => f).join(', ')}: only with --receive-path adaptive (not ${path})`,
    );
  const effectiveAbove = above ?? RING_DEFAULTS.ringAboveFps;
  if (below !== undefined && below > effectiveAbove)
    throw new UsageError(
      `--ring-below ${below} is above the threshold to move onto the ring (${effectiveAbove}` +
        `${above === undefined ? ', the default of --ring-above' : ''}): the socket would switch at every window`,
    );
  const wait = v['max-commit-wait'];
  let commitMaxWaitMs: number | undefined;
  if (wait !== undefined) {
    commitMaxWaitMs = Number(wait);
    if (!(wait.trim() !== '' && commitMaxWaitMs >= 0 && commitMaxWaitMs <= MAX_COMMIT_WAIT_MS))
      throw new UsageError(
        `--max-commit-wait must be a number of milliseconds from 0 to ${MAX_COMMIT_WAIT_MS} (got "${wait}")`,
      );
  }
  const gso = v['udp-gso'];
  if (gso !== undefined && gso !== 'on' && gso !== 'off' && gso !== 'auto')
    throw new UsageError(`--udp-gso must be on, off or auto (got "${gso}")`);
  const thresholds: RingThresholds = {
    ...(above === undefined ? {} : { ringAboveFps: above }),
    ...(below === undefined ? {} : { ringBelowFps: below }),
    ...(window === undefined ? {} : { ringWindowMs: window }),
  };
  return {
    ...(path === undefined ? {} : { receivePath: path as ReceivePath }),
    ...(given.length === 0 ? {} : { ringThresholds: thresholds }),
    ...(commitMaxWaitMs === undefined ? {} : { commitMaxWaitMs }),
    ...(gso === undefined ? {} : { udpSegmentation: gso === 'auto' ? 'auto' : gso === 'on' }),
  };
}

function whole(value: string | undefined, flag: string, min: number, max: number, unit: string) {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(Number.isInteger(n) && n >= min && n <= max))
    throw new UsageError(`${flag} must be a whole number of ${unit} from ${min} to ${max} (got "${value}")`);
  return n;
}
