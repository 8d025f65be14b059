/**
 * The environment `libdhcp_run_script.so` gives its script, variable for variable as Kea 2.2 names and
 * formats them (ARM "run_script"): addresses dotted, hardware addresses and client identifiers as
 * lower-case colon hex, option 82 as `0x` and upper-case hex, booleans `true`/`false`, times in seconds.
 */
import type { Lease } from '../leases/lease.ts';
import { messageTypeName } from '../protocol/constants.ts';
import { toHex } from '../protocol/bytes.ts';
import type { DhcpMessage } from '../protocol/index.ts';
import { subOption } from '../classify/packet.ts';
import { colonHex } from '../server/identity.ts';
import type { LeaseEvent, LeaseEventQuery } from '../server/types.ts';

export type ScriptEnv = Record<string, string>;

const ZERO = '0.0.0.0';
const AGENT_OPTIONS = 82;
const CIRCUIT_ID = 1;
const REMOTE_ID = 2;
/** Kea's Lease4::statesToText. */
const STATE_TEXT: Record<Lease['state'], string> = {
  default: 'default',
  declined: 'declined',
  'expired-reclaimed': 'expired-reclaimed',
};
/** A client string (host name) in the environment: NUL cannot be passed, and the length is bounded. */
const MAX_VALUE = 1024;

function clean(s: string): string {
  return s.replace(/\0/g, '').slice(0, MAX_VALUE);
}

function optionHex(b: Uint8Array): string {
  return `0x${toHex(b).toUpperCase()}`;
}

function hwAddrType(hw: string): string {
  return hw === '' ? '' : '1';
}

/** `QUERY4_*`: the request. */
export function queryEnv(q: LeaseEventQuery, env: ScriptEnv = {}): ScriptEnv {
  const m: DhcpMessage = q.message;
  const type = m.options.getRaw(53);
  env['QUERY4_TYPE'] = type?.length === 1 ? messageTypeName(type[0]!) : 'UNKNOWN';
  env['QUERY4_TXID'] = String(m.xid >>> 0);
  env['QUERY4_LOCAL_ADDR'] =
    q.meta.broadcast === true ? '255.255.255.255' : (q.meta.interfaceAddresses[0]?.address ?? '');
  env['QUERY4_LOCAL_PORT'] = '67';
  env['QUERY4_REMOTE_ADDR'] = q.meta.sourceAddress;
  env['QUERY4_REMOTE_PORT'] = String(q.meta.sourcePort);
  // The interface index is not known to the engine; Kea's value is the kernel's.
  env['QUERY4_IFACE_INDEX'] = '';
  env['QUERY4_IFACE_NAME'] = clean(q.meta.interface);
  env['QUERY4_HOPS'] = String(m.hops);
  env['QUERY4_SECS'] = String(m.secs);
  env['QUERY4_FLAGS'] = String(m.flags);
  env['QUERY4_CIADDR'] = m.ciaddr;
  env['QUERY4_SIADDR'] = m.siaddr;
  env['QUERY4_YIADDR'] = m.yiaddr;
  env['QUERY4_GIADDR'] = m.giaddr;
  env['QUERY4_RELAYED'] = String(m.giaddr !== ZERO);
  env['QUERY4_HWADDR'] = colonHex(m.chaddr.subarray(0, Math.min(m.hlen, 16)));
  env['QUERY4_HWADDR_TYPE'] = String(m.htype);
  // The link-layer addresses of the frame are not seen by the engine (Kea leaves them empty then too).
  env['QUERY4_LOCAL_HWADDR'] = '';
  env['QUERY4_LOCAL_HWADDR_TYPE'] = '';
  env['QUERY4_REMOTE_HWADDR'] = '';
  env['QUERY4_REMOTE_HWADDR_TYPE'] = '';
  const agent = m.options.getRaw(AGENT_OPTIONS);
  if (agent !== undefined) {
    env['QUERY4_OPTION_82'] = optionHex(agent);
    for (const code of [CIRCUIT_ID, REMOTE_ID]) {
      const sub = subOption(agent, code);
      if (sub !== undefined) env[`QUERY4_OPTION_82_SUB_OPTION_${code}`] = optionHex(sub);
    }
  }
  return env;
}

/** `<prefix>_ADDRESS`, `_CLTT`, ...: one lease (Kea's extractLease4). */
export function leaseEnv(lease: Lease, prefix: string, env: ScriptEnv = {}): ScriptEnv {
  env[`${prefix}_ADDRESS`] = lease.address;
  env[`${prefix}_CLTT`] = String(Math.floor(lease.cltt / 1000));
  env[`${prefix}_HOSTNAME`] = clean(lease.hostname ?? '');
  env[`${prefix}_HWADDR`] = lease.hwAddress;
  env[`${prefix}_HWADDR_TYPE`] = hwAddrType(lease.hwAddress);
  env[`${prefix}_STATE`] = STATE_TEXT[lease.state];
  env[`${prefix}_SUBNET_ID`] = String(lease.subnetId);
  env[`${prefix}_VALID_LIFETIME`] = String(lease.validLifetime);
  env[`${prefix}_CLIENT_ID`] = lease.clientId ?? '';
  return env;
}

function leasesEnv(leases: readonly Lease[], prefix: string, env: ScriptEnv): void {
  env[`${prefix}_SIZE`] = String(leases.length);
  leases.forEach((l, i) => leaseEnv(l, `${prefix}_AT${i}`, env));
}

/** The script's environment for one event. */
export function eventEnv(e: LeaseEvent): ScriptEnv {
  const env = queryEnv(e.query);
  switch (e.hook) {
    case 'lease4_renew': {
      const [prefix, len] = e.subnet.prefix.split('/');
      env['SUBNET4_ID'] = String(e.subnet.id);
      env['SUBNET4_NAME'] = e.subnet.prefix;
      env['SUBNET4_PREFIX'] = prefix ?? '';
      env['SUBNET4_PREFIX_LEN'] = len ?? '';
      const m = e.query.message;
      const id = m.options.getRaw(61);
      env['PKT4_CLIENT_ID'] = id !== undefined && id.length > 0 ? colonHex(id) : '';
      env['PKT4_HWADDR'] = env['QUERY4_HWADDR']!;
      env['PKT4_HWADDR_TYPE'] = env['QUERY4_HWADDR_TYPE']!;
      return leaseEnv(e.lease, 'LEASE4', env);
    }
    case 'leases4_committed':
      leasesEnv(e.leases, 'LEASES4', env);
      leasesEnv(e.deleted, 'DELETED_LEASES4', env);
      return env;
    case 'lease4_release':
    case 'lease4_decline':
      return leaseEnv(e.lease, 'LEASE4', env);
  }
}

/** `lease4_expire`: the lease as it was before reclamation, and whether it is removed. */
export function expireEnv(lease: Lease, removed: boolean): ScriptEnv {
  const env = leaseEnv(lease, 'LEASE4');
  env['REMOVE_LEASE'] = String(removed);
  return env;
}
