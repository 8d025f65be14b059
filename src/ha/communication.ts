import type { DhcpMessage } from '../protocol/index.ts';
import { identify } from '../server/identity.ts';
import type { PartnerState } from './states.ts';

/** Tracked clients are capped: an attacker spraying MACs must not grow memory without bound. */
const MAX_CONNECTING_CLIENTS = 10_000;

export interface CommunicationSettings {
  readonly maxResponseDelay: number;
  readonly maxAckDelay: number;
  readonly maxUnackedClients: number;
}

/**
 * What this server knows of its partner and Kea's failure detection (the HA chapter of Kea's ARM,
 * "Scope Transition in a Partner-Down Case"): the partner is interrupted once nothing answered for
 * `max-response-delay`; it is down once, in addition, more than `max-unacked-clients` clients that it should
 * serve have been trying for longer than `max-ack-delay` (their `secs` field says so).
 */
export class PartnerCommunication {
  readonly #s: CommunicationSettings;
  readonly #clock: () => number;
  #state: PartnerState = 'unknown';
  #scopes: readonly string[] = [];
  #lastPokeAt: number;
  #lastStateAt: number | undefined;
  /** key: `hw|client-id` -> unacked. */
  readonly #connecting = new Map<string, boolean>();
  #unacked = 0;
  #analyzed = 0;
  #skewMs = 0;
  /** The partner's `unsent-update-count`: previous and latest (Kea's hasPartnerNewUnsentUpdates). */
  #partnerUnsent: [number, number] = [0, 0];

  constructor(settings: CommunicationSettings, clock: () => number) {
    this.#s = settings;
    this.#clock = clock;
    this.#lastPokeAt = clock();
  }

  get state(): PartnerState {
    return this.#state;
  }

  get scopes(): readonly string[] {
    return this.#scopes;
  }

  /** Milliseconds of clock difference, partner minus us, from the last heartbeat. */
  get skewMs(): number {
    return this.#skewMs;
  }

  setState(state: PartnerState): void {
    this.#state = state;
    if (state !== 'unavailable') this.#lastStateAt = this.#clock();
  }

  setScopes(scopes: readonly string[]): void {
    this.#scopes = scopes;
  }

  /** The partner's date-time (RFC 1123, as in `ha-heartbeat`): the clock skew Kea terminates on. */
  setPartnerTime(text: string): void {
    const t = Date.parse(text);
    if (Number.isFinite(t)) this.#skewMs = t - this.#clock();
  }

  setPartnerUnsentUpdateCount(n: number): void {
    this.#partnerUnsent = [this.#partnerUnsent[1], n];
  }

  /** The partner served clients whose leases it could not send us since we last looked. */
  partnerHasNewUnsentUpdates(): boolean {
    return this.#partnerUnsent[1] > 0 && this.#partnerUnsent[0] !== this.#partnerUnsent[1];
  }

  /** The partner answered: communication is healthy, the unacked clients are forgotten. */
  poke(): void {
    this.#lastPokeAt = this.#clock();
    this.#connecting.clear();
    this.#unacked = 0;
  }

  interrupted(): boolean {
    return this.#clock() - this.#lastPokeAt > this.#s.maxResponseDelay;
  }

  /** A query for the partner's scope while it is silent: does the client look abandoned? */
  analyze(msg: DhcpMessage): void {
    this.#analyzed++;
    let secs = msg.secs;
    // Some clients send `secs` byte-swapped: a value above 255 whose low byte is 0 is taken as swapped.
    if (secs > 255 && (secs & 0xff) === 0) secs = ((secs >> 8) | (secs << 8)) & 0xffff;
    const unacked = secs * 1000 > this.#s.maxAckDelay;
    const id = identify(msg);
    const key = `${id.hwAddress}|${id.clientId ?? ''}`;
    const known = this.#connecting.get(key);
    if (known === undefined) {
      if (this.#connecting.size >= MAX_CONNECTING_CLIENTS) return;
      this.#connecting.set(key, unacked);
      if (unacked) this.#unacked++;
    } else if (!known && unacked) {
      this.#connecting.set(key, true);
      this.#unacked++;
    }
  }

  failureDetected(): boolean {
    return this.#s.maxUnackedClients === 0 || this.#unacked > this.#s.maxUnackedClients;
  }

  /** Kea's `remote` part of the HA section of `status-get` (without `role`). */
  report(): Record<string, unknown> {
    const inTouch = this.#lastStateAt !== undefined;
    const interrupted = this.interrupted();
    const left =
      interrupted && this.#s.maxUnackedClients >= this.#unacked
        ? this.#s.maxUnackedClients - this.#unacked + 1
        : 0;
    return {
      'in-touch': inTouch,
      age: inTouch ? Math.floor((this.#clock() - this.#lastPokeAt) / 1000) : 0,
      'last-state': this.#state === 'unknown' ? '' : this.#state,
      'last-scopes': [...this.#scopes],
      'communication-interrupted': interrupted,
      'connecting-clients': this.#connecting.size,
      'unacked-clients': this.#unacked,
      'unacked-clients-left': left,
      'analyzed-packets': this.#analyzed,
    };
  }
}
