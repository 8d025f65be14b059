import { CommandRegistry, type RegistryOptions } from '../registry.ts';
import { registerClassCommands } from './classes.ts';
import { registerConfigCommands } from './config.ts';
import { registerDhcpCommands } from './dhcp.ts';
import { registerLeaseCommands } from './leases.ts';
import { registerReservationCommands } from './reservations.ts';
import { registerServerCommands } from './server.ts';
import { registerStatLeaseCommands } from './stat-lease.ts';
import { registerStatisticCommands } from './statistics.ts';

/** A registry holding every command leasekeeper answers. */
export function createCommandRegistry(options: RegistryOptions = {}): CommandRegistry {
  const registry = new CommandRegistry(options);
  registerServerCommands(registry);
  registerConfigCommands(registry);
  registerDhcpCommands(registry);
  registerStatisticCommands(registry);
  registerLeaseCommands(registry);
  registerStatLeaseCommands(registry);
  registerReservationCommands(registry);
  registerClassCommands(registry);
  return registry;
}
