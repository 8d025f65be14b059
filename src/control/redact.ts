import { isJsonObject, type JsonObject, type JsonValue } from './json.ts';

/** What a secret reads as in every answer, as Kea prints it. */
export const REDACTED = '*****';

/** `password`, `secret`, and keys ending in `-password` or `-secret` (not `password-file`: a path). */
function isSecretKey(key: string): boolean {
  return /^(?:password|secret)$|-(?:password|secret)$/.test(key);
}

/**
 * A copy of a configuration with every secret string (basic-auth passwords of the control sockets, a
 * lease-database password) replaced by "*****". Nesting is bounded by every JSON input (DEFAULT_MAX_JSON_DEPTH),
 * so the recursion is too.
 */
export function redactSecrets<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v: JsonValue) => redactSecrets(v)) as unknown as T;
  if (!isJsonObject(value)) return value;
  const out: Record<string, JsonValue> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretKey(key) && typeof v === 'string' ? REDACTED : redactSecrets(v);
  }
  return out as T;
}

/**
 * `next` with each "*****" secret put back to the value `current` has at the same place, so a
 * configuration fetched with config-get (redacted) can be sent back with config-set without wiping the
 * passwords it carried.
 */
export function restoreSecrets(next: JsonValue, current: JsonValue | undefined): JsonValue {
  if (Array.isArray(next)) {
    const cur = Array.isArray(current) ? current : [];
    return next.map((v: JsonValue, i) => restoreSecrets(v, cur[i]));
  }
  if (!isJsonObject(next)) return next;
  const cur: JsonObject = isJsonObject(current) ? current : {};
  const out: Record<string, JsonValue> = {};
  for (const [key, v] of Object.entries(next)) {
    const old = cur[key];
    out[key] = isSecretKey(key) && v === REDACTED && typeof old === 'string' ? old : restoreSecrets(v, old);
  }
  return out;
}
