import type { Checkpointing } from './sqlite-checkpoint-schedule.ts';
import type { FromWriter, OpResult, WireError } from './sqlite-writer-protocol.ts';

/** What the writer thread's batch loop needs: kept apart from the thread so that its order can be tested. */
export interface WriterLoopDeps {
  /** Runs the batch in one transaction; each operation's answer once it is durable. Throws the batch's error. */
  readonly run: (ops: readonly unknown[], wantRemoved: boolean) => OpResult[];
  /** The batch's error as plain data. */
  readonly toWire: (error: unknown) => WireError;
  readonly post: (message: FromWriter) => void;
  readonly checkpointer: Checkpointing;
  readonly now: () => number;
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

  constructor(deps: WriterLoopDeps) {
    this.#deps = deps;
  }

  batch(id: number, ops: readonly unknown[], wantRemoved: boolean): void {
    const d = this.#deps;
    const started = d.now();
    let results: OpResult[];
    try {
      results = d.run(ops, wantRemoved);
    } catch (error) {
      d.post({ type: 'failed', id, error: d.toWire(error) });
      return;
    }
    const checkpoint = d.checkpointer.takeReport();
    d.post({
      type: 'committed',
      id,
      results,
      txMs: d.now() - started,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
    d.checkpointer.committed(ops.length);
  }
}
