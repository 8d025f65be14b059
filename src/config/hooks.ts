/**
 * Kea's `hooks-libraries`: the open-source hooks leasekeeper has built in, recognised by their file name
 * whatever their directory and configured by their Kea `parameters`. Any other library is refused by name.
 */
import { z } from 'zod';
import {
  compileBoolExpression,
  compileStringExpression,
  ExpressionError,
  type CompiledBool,
  type CompiledString,
  type ExpressionEnv,
} from '../classify/index.ts';
import { definitionByCode, optionCode } from '../protocol/index.ts';
import type { OptionDefs } from './option-defs.ts';
import { Issues, optionSet } from './scope.ts';

/** The hook libraries leasekeeper has built in; any other is refused. */
export const BUILTIN_HOOKS = [
  'libdhcp_lease_cmds.so',
  'libdhcp_stat_cmds.so',
  'libdhcp_limits.so',
  'libdhcp_flex_option.so',
  'libdhcp_run_script.so',
  'libdhcp_bootp.so',
  // Its `parameters` are compiled by high-availability.ts (compile.ts): the HA service is built in.
  'libdhcp_ha.so',
  'libdhcp_flex_id.so',
] as const;

/** The built-in hook a library path names (its file name), if any. */
export function builtinHook(library: string): (typeof BUILTIN_HOOKS)[number] | undefined {
  const file = library.slice(library.lastIndexOf('/') + 1);
  return BUILTIN_HOOKS.find((h) => h === file);
}

/** The refusal of a library that is not built in, naming it. */
export function unknownHookMessage(library: string): string {
  const file = library.slice(library.lastIndexOf('/') + 1);
  return `${JSON.stringify(file)} is not built in: only ${BUILTIN_HOOKS.join(', ')} are accepted`;
}

/** One entry of `libdhcp_flex_option.so`'s `options`, compiled. */
export interface FlexOptionAction {
  readonly code: number;
  readonly action: 'add' | 'supersede' | 'remove';
  /** `add` / `supersede`: the option's value; an empty result does nothing. */
  readonly value: CompiledString | undefined;
  /** `remove`: whether to remove the option. */
  readonly when: CompiledBool | undefined;
  /** `csv-format`: the value is Kea's text for the option's definition, not its raw bytes. */
  readonly csv: boolean;
  /** Only requests in this class are touched (Kea's `client-class`). */
  readonly clientClass: string | undefined;
}

/** What the built-in hooks add to the engine. */
export interface CompiledHooks {
  /** `libdhcp_flex_option.so`, applied in option code order (Kea keeps them in a map by code). */
  readonly flexOptions: readonly FlexOptionAction[];
  /** `libdhcp_run_script.so`: the script run on lease events. */
  readonly runScript: RunScriptSettings | undefined;
  /** `libdhcp_bootp.so`: BOOTREQUESTs (no message type) are answered, with infinite leases. */
  readonly bootp: boolean;
}

/** `libdhcp_run_script.so`'s parameters. */
export interface RunScriptSettings {
  /** The script's absolute path (Kea's `name`); run with the hook point's name as its one argument. */
  readonly name: string;
}

export const NO_HOOKS: CompiledHooks = { flexOptions: [], runScript: undefined, bootp: false };

const MAX_EXPRESSION = 4096;
const expression = z.string().max(MAX_EXPRESSION);

const flexOptionEntry = z.strictObject({
  code: z.number().int().min(0).max(255).optional(),
  name: z.string().min(1).max(128).optional(),
  space: z.literal('dhcp4').optional(),
  add: expression.optional(),
  supersede: expression.optional(),
  remove: expression.optional(),
  'csv-format': z.boolean().optional(),
  'client-class': z.string().max(128).optional(),
  'sub-options': z.array(z.unknown()).optional(),
  comment: z.string().optional(),
  'user-context': z.looseObject({}).optional(),
});

const runScriptParameters = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(4096)
    .startsWith('/', 'the script must be given by its full path (as Kea requires)'),
  sync: z
    .literal(false, 'sync: true is not supported (nor by Kea): the script runs after the reply')
    .optional(),
});

const flexOptionParameters = z.strictObject({
  options: z.array(flexOptionEntry).max(256),
});

/** Options only the engine writes: a hook changing them would contradict the lease or the exchange. */
const ENGINE_OWNED = new Set([50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82]);

interface HookJson {
  readonly library: string;
  readonly parameters?: Record<string, unknown> | undefined;
}

/** Compiles the built-in hooks' parameters (the schema has refused libraries that are not built in). */
export function compileHooks(list: readonly HookJson[] | undefined, issues: Issues): CompiledHooks {
  const flexOptions: FlexOptionAction[] = [];
  let runScript: RunScriptSettings | undefined;
  let bootp = false;
  (list ?? []).forEach((h, i) => {
    const path = `Dhcp4.hooks-libraries[${i}]`;
    const hook = builtinHook(h.library);
    if (hook === undefined) return;
    if (hook === 'libdhcp_flex_option.so')
      flexOptions.push(...flexOption(h.parameters, `${path}.parameters`, issues));
    if (hook === 'libdhcp_bootp.so') {
      // Kea's bootp hook takes no parameters.
      if (h.parameters !== undefined && Object.keys(h.parameters).length > 0)
        issues.add(`${path}.parameters`, 'libdhcp_bootp.so takes no parameters');
      bootp = true;
    }
    if (hook === 'libdhcp_run_script.so') {
      if (runScript !== undefined)
        return issues.add(`${path}.library`, 'libdhcp_run_script.so is loaded twice');
      const parsed = runScriptParameters.safeParse(h.parameters ?? {});
      if (!parsed.success) return zodIssues(parsed.error, `${path}.parameters`, issues);
      runScript = { name: parsed.data.name };
    }
  });
  // Stable: entries for one code keep their order, as in Kea's per-code lists.
  flexOptions.sort((a, b) => a.code - b.code);
  return { flexOptions, runScript, bootp };
}

function zodIssues(error: z.ZodError, path: string, issues: Issues): void {
  for (const e of error.issues)
    issues.add(
      [path, ...e.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
        .join('')
        .replace(/\.\[/g, '['),
      e.message,
    );
}

function flexOption(parameters: unknown, path: string, issues: Issues): FlexOptionAction[] {
  const parsed = flexOptionParameters.safeParse(parameters ?? {});
  if (!parsed.success) {
    zodIssues(parsed.error, path, issues);
    return [];
  }
  const env: ExpressionEnv = {
    // Flex option runs as the reply is sent, after every phase: any defined class may be named.
    isClass: () => true,
    optionCode: (name) => issues.defs.byName('dhcp4', name)?.code ?? optionCode(name),
  };
  const out: FlexOptionAction[] = [];
  parsed.data.options.forEach((o, j) => {
    const at = `${path}.options[${j}]`;
    if (o['sub-options'] !== undefined)
      return issues.add(`${at}.sub-options`, 'sub-option actions are not supported; act on the whole option');
    const actions = (['add', 'supersede', 'remove'] as const).filter((a) => o[a] !== undefined);
    if (actions.length !== 1)
      return issues.add(at, `exactly one of add, supersede, remove is needed (got ${actions.length})`);
    const action = actions[0]!;
    const code = optionCodeOf(o.code, o.name, issues.defs, at, issues);
    if (code === undefined) return;
    const csv = o['csv-format'] ?? false;
    if (csv && action === 'remove')
      return issues.add(`${at}.csv-format`, 'csv-format applies to add and supersede only');
    if (csv && issues.defs.byCode('dhcp4', code) === undefined && definitionByCode(code) === undefined)
      return issues.add(`${at}.csv-format`, `no known option with code ${code} to parse the value with`);
    const source = o[action]!;
    try {
      out.push({
        code,
        action,
        value: action === 'remove' ? undefined : compileStringExpression(source, env),
        when: action === 'remove' ? compileBoolExpression(source, env) : undefined,
        csv,
        clientClass: o['client-class'] === '' ? undefined : o['client-class'],
      });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      issues.add(`${at}.${action}`, `${JSON.stringify(source)}: ${err.message}`);
    }
  });
  return out;
}

function optionCodeOf(
  code: number | undefined,
  name: string | undefined,
  defs: OptionDefs,
  at: string,
  issues: Issues,
): number | undefined {
  const named = name === undefined ? undefined : (defs.byName('dhcp4', name)?.code ?? optionCode(name));
  if (name !== undefined && named === undefined)
    return void issues.add(`${at}.name`, `no known option "${name}"`);
  if (code !== undefined && named !== undefined && code !== named)
    return void issues.add(at, `option "${name}" is code ${named}, not ${code}`);
  const c = code ?? named;
  if (c === undefined) return void issues.add(at, "'code' or 'name' must be given");
  if (c === 0 || c === 255) return void issues.add(`${at}.code`, `option ${c} is reserved`);
  if (ENGINE_OWNED.has(c)) return void issues.add(at, `option ${c} is set by the server itself`);
  return c;
}

/**
 * Kea's text form of option `code` (`csv-format: true`) as wire bytes, by the definitions in force; undefined
 * when the text does not fit the definition.
 */
export function encodeCsvOption(code: number, text: string, defs: OptionDefs): Uint8Array | undefined {
  const issues = new Issues();
  issues.defs = defs;
  const set = optionSet([{ code, data: text, 'csv-format': true }], '', issues);
  return issues.list.length > 0 ? undefined : set.get(code)?.data;
}
