import type { CliCommand } from './command.ts';

/** Every subcommand of `leasekeeper`, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [];
