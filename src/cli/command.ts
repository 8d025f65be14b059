/** A `leasekeeper` subcommand: its full help text and what runs it (its summary is in registry.ts). */
export interface CliCommand {
  readonly name: string;
  readonly help: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Thrown for bad command-line input: printed as `leasekeeper: <message>` with exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  override name = 'UsageError';
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-?');
}
