/** The WebSocket API on the management HTTP listener; see docs/websocket.md. */
export {
  mountWebSocketApi,
  DEFAULT_WS_PATH,
  DEFAULT_MAX_PAYLOAD,
  type WebSocketApi,
  type WebSocketApiOptions,
} from './mount.ts';
export { WebSocketRequestError } from './errors.ts';
export { clientState, seedMac, toClientJson } from './clients.ts';
export { readOptions, serverIdentifier, type ServerAddress } from './options-read.ts';
export { validateOptions, prefixOfMask } from './options-validate.ts';
export { applyOptions, fieldErrorsOfConfig } from './options-apply.ts';
export * from './protocol.ts';
export { API_NAME, OPTIONS_FIELDS } from './protocol.ts';
export type {
  ClientJson,
  FieldError,
  OptionsField,
  OptionsJson,
  OptionsOutcome,
  RequestEvent,
  ServerMessage,
} from './protocol.ts';
