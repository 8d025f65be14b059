import type { Lease } from '../../leases/index.ts';
import type { Step } from './lease-batches.ts';
import { API_NAME, type ClientJson } from './protocol.ts';

/**
 * Leases rendered per slice: at about 2 us a lease (bench/websocket-clients.ts), a slice holds the event loop
 * 2-5 ms, and DHCP packets are answered between slices.
 */
export const LEASES_PER_SLICE = 1000;
/** Bytes copied per slice when the pieces are joined into one message (memcpy, well under a millisecond). */
const BYTES_PER_SLICE = 4 * 1024 * 1024;

/** Thrown out of a build nobody waits for any more (every socket closed): the rest of it is not done. */
export class BuildAbandoned extends Error {
  constructor() {
    super('the clients list is no longer wanted');
  }
}

/** Yields to the event loop: I/O callbacks (DHCP packets) run before the next slice. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const CLIENTS_HEAD = `{"name":${JSON.stringify(API_NAME)},"event":"clients","body":[`;
const CLIENTS_TAIL = ']}';

/**
 * The `clients` message, UTF-8, byte for byte `JSON.stringify({ name, event: 'clients', body })`, rendered
 * batch by batch with `step` between batches; the pieces are joined into one buffer, also in slices.
 */
export async function buildClientsMessage(
  batches: AsyncIterable<readonly Lease[]>,
  render: (lease: Lease) => ClientJson,
  step: Step,
): Promise<Buffer> {
  const pieces = [Buffer.from(CLIENTS_HEAD)];
  let first = true;
  for await (const leases of batches) {
    if (leases.length === 0) continue;
    const text = JSON.stringify(leases.map(render));
    pieces.push(Buffer.from(`${first ? '' : ','}${text.slice(1, -1)}`));
    first = false;
    await step();
  }
  pieces.push(Buffer.from(CLIENTS_TAIL));
  return joinPieces(pieces, step);
}

/**
 * The `state` answer around a built `clients` message: its clients array is copied, not rendered again.
 * `head` is the message up to the clients array, as JSON.stringify writes it.
 */
export function stateMessage(head: string, clients: Buffer, step: Step): Promise<Buffer> {
  const array = clients.subarray(CLIENTS_HEAD_BYTES - 1, clients.length - 1);
  return joinPieces([Buffer.from(head), array, Buffer.from('}}')], step);
}

const CLIENTS_HEAD_BYTES = Buffer.byteLength(CLIENTS_HEAD);

/** One buffer of the pieces, at most `BYTES_PER_SLICE` copied per slice. */
async function joinPieces(pieces: readonly Buffer[], step: Step): Promise<Buffer> {
  const out = Buffer.allocUnsafe(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  let sliceBytes = 0;
  for (const piece of pieces) {
    for (let from = 0; from < piece.length;) {
      const n = Math.min(piece.length - from, BYTES_PER_SLICE - sliceBytes);
      piece.copy(out, at, from, from + n);
      at += n;
      from += n;
      sliceBytes += n;
      if (sliceBytes === BYTES_PER_SLICE) {
        sliceBytes = 0;
        await step();
      }
    }
  }
  return out;
}

export interface ClientsListParts {
  /** Builds the message; `step` goes between its slices. */
  readonly build: (step: Step) => Promise<Buffer>;
  /** Whether anyone still waits for a list (a socket is open): checked between slices. */
  readonly wanted: () => boolean;
  readonly clock: () => number;
  /**
   * A list built without a lease change since is reused for this long after it was finished, or for as long
   * as it took to build if that is longer (states depend on the time).
   */
  readonly maxAgeMs: number;
  /** Between slices; default `yieldToEventLoop`. */
  readonly pause?: () => Promise<void>;
  /** Waits before a build may start; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Build {
  readonly generation: number;
  readonly message: Promise<Buffer>;
}

/**
 * The latest `clients` message, one copy for every socket: at most one build runs, callers that come while it
 * runs share it unless a lease changed after it started (then they get the next one), and a finished list is
 * reused until a lease changes.
 */
export class ClientsList {
  readonly #p: ClientsListParts;
  #generation = 0;
  #building: Build | undefined;
  #built: { readonly generation: number; readonly message: Buffer } | undefined;
  /** When the last build finished, and how long it took (clock ms): the next starts no sooner than as long after. */
  #finishedAt = -Infinity;
  #lastCostMs = 0;
  /** Callers waiting for the next build to be allowed to start. */
  #cooldown: Promise<void> | undefined;
  /** Slices run by builds since this list was made (for tests and the bench). */
  slices = 0;

  constructor(parts: ClientsListParts) {
    this.#p = parts;
  }

  /** A lease changed: the next caller gets a list built after now. */
  changed(): void {
    this.#generation++;
  }

  /** A list holding every change made before this call. */
  async get(): Promise<Buffer> {
    const needed = this.#generation;
    let waited = false;
    for (;;) {
      const built = this.#built;
      const age = this.#p.clock() - this.#finishedAt;
      if (
        built !== undefined &&
        built.generation >= needed &&
        age < Math.max(this.#p.maxAgeMs, this.#lastCostMs)
      )
        return built.message;
      const building = this.#building;
      if (building !== undefined && building.generation >= needed) return building.message;
      if (building !== undefined) {
        // A build that began before the change: wait for it (one build at a time), then build anew.
        await building.message.catch(() => undefined);
        continue;
      }
      // Builds take at most half of the time, however often sockets ask while leases keep changing.
      const wait = this.#lastCostMs - age;
      if (wait <= 0 || waited) return this.#start().message;
      this.#cooldown ??= (this.#p.sleep ?? sleep)(wait).finally(() => {
        this.#cooldown = undefined;
      });
      await this.#cooldown;
      waited = true;
    }
  }

  #start(): Build {
    const pause = this.#p.pause ?? yieldToEventLoop;
    const step = async (): Promise<void> => {
      this.slices++;
      await pause();
      if (!this.#p.wanted()) throw new BuildAbandoned();
    };
    const generation = this.#generation;
    const startedAt = this.#p.clock();
    // The stale list goes now: sockets still writing it hold their own reference.
    this.#built = undefined;
    const message = this.#p.build(step).then(
      (m) => {
        this.#built = { generation, message: m };
        this.#finished(startedAt);
        return m;
      },
      (err: unknown) => {
        this.#finished(startedAt);
        throw err;
      },
    );
    const build = { generation, message };
    this.#building = build;
    return build;
  }

  #finished(startedAt: number): void {
    this.#building = undefined;
    this.#finishedAt = this.#p.clock();
    this.#lastCostMs = this.#finishedAt - startedAt;
  }
}
