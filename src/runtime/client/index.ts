/** The DHCP client runtime: the engine on real sockets, timers and the OS. See docs/client-cli.md. */
export { ClientDriver } from './driver.ts';
export type { ClientDriverOptions, DriverNotice, HostAction } from './driver.ts';
export { ClientRuntime } from './runtime.ts';
export type { ApplyFailure, ClientRuntimeOptions, RuntimeStatus } from './runtime.ts';
export type { LeaseApplier, ApplyRequest, ApplyResult } from './applier.ts';
export { noopApplier } from './applier.ts';
export { ScriptApplier } from './script-applier.ts';
export type { ScriptApplierOptions } from './script-applier.ts';
export { IprouteApplier, resolvConf, resolvConfText } from './iproute-applier.ts';
export type { IprouteApplierOptions } from './iproute-applier.ts';
export { ClientControlServer, CLIENT_COMMANDS } from './control.ts';
export type { ClientCommand } from './control.ts';
export { openLinuxClientTransport } from './transport.ts';
export type { ClientTransport, OpenClientTransport, OpenClientTransportOptions } from './transport.ts';
export type { RuntimeEvent, TimedEvent } from './events.ts';
export { readLeaseFile, writeLeaseFile } from './lease-file.ts';
export { ClientRuntimeError } from './errors.ts';
export type { ClientRuntimeErrorCode } from './errors.ts';
