import { API_NAME, type RequestEvent, type ServerMessage } from '../../control/websocket/protocol.ts';

export type MessageHandler = (message: ServerMessage) => void;
export type StatusHandler = (status: 'connecting' | 'live' | 'offline') => void;

/**
 * The dashboard's one connection to the WebSocket API. Reconnects with backoff (1 s doubling to 15 s) and
 * asks for the whole `state` on every (re)connect, which also subscribes it to pushes.
 */
export class ApiSocket {
  #ws: WebSocket | undefined;
  #delay = 1000;
  readonly #url: string;
  readonly #onMessage: MessageHandler;
  readonly #onStatus: StatusHandler;

  constructor(url: string, onMessage: MessageHandler, onStatus: StatusHandler) {
    this.#url = url;
    this.#onMessage = onMessage;
    this.#onStatus = onStatus;
    this.#connect();
  }

  send(event: RequestEvent, body?: unknown): boolean {
    if (this.#ws === undefined || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(
      JSON.stringify(body === undefined ? { name: API_NAME, event } : { name: API_NAME, event, body }),
    );
    return true;
  }

  #connect(): void {
    this.#onStatus('connecting');
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#delay = 1000;
      this.#onStatus('live');
      this.send('state');
    });
    ws.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      let m: unknown;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (typeof m === 'object' && m !== null && (m as { name?: unknown }).name === API_NAME)
        this.#onMessage(m as ServerMessage);
    });
    ws.addEventListener('close', () => {
      this.#onStatus('offline');
      setTimeout(() => this.#connect(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, 15_000);
    });
  }
}

/** `ws://host/ws` (or wss) for the page's own origin; the path comes from the page's meta tag. */
export function apiUrl(): string {
  const meta = document.querySelector('meta[name="leasekeeper-ws"]');
  const path = meta?.getAttribute('content') ?? '/ws';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}
