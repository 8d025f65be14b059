import { createHash } from 'node:crypto';
import { failure, success, type Answer } from '../answer.ts';
import { fail, optionalMap } from '../args.ts';
import { DEFAULT_MAX_JSON_DEPTH, nestingMessage } from '../../config/index.ts';
import { isJsonObject, nestsDeeperThan, type JsonObject, type JsonValue } from '../json.ts';
import { redactSecrets, restoreSecrets } from '../redact.ts';
import type { CommandRegistry } from '../registry.ts';
import type { ControlTarget } from '../target.ts';

/** config-get, config-test, config-set, config-write, config-reload, config-hash-get. */
export function registerConfigCommands(registry: CommandRegistry): void {
  // Secrets never leave the server: neither in the configuration nor in an offline-guessable hash of it.
  registry.register('config-get', async (_args, ctx) =>
    success(undefined, redactSecrets(await ctx.target.config.get())),
  );

  registry.register('config-hash-get', async (_args, ctx) =>
    success(undefined, { hash: configHash(redactSecrets(await ctx.target.config.get())) }),
  );

  registry.register('config-test', async (args, ctx) => {
    const checked = await applicableConfig(args, ctx.target);
    if ('refusal' in checked) return checked.refusal;
    const outcome = await ctx.target.config.test(checked.next);
    return outcome.ok
      ? success(
          'Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.',
        )
      : failure(outcome.error);
  });

  registry.register('config-set', async (args, ctx) => {
    const checked = await applicableConfig(args, ctx.target);
    if ('refusal' in checked) return checked.refusal;
    const outcome = await ctx.target.config.set(checked.next);
    return outcome.ok ? success('Configuration successful.') : failure(outcome.error);
  });

  registry.register('config-write', async (args, ctx) => {
    const filename = optionalMap(args)['filename'];
    if (filename !== undefined && typeof filename !== 'string')
      fail("passed parameter 'filename' is not a string");
    const written = await ctx.target.config.write(filename);
    return success(`Configuration written to ${written.filename} successful`, {
      filename: written.filename,
      size: written.size,
    });
  });

  registry.register('config-reload', async (_args, ctx) => {
    const outcome = await ctx.target.config.reload();
    return outcome.ok
      ? success('Configuration successful.')
      : failure(`Config reload failed: ${outcome.error}`);
  });
}

/**
 * The configuration config-set would apply (redacted secrets restored from the running one), or its refusal
 * when it changes what is fixed at start. config-test answers through this too, so a test that passes
 * promises a set that does.
 */
async function applicableConfig(
  args: unknown,
  target: ControlTarget,
): Promise<{ readonly next: JsonObject } | { readonly refusal: Answer }> {
  const current = await target.config.get();
  const next = restoreSecrets(fullConfig(args), current) as JsonObject;
  const fixed = unappliableChange(next, current);
  if (fixed === undefined) return { next };
  return {
    refusal: failure(
      `'${fixed}' cannot be changed by config-set: the running server opened its control listeners and lease database at start and cannot apply the change; edit the configuration file and restart`,
    ),
  };
}

/** Parts of Dhcp4 opened once at start: a config-set changing them would only take effect after a restart. */
const FIXED_AT_START = [
  'control-socket',
  'control-sockets',
  'lease-database',
  'hosts-database',
  'hosts-databases',
] as const;

function unappliableChange(next: JsonObject, current: JsonObject): string | undefined {
  const a = isJsonObject(next['Dhcp4']) ? next['Dhcp4'] : {};
  const b = isJsonObject(current['Dhcp4']) ? current['Dhcp4'] : {};
  const text = (v: JsonValue | undefined): string => (v === undefined ? '' : canonicalJson(v));
  return FIXED_AT_START.find((key) => text(a[key]) !== text(b[key]));
}

function fullConfig(args: unknown): JsonObject {
  if (args === undefined) fail("Missing mandatory 'arguments' parameter.");
  if (!isJsonObject(args)) fail("'arguments' parameter expected to be a map.");
  if (args['Dhcp4'] === undefined) fail("Missing mandatory 'Dhcp4' parameter.");
  // The transports bound nesting already; this covers commands dispatched by an embedding program.
  if (nestsDeeperThan(args, DEFAULT_MAX_JSON_DEPTH)) fail(nestingMessage(DEFAULT_MAX_JSON_DEPTH));
  return args;
}

/** SHA-256 of the configuration with keys sorted, upper-case hex as Kea 2.4 prints it. */
export function configHash(config: JsonObject): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').toUpperCase();
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
