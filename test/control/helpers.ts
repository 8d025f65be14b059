import { createCommandRegistry } from '../../src/control/commands/index.ts';
import type { Answer } from '../../src/control/answer.ts';
import type { CommandRegistry } from '../../src/control/registry.ts';
import { HttpControlServer, type HttpControlOptions } from '../../src/control/http-server.ts';
import { FAKE_NOW, FakeTarget } from './fake-target.ts';

export interface Harness {
  readonly target: FakeTarget;
  readonly registry: CommandRegistry;
  call(command: string, args?: unknown): Promise<Answer>;
}

export function harness(): Harness {
  const target = new FakeTarget();
  const registry = createCommandRegistry();
  return {
    target,
    registry,
    call: (command, args) =>
      registry.dispatch(args === undefined ? { command } : { command, arguments: args }, {
        target,
        via: 'internal',
        agent: false,
        now: () => FAKE_NOW,
      }),
  };
}

/**
 * An HTTP control listener on 127.0.0.1 (a free port) answering every command, over a fresh FakeTarget
 * unless `options` names a target; `options` adds or overrides the rest.
 */
export function listenHttp(options: Partial<HttpControlOptions> = {}): Promise<HttpControlServer> {
  return HttpControlServer.listen({
    host: '127.0.0.1',
    port: 0,
    registry: createCommandRegistry(),
    target: new FakeTarget(),
    ...options,
  });
}
