import { isValidIp, parseHexIdentifier, parseIp, toHex } from '../protocol/index.ts';
import { CommandArgumentError } from './errors.ts';
import { isJsonObject, type JsonObject } from './json.ts';

/**
 * Argument checks. Kea's hooks word their errors differently from one library to the next, so every check
 * takes the exact message to answer; the helpers only decide when it applies.
 */
export function fail(message: string): never {
  throw new CommandArgumentError(message);
}

/** The arguments map, or the given error when it is absent or not a map. */
export function requireMap(args: unknown, message: string): JsonObject {
  if (!isJsonObject(args)) fail(message);
  return args;
}

/** The arguments map, or an empty one when absent (commands whose arguments are all optional). */
export function optionalMap(args: unknown): JsonObject {
  return isJsonObject(args) ? args : {};
}

/**
 * `identifier-type` and `identifier`, of a command given no `ip-address` (Kea's lease and host commands word
 * these errors alike).
 */
export function identifierArgs(args: JsonObject): { readonly type: string; readonly value: string } {
  const type = args['identifier-type'];
  if (typeof type !== 'string')
    fail("No 'ip-address' provided and 'identifier-type' is either missing or not a string.");
  const value = args['identifier'];
  if (typeof value !== 'string')
    fail("No 'ip-address' provided and 'identifier' is either missing or not a string.");
  return { type, value };
}

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

export const isIPv4: (value: string) => boolean = isValidIp;

/** Orders dotted quads numerically; the caller has checked `isIPv4`. */
export const ipv4ToNumber: (address: string) => number = parseIp;

/**
 * Kea's hex identifiers in commands (`hw-address`, `client-id`): bytes of one or two hex digits separated by
 * colons, or a run of hex digits. Returns lower-case two-digit colon form, or undefined when malformed.
 */
export function normalizeHex(text: string): string | undefined {
  const bytes = parseHexIdentifier(text, 'colons');
  return bytes === undefined ? undefined : toHex(bytes, ':');
}
