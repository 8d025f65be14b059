import { DhcpEncodeError, encodeMessage } from '../protocol/index.ts';
import type { OutgoingReply } from './types.ts';

/** What a reply keeps when even option overload cannot fit it into the client's maximum size. */
const ESSENTIAL = new Set([1, 3, 51, 53, 54, 56, 58, 59, 61, 82]);

/**
 * Encodes a reply within the client's maximum message size (option 57): the codec overloads sname/file
 * when needed (RFC 2132 §9.3); if it still does not fit, the configured extras are dropped and the
 * essentials kept.
 */
export function encodeReply(reply: OutgoingReply): Buffer {
  try {
    return encodeMessage(reply.message, { maxSize: reply.maxSize });
  } catch (err) {
    if (!(err instanceof DhcpEncodeError)) throw err;
    const slim = { ...reply.message, options: reply.message.options.clone() };
    for (const code of slim.options.codes()) if (!ESSENTIAL.has(code)) slim.options.delete(code);
    return encodeMessage(slim, { maxSize: reply.maxSize });
  }
}
