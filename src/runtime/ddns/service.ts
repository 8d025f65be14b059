import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { matchDomain, type CompiledDdns, type DdnsBehaviour } from '../../config/index.ts';
import {
  changesFor,
  ddnsTtl,
  named,
  Rcode,
  RCODE_NAMES,
  runNameChange,
  type ChangeOutcome,
  type NameChange,
  type StepOutcome,
  type UpdateSender,
} from '../../ddns/index.ts';
import type { Lease, LeaseChange } from '../../leases/index.ts';
import { RateLimitedLog } from '../../log/index.ts';
import { fromHex, parseMac } from '../../protocol/index.ts';
import { dhcidRdata } from './dhcid.ts';
import { DnsUnreachableError, sendUpdate } from './dns-client.ts';
import type { DdnsQueueStorage, StoredChange, StoredEntry } from './queue-storage.ts';
import { QueueWriter } from './queue-writer.ts';

/**
 * The in-process D2: turns durable lease changes into DNS name changes, queues them (bounded, kept in the lease
 * database so a restart keeps pending removals), and runs them with retries. A DHCPACK never waits for it.
 */

export interface DdnsServiceOptions {
  readonly ddns: () => CompiledDdns;
  /** The behaviour for a lease's subnet (TTL, conflict mode). */
  readonly behaviour: (subnetId: number) => DdnsBehaviour;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** Where the queue is kept between restarts (the lease database); none = memory only. */
  readonly storage?: DdnsQueueStorage;
  /** Shared databases: how often claims are renewed and other servers' orphaned changes adopted (ms). */
  readonly adoptEveryMs?: number;
  /** Sends one UPDATE (tests replace the network). Default: UDP to the domain's servers. */
  readonly send?: UpdateSender;
}

interface QueuedChange {
  readonly key: string;
  readonly change: StoredChange;
  attempts: number;
  nextAt: number;
}

/** Kea D2's statistic names where they exist, and the queue's own. */
export const DDNS_STATS = [
  'ncr-received',
  'ncr-error',
  'ncr-queue-full',
  'update-sent',
  'update-signed',
  'update-unsigned',
  'update-success',
  'update-timeout',
  'update-error',
  'update-conflict',
] as const;
export type DdnsStat = (typeof DDNS_STATS)[number];

const RETRYABLE = new Set<number>([2 /* SERVFAIL */]);
/** YXDOMAIN, YXRRSET, NXRRSET: a prerequisite answered, which RFC 4703's procedures expect; not an error. */
const PREREQUISITE_ANSWERS = new Set<number>([6, 7, 8]);
const MAX_BACKOFF_MS = 300_000;
const ADOPT_EVERY_MS = 20_000;

export class DdnsService {
  private readonly queue: QueuedChange[] = [];
  private readonly counters = new Map<DdnsStat, number>(DDNS_STATS.map((s) => [s, 0]));
  /** Per TSIG key; key names come from the configuration, so this map is bounded by it. */
  private readonly keyCounters = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private adoptTimer: NodeJS.Timeout | undefined;
  private adopting: Promise<void> | undefined;
  private readonly writer: QueueWriter | undefined;
  /** Keys are unique per process and change: `<instance>-<counter>`. */
  private readonly instance = randomUUID().slice(0, 13);
  private counter = 0;
  private readonly clock: () => number;
  private readonly send: UpdateSender;
  private readonly o: DdnsServiceOptions;
  private readonly retryLog: RateLimitedLog<string>;

  constructor(o: DdnsServiceOptions) {
    this.o = o;
    this.retryLog = new RateLimitedLog<string>({
      emit: (count, text) =>
        o.logger.warn(count === 1 ? text : `${text} (${count} failed tries since the last line)`),
    });
    this.clock = o.clock ?? Date.now;
    this.send = o.send ?? ((dir, name, pre, upd) => this.sendToDomain(dir, name, pre, upd));
    const storage = o.storage;
    const storageLog = new RateLimitedLog<string>({
      emit: (count, text) =>
        o.logger.warn(count === 1 ? text : `${text} (${count} times since the last line)`),
    });
    this.writer =
      storage === undefined
        ? undefined
        : new QueueWriter(storage, (err) =>
            storageLog.hit(`DDNS queue not saved to ${storage.where}: ${err.message}; retrying`),
          );
  }

  /**
   * Takes the pending changes kept in the lease database (those a previous run left) and, on a shared database,
   * starts adopting those of servers that went away. A database error is logged: DHCP is served all the same.
   */
  async start(): Promise<void> {
    const storage = this.o.storage;
    if (storage === undefined) return;
    if (storage.adopt !== undefined) this.scheduleAdopt(storage);
    // Updates off here: the pending changes stay where they are, for a server that sends them (a shared
    // database) or for the next start with updates on.
    if (!this.o.ddns().enabled) return;
    try {
      const restored = this.admit(await storage.take(this.room()));
      if (restored > 0)
        this.o.logger.info(`DDNS: ${restored} pending name change(s) restored from ${storage.where}`);
    } catch (err) {
      this.o.logger.warn(
        `DDNS: pending name changes not read from ${storage.where}: ${(err as Error).message}`,
      );
    }
  }

  private scheduleAdopt(storage: DdnsQueueStorage): void {
    this.adoptTimer = setTimeout(() => {
      // Updates off: only this server's claims are renewed, nothing is taken.
      const room = this.o.ddns().enabled ? this.room() : 0;
      const holds = this.queue.map((q) => q.key);
      this.adopting = (storage.adopt?.(room, holds) ?? Promise.resolve([]))
        .then((entries) => {
          if (this.stopped) return;
          const adopted = this.admit(entries);
          if (adopted > 0)
            this.o.logger.info(
              `DDNS: ${adopted} pending name change(s) taken over from servers that stopped or went away`,
            );
        })
        .catch((err: Error) =>
          this.retryLog.hit(`DDNS: pending name changes not renewed in ${storage.where}: ${err.message}`),
        )
        .finally(() => {
          this.adopting = undefined;
          if (!this.stopped) this.scheduleAdopt(storage);
        });
    }, this.o.adoptEveryMs ?? ADOPT_EVERY_MS);
    this.adoptTimer.unref();
  }

  /** Free places in the queue. */
  private room(): number {
    return Math.max(0, this.o.ddns().maxQueueSize - this.queue.length);
  }

  /** Queues entries read from storage (already stored: not written again); returns how many. */
  private admit(entries: readonly StoredEntry[]): number {
    const held = new Set(this.queue.map((q) => q.key));
    let n = 0;
    for (const e of entries) {
      if (held.has(e.key) || this.queue.length >= this.o.ddns().maxQueueSize) continue;
      this.queue.push({ key: e.key, change: e.change, attempts: 0, nextAt: this.clock() });
      n++;
    }
    if (n > 0) this.kick();
    return n;
  }

  /** Counters for `statistic-get-all`. */
  statistics(): Record<string, number> {
    return {
      ...Object.fromEntries(this.counters),
      ...Object.fromEntries(this.keyCounters),
      'ncr-queue-length': this.queue.length,
    };
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Feeds one store change; call it only for changes made by this server. */
  onLeaseChange(change: Pick<LeaseChange, 'kind' | 'lease' | 'previous'>): void {
    const changes = changesFor(change);
    const l = change.lease;
    // Kea's ddns-update-on-renew: a renewal with the same name updates DNS again.
    if (
      changes.length === 0 &&
      change.kind === 'updated' &&
      named(l) &&
      this.o.behaviour(l.subnetId).updateOnRenew
    )
      changes.push({ kind: 'add', lease: l });
    for (const c of changes) this.enqueue(c);
  }

  private enqueue(spec: { kind: 'add' | 'remove'; lease: Lease }): void {
    const ddns = this.o.ddns();
    if (!ddns.enabled) return;
    const lease = spec.lease;
    const b = this.o.behaviour(lease.subnetId);
    const clientId = lease.clientId === null ? null : (fromHex(lease.clientId.replaceAll(':', '')) ?? null);
    let chaddr: Uint8Array = new Uint8Array(0);
    try {
      chaddr = parseMac(lease.hwAddress);
    } catch {
      // a lease without a hardware address (client id only): the DHCID uses the client id
    }
    const dhcid = dhcidRdata({ clientId, htype: 1, chaddr }, lease.hostname as string);
    this.inc('ncr-received');
    if (this.queue.length >= ddns.maxQueueSize) {
      this.inc('ncr-queue-full');
      this.o.logger.warn(
        { ddns: { fqdn: lease.hostname, address: lease.address } },
        `DDNS queue full (${ddns.maxQueueSize}): ${spec.kind} of ${JSON.stringify(lease.hostname)} dropped`,
      );
      return;
    }
    const queued: QueuedChange = {
      key: `${this.instance}-${++this.counter}`,
      change: {
        kind: spec.kind,
        fqdn: lease.hostname as string,
        address: lease.address,
        dhcid: Buffer.from(dhcid).toString('base64'),
        ttl: ddnsTtl(lease.validLifetime, b),
        forward: lease.fqdnFwd === true,
        reverse: lease.fqdnRev === true,
        mode: b.conflictMode,
      },
      attempts: 0,
      nextAt: this.clock(),
    };
    this.queue.push(queued);
    this.writer?.added({ key: queued.key, queuedAt: queued.nextAt, change: queued.change });
    this.kick();
  }

  /** Runs due changes now (tests; the timer calls it too). Resolves when the queue has nothing due. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.drain();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /**
   * Stops the timers, waits for the change in flight and the last queue write; what is still pending stays in
   * the lease database, handed back for the next server to start (or, shared, to adopt).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.adoptTimer);
    await this.adopting;
    while (this.running) await this.running;
    await this.writer?.flush();
    await this.o.storage
      ?.close()
      .catch((err: Error) => this.o.logger.warn(`DDNS: ${this.o.storage?.where}: ${err.message}`));
    this.retryLog.flush();
  }

  private kick(delay = 0): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush().catch(() => undefined), delay);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const now = this.clock();
      const job = this.nextDue(now);
      if (job === undefined) break;
      await this.run(job);
    }
    const next = this.queue.reduce((m, q) => Math.min(m, q.nextAt), Infinity);
    if (next !== Infinity) this.kick(Math.max(0, next - this.clock()));
  }

  /** The first due change whose name and address have no earlier change waiting (keeps per-name order). */
  private nextDue(now: number): QueuedChange | undefined {
    const busy = new Set<string>();
    for (const q of this.queue) {
      const keys = [`n:${q.change.fqdn}`, `a:${q.change.address}`];
      if (q.nextAt <= now && !keys.some((k) => busy.has(k))) return q;
      for (const k of keys) busy.add(k);
    }
    return undefined;
  }

  private async run(job: QueuedChange): Promise<void> {
    const c: NameChange = { ...job.change, dhcid: new Uint8Array(Buffer.from(job.change.dhcid, 'base64')) };
    const what = `${c.kind} ${JSON.stringify(c.fqdn)} ${c.address}`;
    try {
      const outcome = await runNameChange(c, this.send);
      this.remove(job);
      this.report(c, outcome);
    } catch (err) {
      job.attempts++;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(job.attempts - 1, 20));
      job.nextAt = this.clock() + delay;
      // A DNS outage fails every queued change: one line per interval with a count, not one per try.
      this.retryLog.hit(
        `DDNS ${what}: ${(err as Error).message}; retry in ${Math.round(delay / 1000)} s (attempt ${job.attempts})`,
      );
    }
  }

  private report(c: NameChange, outcome: ChangeOutcome): void {
    const words = (s: StepOutcome): string =>
      s.result === 'failed' ? `failed (${RCODE_NAMES[s.rcode] ?? s.rcode})` : s.result;
    const conflict = outcome.forward.result === 'conflict';
    const failed = outcome.forward.result === 'failed' || outcome.reverse.result === 'failed';
    if (conflict) this.inc('update-conflict');
    if (failed) this.inc('ncr-error');
    const text = `DDNS ${c.kind} ${JSON.stringify(c.fqdn)} ${c.address}: forward ${words(outcome.forward)}, reverse ${words(outcome.reverse)}`;
    const fields = {
      ddns: {
        kind: c.kind,
        fqdn: c.fqdn,
        address: c.address,
        forward: outcome.forward.result,
        reverse: outcome.reverse.result,
      },
    };
    if (conflict || failed) this.o.logger.warn(fields, text);
    else this.o.logger.info(fields, text);
  }

  private async sendToDomain(
    direction: 'forward' | 'reverse',
    name: string,
    ...rest: [Parameters<UpdateSender>[2], Parameters<UpdateSender>[3]]
  ): Promise<number> {
    const ddns = this.o.ddns();
    const domain = matchDomain(direction === 'forward' ? ddns.forward : ddns.reverse, name);
    if (domain === undefined) return Rcode.NOTAUTH; // no zone configured for the name: nothing we may change
    let last: Error | undefined;
    for (const server of domain.servers) {
      const key = server.key?.name;
      this.inc('update-sent', key);
      this.inc(key === undefined ? 'update-unsigned' : 'update-signed');
      try {
        const rcode = await sendUpdate(server, domain.name, ...rest, {
          timeoutMs: ddns.timeoutMs,
          nowSeconds: () => Math.floor(this.clock() / 1000),
        });
        if (rcode === Rcode.NOERROR) this.inc('update-success', key);
        else if (!PREREQUISITE_ANSWERS.has(rcode)) this.inc('update-error', key);
        if (RETRYABLE.has(rcode)) {
          last = new DnsUnreachableError(`${server.address}: ${RCODE_NAMES[rcode]}`);
          continue;
        }
        return rcode;
      } catch (err) {
        this.inc('update-timeout', key);
        last = err as Error;
      }
    }
    throw last ?? new DnsUnreachableError(`no DNS server for ${domain.name}`);
  }

  /** Counts a global statistic and, with a key, Kea D2's per-key one (`key[NAME].update-sent`). */
  private inc(s: DdnsStat, key?: string): void {
    this.counters.set(s, (this.counters.get(s) ?? 0) + 1);
    if (key === undefined) return;
    const name = `key[${key}].${s}`;
    this.keyCounters.set(name, (this.keyCounters.get(name) ?? 0) + 1);
  }

  private remove(job: QueuedChange): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    this.writer?.done(job.key);
  }
}
