import type { CliCommand } from './command.ts';
import { decodeCommand } from './decode.ts';
import { demoCommand } from './demo.ts';
import { ctlCommand } from './ctl.ts';
import { clientCommand } from './client.ts';
import { serveCommand } from './serve.ts';

/** Every subcommand of `leasekeeper`, in the order `--help` lists them. */
export const commands: readonly CliCommand[] = [
  serveCommand,
  clientCommand,
  ctlCommand,
  decodeCommand,
  demoCommand,
];
