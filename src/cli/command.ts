import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LeasekeeperError } from '../errors.ts';

/** A `leasekeeper` subcommand: its full help text and what runs it (its summary is in registry.ts). */
export interface CliCommand {
  readonly name: string;
  readonly help: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Thrown for bad command-line input: printed as `leasekeeper: <message>` with exit code 2. */
export class UsageError extends LeasekeeperError {
  override name = 'UsageError';
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-?');
}

/** node:util's `parseArgs`; a command line it refuses is a `UsageError` with its message. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** A `parseArgs` options table of flags that each take one string value, named in the order given. */
export function stringOptions<const K extends string>(...names: readonly K[]): Record<K, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as Record<K, { type: 'string' }>;
}
