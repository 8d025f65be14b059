/**
 * Kea's flex_option hook (`libdhcp_flex_option.so`): add, supersede or remove options of a reply by
 * expressions evaluated on the request, as the reply is about to be sent (Kea's `pkt4_send`).
 */
import type { EvalPacket } from '../classify/index.ts';
import { bytesOf } from '../classify/packet.ts';
import { encodeCsvOption, type FlexOptionAction } from '../config/hooks.ts';
import type { OptionDefs } from '../config/option-defs.ts';
import type { DhcpOptions } from '../protocol/index.ts';

/** A computed value longer than this is not sent (it could not fit a reply next to the other options). */
const MAX_VALUE = 1024;

/**
 * Applies the actions in order to `reply`; returns how many failed to evaluate (an action that fails does
 * nothing, as in Kea, where the error is logged and the reply goes out).
 */
export function applyFlexOptions(
  reply: DhcpOptions,
  actions: readonly FlexOptionAction[],
  query: EvalPacket,
  defs: OptionDefs,
): number {
  let failed = 0;
  for (const a of actions) {
    if (a.clientClass !== undefined && !query.classes.has(a.clientClass)) continue;
    try {
      if (a.action === 'remove') {
        if (reply.hasCode(a.code) && a.when!.evaluate(query)) reply.delete(a.code);
        continue;
      }
      // add: only when the reply lacks the option (and then the expression is not even evaluated).
      if (a.action === 'add' && reply.hasCode(a.code)) continue;
      const value = a.value!.evaluate(query);
      if (value === '' || value.length > MAX_VALUE) continue;
      const bytes = a.csv ? encodeCsvOption(a.code, value, defs) : bytesOf(value);
      if (bytes === undefined) {
        failed++;
        continue;
      }
      reply.putShared(a.code, bytes);
    } catch {
      failed++;
    }
  }
  return failed;
}
