import { success } from '../answer.ts';
import { fail, isInteger, optionalMap } from '../args.ts';
import type { JsonObject } from '../json.ts';
import type { CommandRegistry } from '../registry.ts';

/** dhcp-enable, dhcp-disable. */
export function registerDhcpCommands(registry: CommandRegistry): void {
  registry.register('dhcp-disable', async (args, ctx) => {
    const map = optionalMap(args);
    checkOrigin(map);
    const maxPeriod = map['max-period'];
    if (maxPeriod !== undefined) {
      if (typeof maxPeriod !== 'number') fail("'max-period' argument must be a number");
      if (!isInteger(maxPeriod) || maxPeriod <= 0) fail("'max-period' must be positive integer value");
    }
    // The HA partner disables us while it syncs its leases from us; only it (or the max-period) undoes that.
    if (map['origin'] === 'ha-partner' && ctx.target.ha !== undefined)
      ctx.target.ha.disableByPartner(maxPeriod);
    else await ctx.target.dhcp.disable(maxPeriod);
    return success(
      maxPeriod === undefined
        ? 'DHCPv4 service disabled'
        : `DHCPv4 service disabled for ${maxPeriod} seconds`,
    );
  });

  registry.register('dhcp-enable', async (args, ctx) => {
    const map = optionalMap(args);
    checkOrigin(map);
    if (map['origin'] === 'ha-partner' && ctx.target.ha !== undefined) ctx.target.ha.enableByPartner();
    else await ctx.target.dhcp.enable();
    return success('DHCP service successfully enabled');
  });
}

/** Kea accepts `origin` "user" (the default), "ha-partner" (sent by HA) or a numeric origin id. */
function checkOrigin(map: JsonObject): void {
  const origin = map['origin'];
  if (origin === undefined || origin === 'user' || origin === 'ha-partner' || isInteger(origin)) return;
  if (typeof origin === 'string' && /^\d+$/.test(origin)) return;
  fail(
    `invalid value used for 'origin' parameter: ${typeof origin === 'string' ? origin : JSON.stringify(origin)}`,
  );
}
