/**
 * Kea's run_script hook (`libdhcp_run_script.so`): runs the configured script on lease events, with the
 * hook point's name as its one argument and Kea's variables as its whole environment. It never delays a
 * reply: events are queued once the lease is durable, at most `concurrency` scripts run at a time, a full
 * queue drops the event, a script that runs too long is killed; failures are counted and logged once per
 * interval, never once per event.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { IntervalTally, TALLY_INTERVAL_MS } from '../runtime/interval-tally.ts';
import type { ScriptEnv } from './run-script-env.ts';

export interface ScriptRunnerOptions {
  /** The script's full path. */
  readonly script: string;
  readonly logger: Logger;
  /** Scripts running at once, at most (default 4). */
  readonly concurrency?: number;
  /** Events waiting, at most; beyond it an event is dropped and counted (default 1000). */
  readonly maxQueue?: number;
  /** A script still running after this long is killed (default 30 s). */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

interface Job {
  readonly hook: string;
  readonly env: ScriptEnv;
}

export class ScriptRunner {
  readonly script: string;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #queue: Job[] = [];
  readonly #failures: IntervalTally;
  readonly #idle: (() => void)[] = [];
  #running = 0;
  #stopped = false;

  constructor(o: ScriptRunnerOptions) {
    this.script = o.script;
    this.#logger = o.logger;
    this.#concurrency = o.concurrency ?? 4;
    this.#maxQueue = o.maxQueue ?? 1000;
    this.#timeoutMs = o.timeoutMs ?? 30_000;
    this.#failures = new IntervalTally({
      logger: o.logger,
      level: 'warn',
      intervalMs: o.intervalMs ?? TALLY_INTERVAL_MS,
      what: `run_script failures (${o.script})`,
    });
  }

  /** Queues one run; returns at once. */
  run(hook: string, env: ScriptEnv): void {
    if (this.#stopped) return;
    if (this.#queue.length >= this.#maxQueue) {
      this.#failures.count('events dropped (queue full)');
      return;
    }
    this.#queue.push({ hook, env });
    this.#next();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Runs nothing more; scripts already running finish. Writes the pending failure counts. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#failures.flush();
  }

  #next(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      this.#start(job, () => {
        this.#running--;
        this.#next();
        if (this.#running === 0 && this.#queue.length === 0)
          for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  #start(job: Job, done: () => void): void {
    let killed = false;
    const child = spawn(this.script, [job.hook], { env: job.env, stdio: 'ignore', shell: false });
    // Killed, it still counts as running until it has exited: the concurrency bound holds.
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, this.#timeoutMs);
    timer.unref();
    let finished = false;
    const finish = (failure: string | undefined): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (failure !== undefined) {
        this.#failures.count(failure);
        this.#logger.debug({ hook: job.hook, script: this.script }, `run_script ${job.hook}: ${failure}`);
      }
      done();
    };
    child.once('error', (err: NodeJS.ErrnoException) => finish(`cannot run (${err.code ?? err.message})`));
    child.once('exit', (code, signal) => {
      if (killed) finish('killed after running too long');
      else if (code === 0) finish(undefined);
      else finish(signal !== null ? `ended by ${signal}` : `exit status ${code}`);
    });
  }
}
