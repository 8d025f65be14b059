import type { CheckpointReport } from './sqlite-checkpoint.ts';
import type { FromWriter, OpResult, WireError } from './sqlite-writer-protocol.ts';

/** What the writer thread's batch loop needs: kept apart from the thread so that its order can be tested. */
export interface WriterLoopDeps {
  /** Runs the batch in one transaction; each operation's answer once it is durable. Throws the batch's error. */
  readonly run: (ops: readonly unknown[], wantRemoved: boolean) => OpResult[];
  /** The batch's error as plain data. */
  readonly toWire: (error: unknown) => WireError;
  readonly post: (message: FromWriter) => void;
  readonly checkpointer: {
    committed(writes: number): void;
    due(): boolean;
    run(): CheckpointReport;
  };
  readonly now: () => number;
}

/**
 * The writer thread's answer to each batch: run it, report it, and only then, if the WAL is due, checkpoint.
 * The report goes out before the checkpoint starts, so the writes of the batch (an ACK's lease among them)
 * never wait for it; a checkpoint can hold only the next batch, and only for as long as a small one takes.
 * Its figures travel with the next batch's report (traces).
 */
export class WriterLoop {
  readonly #deps: WriterLoopDeps;
  #lastCheckpoint: CheckpointReport | undefined;

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
    const checkpoint = this.#lastCheckpoint;
    this.#lastCheckpoint = undefined;
    d.post({
      type: 'committed',
      id,
      results,
      txMs: d.now() - started,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
    d.checkpointer.committed(ops.length);
    if (!d.checkpointer.due()) return;
    try {
      this.#lastCheckpoint = d.checkpointer.run();
    } catch {
      // A full disk or an I/O error: the next write meets it (and the space guard acts on it); the next
      // checkpoint tries again.
    }
  }
}
