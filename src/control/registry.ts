import { channel } from 'node:diagnostics_channel';
import { RESULT, answer, failure, type Answer } from './answer.ts';
import { CommandArgumentError } from './errors.ts';
import { isJsonObject } from './json.ts';
import type { ControlTarget } from './target.ts';

/** Minimal structured logger; a pino logger fits. */
export interface ControlLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What a command runs with; `T` is what it acts on (the server's ControlTarget, or a client). */
export interface CommandContext<T = ControlTarget> {
  readonly target: T;
  readonly registry: CommandRegistry<T>;
  /** Which listener the command came through: informational, for logs. */
  readonly via: 'unix' | 'http' | 'internal';
  /** Kea's Control Agent answers some commands itself when the request names no `service`. */
  readonly agent: boolean;
  /** Milliseconds since the epoch; the only clock the handlers read. */
  now(): number;
}

/** One handler type for every command (docs/architecture.md: one command registry). `args` is the raw `arguments`. */
export type CommandHandler<T = ControlTarget> = (args: unknown, ctx: CommandContext<T>) => Promise<Answer>;

/** Published for every command answered: `{command, result, via}`. */
export const commandChannel = channel('leasekeeper:control:command');

/** The commands Kea's Control Agent processes itself (kea-ctrl-agent 2.2, plus config-hash-get of 2.4). */
export const AGENT_COMMANDS: ReadonlySet<string> = new Set([
  'build-report',
  'config-get',
  'config-hash-get',
  'config-reload',
  'config-set',
  'config-test',
  'config-write',
  'list-commands',
  'shutdown',
  'status-get',
  'version-get',
]);

const AGENT_HINT =
  ' You did not include "service" parameter in the command, which indicates that Kea Control Agent should' +
  ' process this command rather than forward it to one or more Kea servers. If you aimed to send this' +
  ' command to one of the Kea servers you should include the "service" parameter in your request, e.g.' +
  ' "service": [ "dhcp4" ] to forward the command to the DHCPv4 server, or "service": [ "dhcp4", "dhcp6",' +
  ' "d2" ] to forward it to DHCPv4, DHCPv6 and D2 servers etc.';

export interface RegistryOptions {
  readonly logger?: ControlLogger;
  /** Appended to the answer for an unknown command (a list of what there is, say). */
  readonly unsupportedHint?: string;
}

/** Name -> handler. Transports parse the envelope and call `dispatch`; they know nothing of commands. */
export class CommandRegistry<T = ControlTarget> {
  readonly #handlers = new Map<string, CommandHandler<T>>();
  readonly #logger: ControlLogger | undefined;
  readonly #hint: string;
  #faults = 0;

  constructor(options: RegistryOptions = {}) {
    this.#logger = options.logger;
    this.#hint = options.unsupportedHint ?? '';
  }

  register(name: string, handler: CommandHandler<T>): this {
    if (this.#handlers.has(name)) throw new TypeError(`control command '${name}' registered twice`);
    this.#handlers.set(name, handler);
    return this;
  }

  /** Registered names, sorted as Kea lists them. */
  names(): string[] {
    return [...this.#handlers.keys()].sort();
  }

  /** How many handlers threw something other than an argument error. */
  get faults(): number {
    return this.#faults;
  }

  /** Validates Kea's command envelope and runs the command; never rejects. */
  async dispatch(message: unknown, ctx: Omit<CommandContext<T>, 'registry'>): Promise<Answer> {
    if (!isJsonObject(message)) {
      return failure('Error during command processing: Invalid command Element specified, expected map');
    }
    const command = message['command'];
    if (command === undefined) {
      // Kea's wording, "answer" included.
      return failure(
        "Error during command processing: Invalid answer specified, does not contain mandatory 'command'",
      );
    }
    if (typeof command !== 'string') {
      return failure("Error during command processing: 'command' element in command message is not a string");
    }
    return this.run(command, message['arguments'], ctx);
  }

  /** Runs one command by name with its raw arguments; never rejects. */
  async run(command: string, args: unknown, partial: Omit<CommandContext<T>, 'registry'>): Promise<Answer> {
    const ctx: CommandContext<T> = { ...partial, registry: this };
    const handler = this.#handlers.get(command);
    let result: Answer;
    if (handler === undefined || (ctx.agent && !AGENT_COMMANDS.has(command))) {
      result = answer(
        RESULT.unsupported,
        `'${command}' command not supported.${ctx.agent ? AGENT_HINT : this.#hint}`,
      );
    } else {
      result = await this.#invoke(command, handler, args, ctx);
    }
    if (commandChannel.hasSubscribers) {
      commandChannel.publish({ command, result: result.result, via: ctx.via });
    }
    return result;
  }

  async #invoke(
    command: string,
    handler: CommandHandler<T>,
    args: unknown,
    ctx: CommandContext<T>,
  ): Promise<Answer> {
    try {
      return await handler(args, ctx);
    } catch (err) {
      if (err instanceof CommandArgumentError) return failure(err.message);
      this.#faults += 1;
      const message = err instanceof Error ? err.message : String(err);
      this.#logger?.error({ err, command }, 'control command failed');
      return failure(message);
    }
  }
}
