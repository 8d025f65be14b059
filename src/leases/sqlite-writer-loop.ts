import type { Checkpointing } from './sqlite-checkpoint-schedule.ts';
import type { BatchHops, FromWriter, OpResult, ThreadGc, WireError } from './sqlite-writer-protocol.ts';

/** What the writer thread's batch loop needs: kept apart from the thread so that its order can be tested. */
export interface WriterLoopDeps {
  /** Runs the batch in one transaction; each operation's answer once it is durable. Throws the batch's error. */
  readonly run: (ops: readonly unknown[], wantRemoved: boolean) => OpResult[];
  /** The batch's error as plain data. */
  readonly toWire: (error: unknown) => WireError;
  readonly post: (message: FromWriter) => void;
  readonly checkpointer: Checkpointing;
  /** The thread's clock, ms (`traceClock`: its times go into `BatchHops`). */
  readonly now: () => number;
  /** The thread's garbage collections seen since the previous call, for a traced batch's `BatchHops`. */
  readonly takeGc?: () => readonly ThreadGc[];
  /** The thread's wait for a CPU so far, ms (`threadRunDelayMs`), read only for traced batches. */
  readonly runDelay?: () => number;
}

/**
 * The writer thread's answer to each batch: run it, report it, and only then count it towards a checkpoint
 * (`CheckpointSchedule`: on the checkpoint thread, which the next batches do not wait for; on this thread only
 * to let the WAL start over or when the checkpoint thread fell behind). The report goes out before, so the
 * writes of the batch (an ACK's lease among them) never wait for a checkpoint. Checkpoint figures travel with
 * the next batch's report (traces).
 */
export class WriterLoop {
  readonly #deps: WriterLoopDeps;
  /** When the work after the previous report ended (`BatchHops.previousDoneAt`). */
  #doneAt = 0;
  /** `runDelay` at the previous traced report. */
  #reportRunDelay = Number.NaN;

  constructor(deps: WriterLoopDeps) {
    this.#deps = deps;
  }

  /** `received`, only for a traced batch: when the thread got it (its report then carries `BatchHops`). */
  batch(
    id: number,
    ops: readonly unknown[],
    wantRemoved: boolean,
    received?: { readonly at: number; readonly runDelayMs: number },
  ): void {
    const d = this.#deps;
    const started = d.now();
    let results: OpResult[];
    try {
      results = d.run(ops, wantRemoved);
    } catch (error) {
      d.post({ type: 'failed', id, error: d.toWire(error) });
      this.#doneAt = d.now();
      return;
    }
    const checkpoint = d.checkpointer.takeReport();
    const ended = d.now();
    let hops: BatchHops | undefined;
    if (received !== undefined) {
      const runDelay = d.runDelay?.() ?? Number.NaN;
      hops = {
        receivedAt: received.at,
        txStartAt: started,
        reportAt: ended,
        previousDoneAt: this.#doneAt,
        gc: d.takeGc?.() ?? [],
        cpuWaitBeforeMs: received.runDelayMs - this.#reportRunDelay,
        cpuWaitInMs: runDelay - received.runDelayMs,
      };
      this.#reportRunDelay = runDelay;
    }
    d.post({
      type: 'committed',
      id,
      results,
      txMs: ended - started,
      ...(checkpoint === undefined ? {} : { checkpoint }),
      ...(hops === undefined ? {} : { hops }),
    });
    d.checkpointer.committed(ops.length);
    this.#doneAt = d.now();
  }
}
