import { compileStringExpression, type CompiledString } from '../classify/index.ts';
import { ExpressionError } from '../classify/index.ts';

/** Kea's flex_id hook library, whose identifier leasekeeper computes itself. */
export const FLEX_ID_HOOK = 'libdhcp_flex_id.so';

interface HookJson {
  readonly library: string;
  readonly parameters?: unknown;
}

/**
 * The `identifier-expression` of a configured `libdhcp_flex_id.so` (Kea's flex-id host identifier),
 * compiled once; undefined when the hook is not configured. Kea's `replace-client-id` (the lease keyed by
 * the flex-id instead of the client id) is refused rather than silently not done.
 */
export function flexIdExpression(
  hooks: readonly HookJson[] | undefined,
  optionCode: (name: string) => number | undefined,
  issue: (path: string, message: string) => void,
): CompiledString | undefined {
  let out: CompiledString | undefined;
  (hooks ?? []).forEach((hook, i) => {
    if (hook.library !== FLEX_ID_HOOK && !hook.library.endsWith(`/${FLEX_ID_HOOK}`)) return;
    const at = `Dhcp4.hooks-libraries[${i}].parameters`;
    const p = hook.parameters;
    if (p === null || typeof p !== 'object' || Array.isArray(p))
      return issue(at, 'needs "identifier-expression" (the flex_id hook computes the identifier from it)');
    const params = p as Record<string, unknown>;
    for (const key of Object.keys(params))
      if (!['identifier-expression', 'replace-client-id', 'ignore-iaid'].includes(key))
        issue(`${at}.${key}`, 'unknown or unsupported parameter');
    if (params['replace-client-id'] === true)
      issue(
        `${at}.replace-client-id`,
        'true is not supported: leases stay keyed by the client id and hardware address',
      );
    const source = params['identifier-expression'];
    if (typeof source !== 'string' || source === '')
      return issue(`${at}.identifier-expression`, 'required: a string expression');
    try {
      out = compileStringExpression(source, { optionCode });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      issue(`${at}.identifier-expression`, err.message);
    }
  });
  return out;
}
