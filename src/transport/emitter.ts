/**
 * The event plumbing every transport shares: typed listeners, and an `error` event that is never thrown.
 * Node's EventEmitter throws an `error` event nobody listens to; a transport must not crash its process
 * because a link went down, so unheard errors go to a diagnostics channel instead.
 */
import { EventEmitter } from 'node:events';
import diagnostics from 'node:diagnostics_channel';
import type { TransportError } from './errors.ts';
import type { DatagramMeta, LinkState, TransportEvents } from './types.ts';

export const unhandledErrorChannel = diagnostics.channel('leasekeeper:transport:error');

export class TransportEmitter {
  private readonly ee = new EventEmitter();
  protected closed = false;

  on<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    this.ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  once<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    this.ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof TransportEvents>(event: E, listener: (...args: TransportEvents[E]) => void): this {
    this.ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected emitMessage(data: Buffer, meta: DatagramMeta): void {
    if (!this.closed) this.ee.emit('message', data, meta);
  }
  protected emitError(e: TransportError): void {
    if (this.closed) return;
    if (this.ee.listenerCount('error') > 0) this.ee.emit('error', e);
    else if (unhandledErrorChannel.hasSubscribers) unhandledErrorChannel.publish(e);
  }
  protected emitLink(s: LinkState): void {
    if (!this.closed) this.ee.emit('link', s);
  }
  protected emitClose(): void {
    this.ee.emit('close');
    this.ee.removeAllListeners();
  }
}
