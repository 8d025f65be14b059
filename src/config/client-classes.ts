/** Kea's `client-classes`, and the class gates of subnets and pools (ARM "Client Classification"). */
import { compileBoolExpression, ExpressionError, type CompiledBool } from '../classify/index.ts';
import { isBuiltinClass } from '../classify/index.ts';
import type { ClientClassJson, PoolJson, SubnetJson } from './schema.ts';
import { address, optionSet, type Issues } from './scope.ts';
import { compileOptionDefs, isStandardOption } from './option-defs.ts';
import { clientLimits, NO_LIMITS } from './limits.ts';
import type { ClassGate, CompiledClientClass } from './types.ts';

/** Built-in classes a configuration may not define itself (Kea refuses them too). */
const RESERVED = new Set(['ALL', 'KNOWN', 'UNKNOWN', 'BOOTP']);

function validLifetime(
  c: ClientClassJson,
  path: string,
  issues: Issues,
): CompiledClientClass['validLifetime'] {
  const valid = c['valid-lifetime'];
  const min = c['min-valid-lifetime'];
  const max = c['max-valid-lifetime'];
  if (valid === undefined && min === undefined && max === undefined) return undefined;
  const v = valid ?? min ?? max ?? 0;
  const out = { valid: v, min: min ?? Math.min(v, max ?? v), max: max ?? Math.max(v, min ?? v) };
  if (out.min > out.valid)
    issues.add(`${path}.min-valid-lifetime`, `${out.min} is above valid-lifetime ${v}`);
  if (out.max < out.valid)
    issues.add(`${path}.max-valid-lifetime`, `${out.max} is below valid-lifetime ${v}`);
  return out;
}

/**
 * A class's `user-context.limits`: Kea's limits hook gives classes `rate-limit` (here per client in the
 * class, as for subnets). `leases-per-hw-address` is a subnet limit: refused on a class.
 */
function classRateLimit(c: ClientClassJson, path: string, issues: Issues): CompiledClientClass['rateLimit'] {
  const context = c['user-context'] as Readonly<Record<string, unknown>> | undefined;
  const at = `${path}.user-context`;
  const limits = clientLimits(context, at, NO_LIMITS, (p, m) => issues.add(p, m));
  if (limits.leasesPerHwAddress !== undefined)
    issues.add(`${at}.limits.leases-per-hw-address`, 'is a subnet limit; a class has only rate-limit');
  return limits.rate;
}

/**
 * Compiles the classes in order. A test may name (`member`) only built-in classes and classes defined
 * before it, as Kea's parser requires, so there are no dependency loops.
 */
export function compileClientClasses(
  list: readonly ClientClassJson[] | undefined,
  issues: Issues,
): CompiledClientClass[] {
  const out: CompiledClientClass[] = [];
  const byName = new Map<string, CompiledClientClass>();
  (list ?? []).forEach((c, i) => {
    const path = `Dhcp4.client-classes[${i}]`;
    if (RESERVED.has(c.name)) return issues.add(`${path}.name`, `"${c.name}" is a built-in class`);
    if (byName.has(c.name)) return issues.add(`${path}.name`, `class "${c.name}" is defined twice`);
    let test: CompiledBool | undefined;
    if (c.test !== undefined && c.test.trim() !== '') {
      try {
        test = compileBoolExpression(c.test, {
          isClass: (name) => isBuiltinClass(name) || byName.has(name),
          optionCode: (name) => issues.defs.byName('dhcp4', name)?.code,
        });
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        issues.add(`${path}.test`, `${JSON.stringify(c.test)}: ${err.message}`);
      }
    }
    const dependsOnKnown =
      test !== undefined &&
      test.members.some((m) => m === 'KNOWN' || m === 'UNKNOWN' || byName.get(m)?.dependsOnKnown === true);
    const compiled: CompiledClientClass = {
      name: c.name,
      test,
      dependsOnKnown,
      additionalOnly: c['only-in-additional-list'] ?? c['only-if-required'] ?? false,
      // A class may define options (Kea: 43 with the class's own vendor space) for its own option-data.
      options: optionSet(
        c['option-data'],
        path,
        issues,
        compileOptionDefs(c['option-def'], path, issues.defs, isStandardOption, issues),
      ),
      nextServer: address(c['next-server'], `${path}.next-server`, issues),
      serverHostname: c['server-hostname'],
      bootFileName: c['boot-file-name'],
      validLifetime: validLifetime(c, path, issues),
      rateLimit: classRateLimit(c, path, issues),
    };
    byName.set(c.name, compiled);
    out.push(compiled);
  });
  return out;
}

/** A subnet's or pool's `client-class` / `client-classes` and its additional classes. */
export function classGate(j: SubnetJson | PoolJson): ClassGate {
  const allowed = [
    ...(j['client-class'] === undefined || j['client-class'] === '' ? [] : [j['client-class']]),
    ...(j['client-classes'] ?? []),
  ];
  return {
    allowedClasses: allowed.length === 0 ? undefined : allowed,
    additionalClasses: [...(j['require-client-classes'] ?? []), ...(j['evaluate-additional-classes'] ?? [])],
  };
}
