/**
 * The message shapes of seed 000's WebSocket API (`{"name": "/dhcp/server/v1", "event", "body"}`), shared by
 * the server and the dashboard: nothing here may import Node.js modules.
 */

export const API_NAME = '/dhcp/server/v1';

/** Events a client may send. */
export const REQUEST_EVENTS = [
  'clients',
  'running',
  'getOptions',
  'state',
  'start',
  'stop',
  'options',
] as const;
export type RequestEvent = (typeof REQUEST_EVENTS)[number];

export function isRequestEvent(value: unknown): value is RequestEvent {
  return typeof value === 'string' && (REQUEST_EVENTS as readonly string[]).includes(value);
}

/**
 * What a lease is, in words (docs/websocket.md): a `default` lease not yet expired is BOUND, one past its
 * end but not yet reclaimed EXPIRED; `expired-reclaimed` is RELEASED when the client gave it back (the
 * engine writes those with a valid lifetime of 0), else EXPIRED; `declined` is DECLINED.
 */
export type ClientState = 'BOUND' | 'EXPIRED' | 'RELEASED' | 'DECLINED';

/** One entry of the `clients` body: the seed's six fields first, then leasekeeper's additions. */
export interface ClientJson {
  readonly address: string;
  /** The lease's valid lifetime in seconds. */
  readonly leasePeriod: number;
  /** The server identifier the client got the lease from. */
  readonly server: string;
  readonly state: ClientState;
  /** ISO 8601, from the lease's cltt. */
  readonly bindTime: string;
  /** `34-20-03-4B-AC-9B`; empty for a declined address (its owner is forgotten). */
  readonly mac: string;
  readonly hostname: string | null;
  /** ISO 8601: when the lease ends. */
  readonly expiresAt: string;
  readonly subnetId: number;
  /**
   * The client classes the lease was granted with (its user context's `ISC.client-classes`, as Kea's limits
   * hook keeps them); absent when it has none.
   */
  readonly classes?: readonly string[];
}

/** The body of the `options` event (the answer to `getOptions`). */
export interface OptionsJson {
  readonly range: readonly string[];
  readonly netmask: string;
  readonly router: readonly string[];
  readonly dns: readonly string[];
  readonly server: string;
  readonly leaseTime: number;
  readonly renewalTime: number;
  readonly rebindingTime: number;
  readonly hostname: string;
  readonly domainName: string;
}

/** The body of the `options` request (set). */
export interface OptionsInput {
  readonly ip: string;
  readonly rangeStart: string;
  readonly rangeEnd: string;
  readonly mask: string;
  /** Empty: no router option. */
  readonly gateway: string;
  readonly dns1: string;
  /** Empty: only dns1. */
  readonly dns2: string;
  readonly leasePeriod: number;
}

export type OptionsField = keyof OptionsInput;
export const OPTIONS_FIELDS: readonly OptionsField[] = [
  'ip',
  'rangeStart',
  'rangeEnd',
  'mask',
  'gateway',
  'dns1',
  'dns2',
  'leasePeriod',
];

/** Why a field failed validation; `field` null when the problem is not one field's (e.g. the body). */
export interface FieldError {
  readonly field: OptionsField | null;
  readonly message: string;
}

export const OPTIONS_SET = 'OPTIONS SET';
export const OPTIONS_FAILED_VALIDATION = 'OPTIONS FAILED VALIDATION';
export const STOP_DHCP_SERVER_FIRST = 'STOP DHCP SERVER FIRST';
export type OptionsOutcome =
  typeof OPTIONS_SET | typeof OPTIONS_FAILED_VALIDATION | typeof STOP_DHCP_SERVER_FIRST;

export interface StateJson {
  readonly running: boolean;
  readonly options: OptionsJson;
  readonly clients: readonly ClientJson[];
}

/** Codes of the `error` event. */
export type ApiErrorCode =
  | 'ERR_WS_BAD_JSON'
  | 'ERR_WS_BAD_MESSAGE'
  | 'ERR_WS_UNKNOWN_NAME'
  | 'ERR_WS_UNKNOWN_EVENT'
  | 'ERR_WS_INTERNAL';

export interface ErrorBody {
  readonly code: ApiErrorCode;
  readonly message: string;
  /** The request's event, when it had a readable one. */
  readonly event?: string;
}

interface Envelope<E extends string, B> {
  readonly name: typeof API_NAME;
  readonly event: E;
  readonly body: B;
}

export type ServerMessage =
  | Envelope<'clients', readonly ClientJson[]>
  | Envelope<'running', boolean>
  | Envelope<'options', OptionsJson>
  | (Envelope<'options', OptionsOutcome> & { readonly errors?: readonly FieldError[] })
  | Envelope<'state', StateJson>
  | Envelope<'start', true>
  | Envelope<'stop', false>
  | Envelope<'error', ErrorBody>;

export interface RequestMessage {
  readonly name: typeof API_NAME;
  readonly event: RequestEvent;
  readonly body?: unknown;
}
