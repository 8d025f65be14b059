import { CommandRegistry, type RegistryOptions } from '../registry.ts';
import { registerClassCommands } from './classes.ts';
import { registerConfigCommands } from './config.ts';
import { registerDhcpCommands } from './dhcp.ts';
import { registerHaCommands } from './ha.ts';
import { registerLeaseCommands } from './leases.ts';
import { registerReservationCommands } from './reservations.ts';
import { registerServerCommands } from './server.ts';
import { registerStatLeaseCommands } from './stat-lease.ts';
import { registerStatisticCommands } from './statistics.ts';
import { registerSubnetCommands } from './subnets.ts';

/**
 * A registry holding every command leasekeeper answers; the `ha-*` commands only with `highAvailability`,
 * as Kea lists a hook's commands only when the hook is loaded.
 */
export function createCommandRegistry(
  options: RegistryOptions = {},
  features: { readonly highAvailability?: boolean } = {},
): CommandRegistry {
  const registry = new CommandRegistry(options);
  registerServerCommands(registry);
  registerConfigCommands(registry);
  registerDhcpCommands(registry);
  registerStatisticCommands(registry);
  registerSubnetCommands(registry);
  registerLeaseCommands(registry);
  registerStatLeaseCommands(registry);
  registerReservationCommands(registry);
  registerClassCommands(registry);
  if (features.highAvailability === true) registerHaCommands(registry);
  return registry;
}
