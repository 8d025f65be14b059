import { empty, failure, success } from '../answer.ts';
import { fail, requireMap } from '../args.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { CommandRegistry } from '../registry.ts';
import type { ControlTarget } from '../target.ts';

/**
 * class-add/-get/-list/-update/-del in the shape of Kea's class_cmds hook. Classes live in the
 * configuration (`Dhcp4.client-classes`): every change goes through config-set, so a class is checked
 * (its test parsed, its options encoded) exactly like one in a configuration file.
 */
export function registerClassCommands(registry: CommandRegistry): void {
  registry.register('class-add', async (args, ctx) => {
    const c = receivedClass('class-add', args);
    const { config, classes } = await current(ctx.target);
    if (classes.some((x) => x['name'] === c['name']))
      return failure(`Class '${String(c['name'])}' already exists`);
    const outcome = await apply(ctx.target, config, [...classes, c]);
    return outcome ?? success(`Class '${String(c['name'])}' added`);
  });

  registry.register('class-update', async (args, ctx) => {
    const c = receivedClass('class-update', args);
    const { config, classes } = await current(ctx.target);
    const at = classes.findIndex((x) => x['name'] === c['name']);
    if (at < 0) return empty(`Class '${String(c['name'])}' is not found`);
    const outcome = await apply(
      ctx.target,
      config,
      classes.map((x, i) => (i === at ? c : x)),
    );
    return outcome ?? success(`Class '${String(c['name'])}' updated`);
  });

  registry.register('class-get', async (args, ctx) => {
    const name = nameArgument('class-get', args);
    const found = (await current(ctx.target)).classes.find((x) => x['name'] === name);
    return found === undefined
      ? empty(`Class '${name}' not found`)
      : success(`Class '${name}' definition returned`, { 'client-classes': [found] });
  });

  registry.register('class-list', async (_args, ctx) => {
    const names = (await current(ctx.target)).classes.map((x) => ({ name: x['name'] ?? '' }));
    const text = `${names.length} class${names.length === 1 ? '' : 'es'} found`;
    return names.length === 0
      ? empty(text, { 'client-classes': [] })
      : success(text, { 'client-classes': names });
  });

  registry.register('class-del', async (args, ctx) => {
    const name = nameArgument('class-del', args);
    const { config, classes } = await current(ctx.target);
    if (!classes.some((x) => x['name'] === name)) return empty(`Class '${name}' not found`);
    const user = classes.find((x) => typeof x['test'] === 'string' && mentions(x['test'], name));
    if (user !== undefined) return failure(`Class '${name}' is used by class '${String(user['name'])}'`);
    const outcome = await apply(
      ctx.target,
      config,
      classes.filter((x) => x['name'] !== name),
    );
    return outcome ?? success(`Class '${name}' deleted`);
  });
}

function mentions(test: string, name: string): boolean {
  return test.includes(`member('${name}')`);
}

/** Kea's checks: exactly one argument, `client-classes`, a list of exactly one class with a name. */
function receivedClass(command: string, args: unknown): JsonObject {
  const map = requireMap(args, `no arguments specified for the '${command}' command`);
  const keys = Object.keys(map);
  if (keys.length !== 1)
    fail(
      `invalid number of arguments ${keys.length} for the '${command}' command. Expecting 'client-classes' list`,
    );
  const list = map['client-classes'];
  if (list === undefined) fail(`missing 'client-classes' argument for the '${command}' command`);
  if (!Array.isArray(list))
    fail(`'client-classes' argument specified for the '${command}' command is not a list`);
  if (list.length !== 1)
    fail(`invalid number of classes specified for the '${command}' command. Expected one class`);
  const c = list[0];
  if (!isJsonObject(c)) fail(`invalid class definition specified for the '${command}' command`);
  if (typeof c['name'] !== 'string')
    fail("the first class definition is missing a mandatory 'name' parameter");
  return c;
}

function nameArgument(command: string, args: unknown): string {
  const map = requireMap(args, `no arguments specified for the '${command}' command`);
  const keys = Object.keys(map);
  if (keys.length !== 1)
    fail(`invalid number of arguments ${keys.length} for the '${command}' command. Expecting 'name' string`);
  const name = map['name'];
  if (name === undefined) fail(`missing 'name' argument for the '${command}' command`);
  if (typeof name !== 'string')
    fail(`'name' argument specified for the '${command}' command is not a string`);
  return name;
}

async function current(target: ControlTarget): Promise<{ config: JsonObject; classes: JsonObject[] }> {
  const config = structuredClone(await target.config.get());
  const dhcp4 = config['Dhcp4'];
  const list = isJsonObject(dhcp4) ? dhcp4['client-classes'] : undefined;
  return { config, classes: Array.isArray(list) ? list.filter(isJsonObject) : [] };
}

/** Applies the configuration with `classes`; the refusal's answer when config-set refuses it. */
async function apply(
  target: ControlTarget,
  config: JsonObject,
  classes: JsonObject[],
): Promise<ReturnType<typeof failure> | undefined> {
  const dhcp4 = config['Dhcp4'];
  if (!isJsonObject(dhcp4)) return failure('the configuration has no Dhcp4 map');
  const next: JsonObject = { ...config, Dhcp4: { ...dhcp4, 'client-classes': classes as JsonValue[] } };
  const outcome = await target.config.set(next);
  return outcome.ok ? undefined : failure(outcome.error);
}
