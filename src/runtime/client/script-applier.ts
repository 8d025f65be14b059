import { spawn } from 'node:child_process';
import type { ApplyRequest, ApplyResult, LeaseApplier } from './applier.ts';
import { ClientRuntimeError } from './errors.ts';

export interface ScriptApplierOptions {
  /** The script, run as `SCRIPT <event>` with udhcpc's variables added to the environment. */
  readonly script: string;
  /** Run it inside this network namespace (`ip netns exec NS`): for tests driving a namespace from outside. */
  readonly netns?: string;
  /** A script still running after this long is killed (default 60 s; udhcpc waits forever). */
  readonly timeoutMs?: number;
  /** Base environment (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** udhcpc's `-s SCRIPT`: one run per event, awaited, so events reach the script in order. */
export class ScriptApplier implements LeaseApplier {
  readonly #o: ScriptApplierOptions;

  constructor(options: ScriptApplierOptions) {
    this.#o = options;
  }

  apply(req: ApplyRequest): Promise<ApplyResult> {
    const { script, netns } = this.#o;
    const [cmd, args] =
      netns === undefined ? [script, [req.event]] : ['ip', ['netns', 'exec', netns, script, req.event]];
    const timeoutMs = this.#o.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        env: { ...(this.#o.env ?? process.env), ...req.env },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(
          new ClientRuntimeError('ERR_CLIENT_SCRIPT', `cannot run ${script}: ${err.message}`, { cause: err }),
        );
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (signal !== null && code === null) {
          reject(new ClientRuntimeError('ERR_CLIENT_SCRIPT', `${script} ${req.event} killed by ${signal}`));
        } else {
          resolve({ exitCode: code });
        }
      });
    });
  }
}
