/** Kea's built-in class names (ARM "Built-in Client Classes"). */

export const ALL = 'ALL';
export const KNOWN = 'KNOWN';
export const UNKNOWN = 'UNKNOWN';
export const BOOTP = 'BOOTP';
/** A packet in this class is dropped unanswered (Kea 1.9.8+). */
export const DROP = 'DROP';
/** Followed by the content of option 60. */
export const VENDOR_CLASS_PREFIX = 'VENDOR_CLASS_';

const PREFIXES = [VENDOR_CLASS_PREFIX, 'AFTER_', 'EXTERNAL_', 'SPAWN_'];
const NAMES = new Set([ALL, KNOWN, UNKNOWN, BOOTP, DROP]);

/** Whether `member('name')` may name it without a definition before it. */
export function isBuiltinClass(name: string): boolean {
  return NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p));
}
