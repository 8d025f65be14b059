/**
 * How each interface's packet socket reads (the adaptive receive path, docs/transport.md), for status-get,
 * the statistics and /metrics: the path now, how often it switched, and the frames the kernel dropped because
 * the ring or the queue was full (which `ss -0 -m` cannot see for a ring).
 */
import type { Logger } from 'pino';
import type { InterfaceReceive } from '../control/index.ts';
import type { Transport } from '../transport/index.ts';

/** One interface as a transport with packet sockets reports it (`LinuxTransport.receiveStats`). */
interface ReceiveStat {
  readonly ifname: string;
  readonly path: 'ring' | 'recvmmsg';
  readonly adaptive: boolean;
  readonly switches: number;
  readonly kernelDrops: number;
  readonly udpGso?: boolean;
}

interface ReceiveStatsSource {
  receiveStats(): readonly ReceiveStat[];
}

function hasReceiveStats(t: Transport | undefined): t is Transport & ReceiveStatsSource {
  return typeof (t as Partial<ReceiveStatsSource> | undefined)?.receiveStats === 'function';
}

/** `interface[NAME].<statistic>`, as subnets' and shared networks' statistics are named. */
export function interfaceStatName(ifname: string, statistic: string): string {
  return `interface[${ifname}].${statistic}`;
}

export class ReceivePaths {
  readonly #transport: () => Transport | undefined;
  readonly #logger: Logger;
  /** The last path and switch count seen per interface: a change is logged once, at debug. */
  readonly #seen = new Map<string, { path: string; switches: number }>();

  constructor(transport: () => Transport | undefined, logger: Logger) {
    this.#transport = transport;
    this.#logger = logger;
  }

  /** Every interface whose packet socket is open; empty for transports without one (udp, virtual). */
  current(): readonly InterfaceReceive[] {
    const t = this.#transport();
    if (!hasReceiveStats(t)) return [];
    return t.receiveStats().map((s) => {
      this.#noteSwitches(s);
      return {
        interface: s.ifname,
        mode: s.adaptive ? 'adaptive' : s.path,
        path: s.path,
        switches: s.switches,
        kernelDrops: s.kernelDrops,
        ...(s.udpGso === undefined ? {} : { udpGso: s.udpGso }),
      };
    });
  }

  /**
   * `interface[NAME].receive-ring` (1 while reading the ring, 0 with recvmmsg),
   * `interface[NAME].receive-path-switches` and `interface[NAME].pkt4-kernel-drop`.
   */
  statistics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.current()) {
      out[interfaceStatName(r.interface, 'receive-ring')] = r.path === 'ring' ? 1 : 0;
      out[interfaceStatName(r.interface, 'receive-path-switches')] = r.switches;
      out[interfaceStatName(r.interface, 'pkt4-kernel-drop')] = r.kernelDrops;
    }
    return out;
  }

  /** Switches are bounded by the socket's rate windows (one per 200 ms at most), and logged per look. */
  #noteSwitches(s: ReceiveStat): void {
    const last = this.#seen.get(s.ifname);
    this.#seen.set(s.ifname, { path: s.path, switches: s.switches });
    if (last === undefined || (last.switches === s.switches && last.path === s.path)) return;
    this.#logger.debug(
      { interface: s.ifname, path: s.path, switches: s.switches },
      `${s.ifname}: receive path now ${s.path} (${s.switches - last.switches} switch(es) since the last look, ${s.switches} in all)`,
    );
  }
}
