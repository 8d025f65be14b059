import { RESULT, answer, failure, type Answer } from '../answer.ts';
import { isInteger } from '../args.ts';
import { isJsonObject } from '../json.ts';
import type { CommandContext, CommandRegistry } from '../registry.ts';
import type { HaControl } from '../target.ts';

/** The commands of Kea's HA hook (libdhcp_ha.so), answered by the built-in HA service. */
export function registerHaCommands(registry: CommandRegistry): void {
  const reg = (name: string, handler: (ha: HaControl, args: unknown) => Answer | Promise<Answer>): void => {
    registry.register(name, async (args, ctx: CommandContext) => {
      const ha = ctx.target.ha;
      // Without the hook configured, Kea does not know the command at all.
      if (ha === undefined) return answer(RESULT.unsupported, `'${name}' command not supported.`);
      return handler(ha, args);
    });
  };

  reg('ha-heartbeat', (ha) => ha.heartbeat());
  reg('ha-reset', (ha) => ha.reset());
  reg('ha-continue', (ha) => ha.continue());
  reg('ha-maintenance-start', (ha) => ha.maintenanceStart());
  reg('ha-maintenance-cancel', (ha) => ha.maintenanceCancel());
  reg('ha-sync-complete-notify', (ha) => ha.syncCompleteNotify());

  reg('ha-scopes', (ha, args) => {
    if (args === undefined) return failure("arguments not found in the 'ha-scopes' command");
    if (!isJsonObject(args)) return failure("arguments in the 'ha-scopes' command are not a map");
    const scopes = args['scopes'];
    if (scopes === undefined) return failure("'scopes' is mandatory for the 'ha-scopes' command");
    if (!Array.isArray(scopes)) return failure("'scopes' must be a list in the 'ha-scopes' command");
    if (!scopes.every((s): s is string => typeof s === 'string'))
      return failure("scope name must be a string in the 'scopes' argument");
    return ha.setScopes(scopes);
  });

  reg('ha-maintenance-notify', (ha, args) => {
    if (!isJsonObject(args)) return failure('parameters missing or are not a map');
    const cancel = args['cancel'];
    if (cancel === undefined) return failure("'cancel' is mandatory for the 'ha-maintenance-notify' command");
    if (typeof cancel !== 'boolean')
      return failure("'cancel' must be a boolean in the 'ha-maintenance-notify' command");
    return ha.maintenanceNotify(cancel);
  });

  reg('ha-sync', (ha, args) => {
    if (args === undefined) return failure("arguments not found in the 'ha-sync' command");
    if (!isJsonObject(args)) return failure("arguments in the 'ha-sync' command are not a map");
    const name = args['server-name'];
    if (name === undefined) return failure("'server-name' is mandatory for the 'ha-sync' command");
    if (typeof name !== 'string') return failure("'server-name' must be a string in the 'ha-sync' command");
    const maxPeriod = args['max-period'];
    if (maxPeriod !== undefined && (!isInteger(maxPeriod) || maxPeriod <= 0))
      return failure("'max-period' must be a positive integer in the 'ha-sync' command");
    return ha.sync(name, maxPeriod ?? 0);
  });
}
