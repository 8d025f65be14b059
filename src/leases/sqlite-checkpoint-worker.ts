import { Worker } from 'node:worker_threads';
import type { BackgroundCheckpoints, BackgroundOutcome } from './sqlite-checkpoint-schedule.ts';
import type { CheckpointReport } from './sqlite-checkpoint.ts';
import type { ConnectionOptions } from './sqlite-sql.ts';
import { threadEntry } from './sqlite-thread-entry.ts';

/**
 * For tests: how the writer thread's checkpoints are scheduled, and a gate that holds each background
 * checkpoint before it starts: `Int32Array` slot 0 counts the checkpoints that reached the gate (notified),
 * and they wait while slot 1 is 0.
 */
export interface CheckpointTesting {
  readonly targetFrames?: number;
  readonly hardFrames?: number;
  readonly stallWaitMs?: number;
  readonly gate?: SharedArrayBuffer;
}

export interface CheckpointThreadData {
  readonly connection: ConnectionOptions;
  /** `Int32Array` slot 0: 1 while a checkpoint asked for has not finished. */
  readonly busy: SharedArrayBuffer;
  readonly gate?: SharedArrayBuffer;
}

export type ToCheckpointThread = { readonly type: 'run' } | { readonly type: 'close' };

export type FromCheckpointThread =
  | { readonly type: 'done'; readonly report: CheckpointReport }
  | { readonly type: 'failed'; readonly detail: string }
  | { readonly type: 'open-failed'; readonly detail: string };

/**
 * The writer thread's handle on the checkpoint thread, which owns a connection of its own and runs a PASSIVE
 * checkpoint whenever asked (`CheckpointSchedule` decides when). A thread that could not open its connection
 * or stopped answers no more: `start` returns false and the writer checkpoints itself.
 */
export class CheckpointThread implements BackgroundCheckpoints {
  readonly #worker: Worker;
  readonly #busy: Int32Array;
  readonly #exited: Promise<void>;
  #finished: (outcome: BackgroundOutcome) => void = () => undefined;
  #alive = true;

  constructor(connection: ConnectionOptions, gate?: SharedArrayBuffer) {
    const busy = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.#busy = new Int32Array(busy);
    const data: CheckpointThreadData = { connection, busy, ...(gate === undefined ? {} : { gate }) };
    this.#worker = new Worker(threadEntry('sqlite-checkpoint-thread'), { workerData: data, execArgv: [] });
    this.#worker.on('message', (message: FromCheckpointThread) => this.#onMessage(message));
    this.#worker.on('error', (error) => this.#lost(error.message));
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        this.#lost(`exit code ${code}`);
        resolve();
      }),
    );
    // The writer thread's port keeps it alive; this thread never does.
    this.#worker.unref();
  }

  /** Where the outcome of each checkpoint goes. */
  onFinished(finished: (outcome: BackgroundOutcome) => void): void {
    this.#finished = finished;
  }

  start(): boolean {
    if (!this.#alive) return false;
    Atomics.store(this.#busy, 0, 1);
    this.#worker.postMessage({ type: 'run' } satisfies ToCheckpointThread);
    return true;
  }

  waitIdle(ms: number): boolean {
    return Atomics.wait(this.#busy, 0, 1, ms) !== 'timed-out';
  }

  /** After the checkpoint in progress, if any: closes the thread's connection and joins the thread. */
  async close(): Promise<void> {
    if (this.#alive) this.#worker.postMessage({ type: 'close' } satisfies ToCheckpointThread);
    await this.#exited;
  }

  #onMessage(message: FromCheckpointThread): void {
    if (message.type === 'open-failed') {
      this.#lost(message.detail);
      return;
    }
    this.#finished(
      message.type === 'done' ? { ok: true, report: message.report } : { ok: false, detail: message.detail },
    );
  }

  #lost(detail: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    Atomics.store(this.#busy, 0, 0);
    Atomics.notify(this.#busy, 0);
    this.#finished({ ok: false, detail: `the checkpoint thread stopped: ${detail}` });
  }
}
