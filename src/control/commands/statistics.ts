import { failure, success } from '../answer.ts';
import { fail, optionalMap } from '../args.ts';
import type { JsonValue } from '../json.ts';
import { keaTimestamp } from '../kea-time.ts';
import type { CommandRegistry } from '../registry.ts';
import type { StatSample } from '../target.ts';

/** statistic-get, -get-all, -reset, -reset-all, -remove, -remove-all (Kea's stats manager commands). */
export function registerStatisticCommands(registry: CommandRegistry): void {
  registry.register('statistic-get', async (args, ctx) => {
    const name = statName(args);
    const samples = ctx.target.statistics.get(name);
    return success(undefined, samples === undefined ? {} : { [name]: samplesToKea(samples) });
  });

  registry.register('statistic-get-all', async (_args, ctx) => {
    const stats = ctx.target.statistics;
    const all: Record<string, JsonValue> = {};
    for (const name of [...stats.names()].sort()) {
      const samples = stats.get(name);
      if (samples !== undefined) all[name] = samplesToKea(samples);
    }
    return success(undefined, all);
  });

  for (const action of ['reset', 'remove'] as const) {
    registry.register(`statistic-${action}`, async (args, ctx) => {
      const name = statName(args);
      return ctx.target.statistics[action](name)
        ? success(`Statistic '${name}' ${action === 'reset' ? 'reset' : 'removed'}.`)
        : failure(`No '${name}' statistic found`);
    });
  }

  registry.register('statistic-reset-all', async (_args, ctx) => {
    ctx.target.statistics.resetAll();
    return success('All statistics reset to neutral values.');
  });

  registry.register('statistic-remove-all', async (_args, ctx) => {
    ctx.target.statistics.removeAll();
    return success('Warning: statistic-remove-all command is deprecated. All statistics removed.');
  });
}

function statName(args: unknown): string {
  const name = optionalMap(args)['name'];
  if (name === undefined) fail("Missing mandatory 'name' parameter.");
  if (typeof name !== 'string') fail("'name' parameter expected to be a string.");
  return name;
}

/** `[[value, "2026-11-23 12:00:00.123000"], ...]`, newest first. */
export function samplesToKea(samples: readonly StatSample[]): JsonValue {
  return samples.map((s) => [s.value, keaTimestamp(s.at)]);
}
