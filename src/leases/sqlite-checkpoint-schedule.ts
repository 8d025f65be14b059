import { RateLimitedLog } from '../log/index.ts';
import { CHECKPOINT_TARGET_FRAMES, type CheckpointReport } from './sqlite-checkpoint.ts';

/** What the writer thread's batch loop asks of checkpoints. */
export interface Checkpointing {
  /** A transaction of `writes` operations committed (and was reported): checkpoint if the WAL is due. */
  committed(writes: number): void;
  /** The checkpoint that ran since the last call, if any (traces); the longest when several did. */
  takeReport(): CheckpointReport | undefined;
}

/** Checkpoints on another connection in another thread (`CheckpointThread`). */
export interface BackgroundCheckpoints {
  /** Asks for a PASSIVE checkpoint, answered through `CheckpointSchedule.finished`; false if none can run. */
  start(): boolean;
  /** Blocks until the checkpoint asked for is done, at most `ms`: whether it is. */
  waitIdle(ms: number): boolean;
}

export type BackgroundOutcome =
  { readonly ok: true; readonly report: CheckpointReport } | { readonly ok: false; readonly detail: string };

export interface CheckpointScheduleOptions {
  /** Frames written between two checkpoints (default `CHECKPOINT_TARGET_FRAMES`). */
  readonly targetFrames?: number;
  /**
   * WAL length (frames since it last started over) from which the writer completes a background checkpoint
   * that writes overtook, so that the WAL starts over (default 2 x the target).
   */
  readonly restartFrames?: number;
  /** WAL length at which the writer stops waiting for the background and checkpoints itself (default 8 x). */
  readonly hardFrames?: number;
  /** How long the writer, past `hardFrames`, waits for a running background checkpoint (default 1000 ms). */
  readonly stallWaitMs?: number;
  /**
   * Writes one warning line (rate-limited here: once per interval), with how many events it stands for (the
   * message says so too when more than one).
   */
  readonly warn?: (message: string, count: number) => void;
  /** Default 5000 ms. */
  readonly warnIntervalMs?: number;
}

/** Frames one write is assumed to add before a checkpoint measured it. */
const INITIAL_FRAMES_PER_WRITE = 4;
const DEFAULT_STALL_WAIT_MS = 1000;
/** Checkpoints on the thread that batches may overtake, once the WAL should start over, before the writer copies. */
const CATCH_UP_ROUNDS = 3;

/**
 * Decides, after each committed batch of the writer thread, where and when the WAL is checkpointed, so that the
 * write connection's batches keep committing while a checkpoint copies pages and syncs the database file.
 *
 * In WAL mode a PASSIVE checkpoint on another connection runs beside a writer appending to the WAL
 * (https://www.sqlite.org/wal.html#concurrency: it copies the frames that were committed when it began and
 * needs no write lock). So when about `targetFrames` frames were written since the last one, the checkpoint
 * is asked of the background thread and the writer goes on at once.
 *
 * The WAL starts over from its beginning only at a write that finds every frame copied
 * (https://www.sqlite.org/wal.html#avoiding_excessively_large_wal_files). A batch committed while the
 * background checkpoint ran leaves frames behind it; under steady load one usually does. When the WAL has
 * grown past `restartFrames` and a background checkpoint finished with frames left behind, the thread is asked
 * again right after the next batch commits (it copies only what the batches meanwhile added, and often no batch
 * comes while it does); if batches overtook `CATCH_UP_ROUNDS` of those in a row, the writer copies the few
 * frames left itself, between two batches (a short hold: only what the last batch or two wrote), and the next
 * write starts the WAL over. A background checkpoint that is not done when the WAL reaches `hardFrames` (a
 * stalled or failing thread) is waited for, at most `stallWaitMs`, and the writer checkpoints itself: the
 * WAL stays bounded whatever the thread does, at the cost of the holds of old. Each of these events and
 * every failed checkpoint is counted and logged, once per interval.
 *
 * Without a background (no thread: an in-memory database), the writer checkpoints itself between batches.
 * SQLite does not say how many frames a transaction appended: the rate is learnt from each checkpoint's report
 * of the WAL's length.
 */
export class CheckpointSchedule implements Checkpointing {
  readonly #inline: () => CheckpointReport;
  readonly #background: BackgroundCheckpoints | null;
  readonly #targetFrames: number;
  readonly #restartFrames: number;
  readonly #hardFrames: number;
  readonly #stallWaitMs: number;
  readonly #log: RateLimitedLog<string>;
  #framesPerWrite = INITIAL_FRAMES_PER_WRITE;
  /** Writes since the last checkpoint started. */
  #sinceStart = 0;
  /** Writes since the WAL was last wholly copied (it starts over at the next write). */
  #sinceRestart = 0;
  #running = false;
  /** Checkpoints in a row that batches overtook since the WAL passed `restartFrames`. */
  #overtaken = 0;
  /** The next batch to commit starts the next of those at once. */
  #catchUpDue = false;
  #writesAtStart = 0;
  #duringRun = 0;
  #report: CheckpointReport | undefined;
  #counts = { background: 0, finishedByWriter: 0, fallbacks: 0, failures: 0 };

  constructor(
    inline: () => CheckpointReport,
    background: BackgroundCheckpoints | null,
    options: CheckpointScheduleOptions = {},
  ) {
    this.#inline = inline;
    this.#background = background;
    this.#targetFrames = Math.max(1, options.targetFrames ?? CHECKPOINT_TARGET_FRAMES);
    this.#restartFrames = Math.max(this.#targetFrames, options.restartFrames ?? 2 * this.#targetFrames);
    this.#hardFrames = Math.max(this.#restartFrames, options.hardFrames ?? 8 * this.#targetFrames);
    this.#stallWaitMs = Math.max(0, options.stallWaitMs ?? DEFAULT_STALL_WAIT_MS);
    const warn = options.warn ?? (() => undefined);
    this.#log = new RateLimitedLog<string>({
      ...(options.warnIntervalMs === undefined ? {} : { intervalMs: options.warnIntervalMs }),
      emit: (count, detail) =>
        warn(count > 1 ? `${detail} (${count} times since the last warning)` : detail, count),
    });
  }

  /** Background checkpoints asked for, finished by the writer, fallbacks past the hard bound, failures. */
  get counts(): Readonly<{
    background: number;
    finishedByWriter: number;
    fallbacks: number;
    failures: number;
  }> {
    return { ...this.#counts };
  }

  /** Whether a background checkpoint was asked for and has not answered. */
  get running(): boolean {
    return this.#running;
  }

  committed(writes: number): void {
    this.#sinceStart += writes;
    this.#sinceRestart += writes;
    if (this.#running) {
      this.#duringRun += writes;
      if (this.#frames(this.#sinceRestart) >= this.#hardFrames) this.#fallBack();
      return;
    }
    if (this.#catchUpDue) {
      this.#catchUpDue = false;
      this.#startBackground();
      return;
    }
    if (this.#frames(this.#sinceStart) < this.#targetFrames) return;
    if (this.#background === null) {
      this.#runInline();
      return;
    }
    this.#startBackground();
  }

  /** The background checkpoint asked for answered. */
  finished(outcome: BackgroundOutcome): void {
    if (!this.#running) return;
    this.#running = false;
    if (!outcome.ok) {
      this.#failed(`a checkpoint of the WAL failed (${outcome.detail}); the next one tries again`);
      return;
    }
    const report = outcome.report;
    this.#learn(report.walFrames, this.#writesAtStart);
    this.#keep(report);
    const complete = !report.busy && report.checkpointedFrames === report.walFrames;
    if (complete && this.#duringRun === 0) {
      // Nothing was written meanwhile: the next write starts the WAL over.
      this.#restarted();
      return;
    }
    if (this.#frames(this.#sinceRestart) < this.#restartFrames) return;
    // The thread again first, right after the next batch committed (the longest gap before the one after): it
    // copies only what the last batches added, and often no batch comes meanwhile. Only after
    // `CATCH_UP_ROUNDS` overtaken in a row does the writer copy the rest.
    if (this.#overtaken < CATCH_UP_ROUNDS) {
      this.#overtaken++;
      this.#catchUpDue = true;
      return;
    }
    this.#counts.finishedByWriter++;
    this.#runInline();
  }

  takeReport(): CheckpointReport | undefined {
    const report = this.#report;
    this.#report = undefined;
    return report;
  }

  /** Reports a pending warning now (on close). */
  flush(): void {
    this.#log.flush();
  }

  #startBackground(): void {
    if (this.#background?.start() === true) {
      this.#counts.background++;
      this.#running = true;
      this.#writesAtStart = this.#sinceRestart;
      this.#duringRun = 0;
      this.#sinceStart = 0;
      return;
    }
    this.#problem('the checkpoint thread is not running: the writer checkpoints the WAL itself');
    this.#runInline();
  }

  /** Past the hard bound with the background checkpoint still running: wait for it, then checkpoint here. */
  #fallBack(): void {
    this.#counts.fallbacks++;
    const idle = this.#background?.waitIdle(this.#stallWaitMs) ?? true;
    this.#problem(
      `the WAL reached about ${Math.round(this.#frames(this.#sinceRestart))} frames before the checkpoint thread ` +
        `caught up${idle ? '' : ` (its checkpoint still ran after ${this.#stallWaitMs} ms)`}: the writer ` +
        'checkpoints the WAL itself',
    );
    this.#runInline();
  }

  #runInline(): void {
    const writes = this.#sinceRestart;
    this.#sinceStart = 0;
    let report: CheckpointReport;
    try {
      report = this.#inline();
    } catch (error) {
      // A full disk or an I/O error: the next write meets it (and the space guard acts on it).
      this.#failed(
        `a checkpoint of the WAL failed (${error instanceof Error ? error.message : String(error)})`,
      );
      return;
    }
    this.#learn(report.walFrames, writes);
    if (!report.busy && report.checkpointedFrames === report.walFrames) this.#restarted();
    this.#keep({ ...report, inWriter: true });
  }

  /** Every frame is in the database: the next write starts the WAL over. */
  #restarted(): void {
    this.#sinceRestart = 0;
    this.#overtaken = 0;
    this.#catchUpDue = false;
  }

  #learn(walFrames: number, writes: number): void {
    if (writes > 0 && walFrames > 0)
      this.#framesPerWrite = Math.max(walFrames / writes, 1 / this.#targetFrames);
  }

  #frames(writes: number): number {
    return writes * this.#framesPerWrite;
  }

  #keep(report: CheckpointReport): void {
    if (this.#report === undefined || report.ms >= this.#report.ms) this.#report = report;
  }

  #failed(detail: string): void {
    this.#counts.failures++;
    this.#log.hit(detail);
  }

  #problem(detail: string): void {
    this.#log.hit(detail);
  }
}
