/** Lease hooks: the run-script hook's scripts, run on lease events. */
export { LeaseScripts } from './lease-scripts.ts';
export { ScriptRunner, type ScriptRunnerOptions } from './run-script.ts';
export { eventEnv, expireEnv, leaseEnv, queryEnv, type ScriptEnv } from './run-script-env.ts';
