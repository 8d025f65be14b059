import { jsonDepthError } from '../../config/index.ts';
import { WebSocketRequestError } from './errors.ts';
import { API_NAME, REQUEST_EVENTS, isRequestEvent, type RequestMessage } from './protocol.ts';

/** Parses one text frame into a request, or throws WebSocketRequestError saying what is wrong with it. */
export function parseRequest(text: string): RequestMessage {
  const deep = jsonDepthError(text);
  if (deep !== undefined)
    throw new WebSocketRequestError('ERR_WS_BAD_JSON', `the message is refused: ${deep}`);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (err) {
    throw new WebSocketRequestError(
      'ERR_WS_BAD_JSON',
      `the message is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new WebSocketRequestError(
      'ERR_WS_BAD_MESSAGE',
      `a message is a JSON object {"name": "${API_NAME}", "event": ..., "body"?: ...}`,
    );
  }
  const m = message as Record<string, unknown>;
  const event = typeof m['event'] === 'string' ? m['event'] : undefined;
  if (m['name'] !== API_NAME) {
    throw new WebSocketRequestError(
      'ERR_WS_UNKNOWN_NAME',
      `unknown name ${JSON.stringify(m['name'] ?? null)}: this server speaks "${API_NAME}"`,
      event,
    );
  }
  if (!isRequestEvent(m['event'])) {
    throw new WebSocketRequestError(
      'ERR_WS_UNKNOWN_EVENT',
      `unknown event ${JSON.stringify(m['event'] ?? null)}: expected one of ${REQUEST_EVENTS.join(', ')}`,
      event,
    );
  }
  return { name: API_NAME, event: m['event'], body: m['body'] };
}
