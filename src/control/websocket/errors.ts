import { ControlError } from '../errors.ts';
import type { ApiErrorCode } from './protocol.ts';

/** A WebSocket request that cannot be served; answered with an `error` event carrying `code`. */
export class WebSocketRequestError extends ControlError {
  override name = 'WebSocketRequestError';
  declare readonly code: ApiErrorCode;
  /** The request's event, when it had a readable one. */
  readonly event: string | undefined;
  constructor(code: ApiErrorCode, message: string, event?: string) {
    super(code, message);
    this.event = event;
  }
}
