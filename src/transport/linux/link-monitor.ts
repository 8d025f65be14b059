/**
 * When the linux transport looks at its links: at once when rtnetlink says a link or an address changed
 * (a burst of messages becomes one look), and every `pollMs` as a backstop (getifaddrs, cheap). Looks never
 * overlap: one asked for during a look runs right after it. What a look does is the transport's.
 */
import type { NativeAddon, NativePacketSocket } from './native.ts';

export interface LinkMonitorOptions {
  readonly native: NativeAddon;
  readonly netns: string | undefined;
  readonly pollMs: number;
  /** One look at the links; never called while the previous one runs. */
  readonly look: () => Promise<void>;
}

export class LinkMonitor {
  readonly #look: () => Promise<void>;
  readonly #poller: NodeJS.Timeout;
  #watcher: NativePacketSocket | undefined;
  #hint: NodeJS.Immediate | undefined;
  #looking = false;
  #again = false;
  #closed = false;

  constructor(opts: LinkMonitorOptions) {
    this.#look = opts.look;
    this.#poller = setInterval(() => this.request(), Math.max(10, opts.pollMs));
    this.#poller.unref();
    try {
      this.#watcher = new opts.native.PacketSocket(
        { linkWatch: true, ...(opts.netns === undefined ? {} : { netns: opts.netns }) },
        () => this.#hinted(),
      );
    } catch {
      // polling alone still works
    }
  }

  /** Looks now, or right after the look under way. */
  request(): void {
    if (this.#closed) return;
    if (this.#looking) {
      this.#again = true;
      return;
    }
    this.#looking = true;
    void this.#look().finally(() => {
      this.#looking = false;
      if (this.#again) {
        this.#again = false;
        this.request();
      }
    });
  }

  /** A burst of netlink messages becomes one look. */
  #hinted(): void {
    this.#hint ??= setImmediate(() => {
      this.#hint = undefined;
      this.request();
    });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#poller);
    if (this.#hint) clearImmediate(this.#hint);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
