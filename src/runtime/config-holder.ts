import { readFile } from 'node:fs/promises';
import {
  ConfigError,
  parseConfig,
  parseKeaJson,
  readD2File,
  toKeaJson,
  withD2Section,
} from '../config/index.ts';
import { ConfigFilePolicy, ConfigFileRefusedError, writeConfigFile } from '../control/index.ts';
import type { CompiledConfig } from '../config/index.ts';
import type { ConfigOutcome } from '../control/index.ts';
import type { JsonObject } from '../control/index.ts';

/**
 * The running configuration: the compiled one the engine uses and the Kea JSON it came from. `apply`
 * compiles first and only then hands the new config over (`onApply`), so a bad configuration leaves the
 * old one serving.
 */
export class ConfigHolder {
  #config: CompiledConfig;
  #appliedAt: number;
  readonly #file: string | undefined;
  readonly #ddnsFile: string | undefined;
  readonly #policy: ConfigFilePolicy | undefined;
  readonly #onApply: (config: CompiledConfig) => void;
  readonly #clock: () => number;

  constructor(opts: {
    config: CompiledConfig;
    file: string | undefined;
    /** Kea D2's file, read beside `file` (its `DhcpDdns` section). */
    ddnsFile?: string | undefined;
    onApply: (config: CompiledConfig) => void;
    clock: () => number;
    /** Files config-write must never replace (lease database, control sockets). */
    protectedPaths?: () => readonly string[];
  }) {
    this.#config = opts.config;
    this.#file = opts.file;
    this.#ddnsFile = opts.ddnsFile;
    this.#policy =
      opts.file === undefined
        ? undefined
        : new ConfigFilePolicy({
            configFile: opts.file,
            ...(opts.protectedPaths === undefined ? {} : { protectedPaths: opts.protectedPaths }),
          });
    this.#onApply = opts.onApply;
    this.#clock = opts.clock;
    this.#appliedAt = opts.clock();
  }

  get current(): CompiledConfig {
    return this.#config;
  }

  /** When the configuration was last applied (ms). */
  get appliedAt(): number {
    return this.#appliedAt;
  }

  get file(): string | undefined {
    return this.#file;
  }

  /** `{"Dhcp4": {...}}` of the running configuration (a copy). */
  json(): JsonObject {
    return toKeaJson(this.#config) as unknown as JsonObject;
  }

  test(json: unknown): ConfigOutcome {
    const r = parseConfig(json);
    return r.ok ? { ok: true } : { ok: false, error: r.error.message };
  }

  apply(json: unknown): ConfigOutcome {
    const r = parseConfig(json);
    if (!r.ok) return { ok: false, error: r.error.message };
    this.#onApply(r.config);
    this.#config = r.config;
    this.#appliedAt = this.#clock();
    return { ok: true };
  }

  async write(filename: string | undefined): Promise<{ filename: string; size: number }> {
    if (this.#policy === undefined)
      throw new ConfigFileRefusedError(
        'Unable to determine filename: the configuration was not loaded from a file, and files are only written next to it',
      );
    const target = await this.#policy.writablePath(filename);
    // With a D2 file its section stays there: written here it would clash with it at the next reload.
    const { DhcpDdns: inD2File, ...dhcp4 } = this.json();
    const json = this.#ddnsFile === undefined ? { ...dhcp4, DhcpDdns: inD2File } : dhcp4;
    const size = await writeConfigFile(target, `${JSON.stringify(json, null, 2)}\n`);
    return { filename: target, size };
  }

  async reload(): Promise<ConfigOutcome> {
    if (this.#file === undefined || this.#policy === undefined)
      return { ok: false, error: 'the configuration was not loaded from a file' };
    let text: string;
    try {
      text = await readFile(await this.#policy.readablePath(), 'utf8');
    } catch (err) {
      return { ok: false, error: `${this.#file}: ${err instanceof Error ? err.message : String(err)}` };
    }
    // The same reading as `serve --config`: Kea's comments and trailing commas are accepted.
    let json: unknown;
    try {
      json = parseKeaJson(text, undefined, { file: this.#file });
      if (this.#ddnsFile !== undefined)
        json = withD2Section(json, readD2File(this.#ddnsFile), { main: this.#file, d2: this.#ddnsFile });
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, error: err.message };
      return { ok: false, error: `${this.#file}: ${err instanceof Error ? err.message : String(err)}` };
    }
    return this.apply(json);
  }
}
