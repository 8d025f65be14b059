/**
 * The event plumbing every transport shares: typed listener sets, and an `error` event that is never thrown.
 * Node's EventEmitter throws an `error` event nobody listens to; a transport must not crash its process
 * because a link went down, so unheard errors go to a diagnostics channel instead.
 */
import diagnostics from 'node:diagnostics_channel';
import { ListenerSet } from '../listener-set.ts';
import type { TransportError } from './errors.ts';
import type { DatagramMeta, LinkState, TransportEvents } from './types.ts';

export const unhandledErrorChannel = diagnostics.channel('leasekeeper:transport:error');

type Sets = { [E in keyof TransportEvents]: ListenerSet<TransportEvents[E]> };

/** A listener's exception reaches the transport's caller, as Node's EventEmitter would let it. */
const rethrow = (err: unknown): never => {
  throw err;
};

export class TransportEmitter {
  private readonly sets: Sets = {
    message: new ListenerSet<TransportEvents['message']>(rethrow),
    error: new ListenerSet<TransportEvents['error']>(rethrow),
    link: new ListenerSet<TransportEvents['link']>(rethrow),
    close: new ListenerSet<TransportEvents['close']>(rethrow),
  };
  protected closed = false;

  on<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    (this.sets[event] as ListenerSet<TransportEvents[E]>).add(listener);
    return this;
  }
  once<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    (this.sets[event] as ListenerSet<TransportEvents[E]>).once(listener);
    return this;
  }
  off<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    (this.sets[event] as ListenerSet<TransportEvents[E]>).delete(listener);
    return this;
  }

  protected emitMessage(data: Buffer, meta: DatagramMeta): void {
    if (!this.closed) this.sets.message.emit(data, meta);
  }
  protected emitError(e: TransportError): void {
    if (this.closed) return;
    if (this.sets.error.size > 0) this.sets.error.emit(e);
    else if (unhandledErrorChannel.hasSubscribers) unhandledErrorChannel.publish(e);
  }
  protected emitLink(s: LinkState): void {
    if (!this.closed) this.sets.link.emit(s);
  }
  protected emitClose(): void {
    this.sets.close.emit();
    for (const set of Object.values(this.sets)) set.clear();
  }
}
