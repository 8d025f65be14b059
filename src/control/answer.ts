import type { JsonValue } from './json.ts';

/** Kea's result codes (ctrl-channel.rst, "Data Syntax"). */
export const RESULT = {
  success: 0,
  error: 1,
  unsupported: 2,
  empty: 3,
  conflict: 4,
  /** Kea's HA hook: `ha-maintenance-notify` refused in the server's state (HA_CONTROL_RESULT_MAINTENANCE_NOT_ALLOWED). */
  haMaintenanceNotAllowed: 1001,
} as const;

export type ResultCode = (typeof RESULT)[keyof typeof RESULT];

/** Kea's answer envelope: `{"arguments", "result", "text"}`; `arguments` and `text` are optional. */
export interface Answer {
  readonly arguments?: JsonValue;
  readonly result: ResultCode;
  readonly text?: string;
}

/** Builds an answer with keys in Kea's (alphabetical) order, leaving out what is undefined. */
export function answer(result: ResultCode, text?: string, args?: JsonValue): Answer {
  return {
    ...(args === undefined ? {} : { arguments: args }),
    result,
    ...(text === undefined ? {} : { text }),
  };
}

export const success = (text?: string, args?: JsonValue): Answer => answer(RESULT.success, text, args);
export const failure = (text: string, args?: JsonValue): Answer => answer(RESULT.error, text, args);
export const empty = (text: string, args?: JsonValue): Answer => answer(RESULT.empty, text, args);
