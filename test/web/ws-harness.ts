/**
 * The WebSocket API against a ControlTarget whose configuration is a real Kea `Dhcp4` document (compiled by
 * parseConfig on every set, as the runtime's ConfigHolder does) and whose leases are a MemoryLeaseStore.
 */
import WebSocket from 'ws';
import { parseConfig } from '../../src/config/index.ts';
import type { HttpControlServer } from '../../src/control/http-server.ts';
import type { JsonObject } from '../../src/control/json.ts';
import type { ConfigOutcome } from '../../src/control/target.ts';
import type { BasicAuthSettings } from '../../src/control/auth.ts';
import { mountWebSocketApi, type WebSocketApi } from '../../src/control/websocket/index.ts';
import type { Lease } from '../../src/leases/lease.ts';
import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { FakeTarget } from '../control/fake-target.ts';
import { listenHttp } from '../control/helpers.ts';

export const KEA_CONFIG: JsonObject = {
  Dhcp4: {
    'valid-lifetime': 120,
    'option-data': [{ name: 'host-name', data: 'yo-dhcp-server-here' }],
    subnet4: [
      {
        id: 1,
        subnet: '192.168.1.0/24',
        pools: [{ pool: '192.168.1.100 - 192.168.1.200' }],
        'renew-timer': 60,
        'option-data': [
          { name: 'routers', data: '192.168.1.1' },
          { name: 'domain-name-servers', data: '192.168.1.1, 1.1.1.1' },
          { name: 'dhcp-server-identifier', data: '192.168.1.9' },
          { name: 'domain-name', data: 'lan' },
        ],
      },
    ],
  },
};

/** FakeTarget with Kea semantics for the configuration: set compiles, a bad document is refused. */
export class KeaTarget extends FakeTarget<MemoryLeaseStore> {
  override configJson: JsonObject = structuredClone(KEA_CONFIG);
  override readonly config = {
    get: async (): Promise<JsonObject> => structuredClone(this.configJson),
    test: async (c: JsonObject): Promise<ConfigOutcome> => outcome(c),
    set: async (c: JsonObject): Promise<ConfigOutcome> => {
      const o = outcome(c);
      if (o.ok) this.configJson = structuredClone(c);
      return o;
    },
    write: async () => ({ filename: 'leasekeeper.json', size: 0 }),
    reload: async (): Promise<ConfigOutcome> => ({ ok: true }),
  };
}

function outcome(c: JsonObject): ConfigOutcome {
  const r = parseConfig(c);
  return r.ok ? { ok: true } : { ok: false, error: r.error.message };
}

export interface WsServer {
  readonly store: MemoryLeaseStore;
  readonly target: KeaTarget;
  readonly http: HttpControlServer;
  readonly api: WebSocketApi;
  readonly wsUrl: string;
  close(): Promise<void>;
}

export async function startWsServer(
  opts: {
    auth?: BasicAuthSettings;
    maxPayload?: number;
    clock?: () => number;
    pause?: () => Promise<void>;
  } = {},
): Promise<WsServer> {
  const store = new MemoryLeaseStore();
  const target = new KeaTarget(store);
  const http = await listenHttp({ target, ...(opts.auth === undefined ? {} : { auth: opts.auth }) });
  const api = mountWebSocketApi({
    http,
    target,
    store,
    ...(opts.maxPayload === undefined ? {} : { maxPayload: opts.maxPayload }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.pause === undefined ? {} : { pause: opts.pause }),
  });
  return {
    store,
    target,
    http,
    api,
    wsUrl: `ws://127.0.0.1:${http.port}/ws`,
    close: async () => {
      await api.close();
      await http.close();
      await store.close();
    },
  };
}

export type Received = { name: unknown; event: unknown; body: unknown; [k: string]: unknown };

/** A `ws` client that queues what it receives and lets a test wait for the next message of an event. */
export class TestClient {
  readonly messages: Received[] = [];
  #waiters: { match: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];
  #read = 0;

  readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Received;
      this.messages.push(m);
      for (const w of [...this.#waiters]) {
        if (w.match(m)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m);
          return;
        }
      }
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (received or to come) after those already taken, matching `match`. */
  next(match: (m: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    for (let i = this.#read; i < this.messages.length; i++) {
      const m = this.messages[i]!;
      if (match(m)) {
        this.#read = i + 1;
        return Promise.resolve(m);
      }
    }
    return new Promise<Received>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching message arrived')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.#read = this.messages.length;
          resolve(m);
        },
      });
    });
  }

  /** Sends `{name, event, body}` and waits for the next message with `replyEvent`. */
  async request(event: string, body?: unknown, replyEvent = event): Promise<Received> {
    this.send({ name: '/dhcp/server/v1', event, ...(body === undefined ? {} : { body }) });
    return this.next((m) => m.event === replyEvent || m.event === 'error');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export function lease(address: string, mac: string, over: Partial<Lease> = {}): Lease {
  const cltt = over.cltt ?? Date.parse('2022-12-28T00:44:23.700Z');
  const validLifetime = over.validLifetime ?? 120;
  return {
    address,
    hwAddress: mac,
    clientId: null,
    subnetId: 1,
    validLifetime,
    cltt,
    expiresAt: cltt + validLifetime * 1000,
    hostname: null,
    state: 'default',
    userContext: null,
    ...over,
  };
}
