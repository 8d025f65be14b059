import { answer, RESULT } from '../answer.ts';
import type { CommandRegistry } from '../registry.ts';

/** "1 IPv4 subnet found", "0 IPv4 subnets found": Kea's subnet_cmds wording. */
function found(count: number, noun: string): string {
  return `${count} IPv4 ${noun}${count === 1 ? '' : 's'} found`;
}

/**
 * `subnet4-list` and `network4-list` as Kea's subnet_cmds hook answers them (read-only: the other
 * subnet and network commands change the configuration, which `config-set` does here).
 */
export function registerSubnetCommands(registry: CommandRegistry): void {
  registry.register('subnet4-list', async (_args, ctx) => {
    const subnets = ctx.target.subnets.listing().map((s) => ({
      id: s.id,
      'shared-network-name': s.sharedNetwork ?? null,
      subnet: s.subnet,
    }));
    const result = subnets.length === 0 ? RESULT.empty : RESULT.success;
    return answer(result, found(subnets.length, 'subnet'), { subnets });
  });

  registry.register('network4-list', async (_args, ctx) => {
    const networks = ctx.target.subnets.networks().map((name) => ({ name }));
    const result = networks.length === 0 ? RESULT.empty : RESULT.success;
    return answer(result, found(networks.length, 'network'), { 'shared-networks': networks });
  });
}
