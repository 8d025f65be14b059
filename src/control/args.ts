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
