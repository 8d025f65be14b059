import { createCommandRegistry } from '../../src/control/commands/index.ts';
import type { Answer } from '../../src/control/answer.ts';
import type { CommandRegistry } from '../../src/control/registry.ts';
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
