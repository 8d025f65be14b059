import { intToIpv4, ipv4ToInt, maskOf } from '../../config/index.ts';
import { optionCode } from '../../protocol/index.ts';
import type { JsonObject } from '../json.ts';
import type { FieldError, OptionsField, OptionsInput } from './protocol.ts';

type Mutable = Record<string, unknown>;

const isObject = (v: unknown): v is Mutable => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Options the seed's form owns; pool-level copies are dropped so the subnet's values take effect. */
const FORM_OPTIONS = ['dhcp-server-identifier', 'routers', 'domain-name-servers', 'subnet-mask'] as const;

function matches(entry: unknown, name: string): boolean {
  return isObject(entry) && (entry['name'] === name || entry['code'] === optionCode(name));
}

function hasOption(list: unknown, name: string): boolean {
  return Array.isArray(list) && list.some((e) => matches(e, name));
}

/** Replaces (or, with `data` undefined, removes) one option in an `option-data` list, keeping its flags. */
function setOption(list: unknown[], name: string, data: string | undefined): unknown[] {
  const at = list.findIndex((e) => matches(e, name));
  if (data === undefined) return at < 0 ? list : list.filter((_, i) => i !== at);
  const old = at < 0 ? {} : (list[at] as Mutable);
  const entry: Mutable = { name, data };
  for (const flag of ['always-send', 'never-send', 'comment', 'user-context']) {
    if (old[flag] !== undefined) entry[flag] = old[flag];
  }
  return at < 0 ? [...list, entry] : list.map((e, i) => (i === at ? entry : e));
}

function storeOptions(holder: Mutable, list: unknown[]): void {
  if (list.length === 0) delete holder['option-data'];
  else holder['option-data'] = list;
}

/**
 * The Kea configuration with the seed's options written into it: the first `subnet4` (created when there is
 * none) gets the prefix of `ip`/`mask`, its first pool the range, `valid-lifetime` the lease period, and
 * option-data `dhcp-server-identifier` (ip), `routers` (gateway), `domain-name-servers` (dns1, dns2) and, when
 * a subnet-mask option is configured at all, `subnet-mask`. Everything else is kept as it was.
 */
export function applyOptions(current: JsonObject, input: OptionsInput, prefixLength: number): JsonObject {
  const root = structuredClone(current) as Mutable;
  const dhcp4: Mutable = isObject(root['Dhcp4']) ? root['Dhcp4'] : {};
  root['Dhcp4'] = dhcp4;
  const subnets: unknown[] = Array.isArray(dhcp4['subnet4']) ? (dhcp4['subnet4'] as unknown[]) : [];
  dhcp4['subnet4'] = subnets;
  const subnet: Mutable = isObject(subnets[0]) ? subnets[0] : {};
  subnets[0] = subnet;

  const network = (ipv4ToInt(input.ip) & maskOf(prefixLength)) >>> 0;
  subnet['subnet'] = `${intToIpv4(network)}/${prefixLength}`;

  const pools: unknown[] = Array.isArray(subnet['pools']) ? (subnet['pools'] as unknown[]) : [];
  const pool: Mutable = isObject(pools[0]) ? pools[0] : {};
  pool['pool'] = `${input.rangeStart} - ${input.rangeEnd}`;
  let poolOptions: unknown[] = Array.isArray(pool['option-data']) ? (pool['option-data'] as unknown[]) : [];
  for (const name of FORM_OPTIONS) poolOptions = setOption(poolOptions, name, undefined);
  storeOptions(pool, poolOptions);
  pools[0] = pool;
  subnet['pools'] = pools;

  const lp = input.leasePeriod;
  subnet['valid-lifetime'] = lp;
  const min = subnet['min-valid-lifetime'];
  const max = subnet['max-valid-lifetime'];
  if (typeof min === 'number' && min > lp) delete subnet['min-valid-lifetime'];
  if (typeof max === 'number' && max < lp) delete subnet['max-valid-lifetime'];

  const maskConfigured =
    hasOption(subnet['option-data'], 'subnet-mask') || hasOption(dhcp4['option-data'], 'subnet-mask');
  let options: unknown[] = Array.isArray(subnet['option-data']) ? (subnet['option-data'] as unknown[]) : [];
  options = setOption(options, 'dhcp-server-identifier', input.ip);
  options = setOption(options, 'routers', input.gateway === '' ? undefined : input.gateway);
  const dns = [input.dns1, input.dns2].filter((d) => d !== '');
  options = setOption(options, 'domain-name-servers', dns.length === 0 ? undefined : dns.join(', '));
  if (maskConfigured) options = setOption(options, 'subnet-mask', input.mask);
  storeOptions(subnet, options);
  return root as JsonObject;
}

/** Which form field a configuration error (`Dhcp4.subnet4[0].pools[0].pool: ...`) is about. */
function fieldOfIssue(path: string, message: string): OptionsField | null {
  if (!path.startsWith('Dhcp4.subnet4[0]')) return null;
  const rest = path.slice('Dhcp4.subnet4[0]'.length);
  if (rest.startsWith('.pools')) return 'rangeStart';
  if (/^\.(valid|min-valid|max-valid)-lifetime|^\.(renew|rebind)-timer|^\.t[12]-percent/.test(rest))
    return 'leasePeriod';
  if (rest.startsWith('.option-data')) {
    if (message.includes('routers')) return 'gateway';
    if (message.includes('domain-name-servers')) return 'dns1';
    if (message.includes('subnet-mask')) return 'mask';
    return 'ip';
  }
  if (rest === '.subnet' || rest.startsWith('.reservations')) return 'mask';
  return null;
}

/** Turns the configuration compiler's error text (one `path: message` per line) into field errors. */
export function fieldErrorsOfConfig(text: string): FieldError[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const at = line.indexOf(': ');
      const path = at < 0 ? '' : line.slice(0, at);
      return { field: fieldOfIssue(path, line), message: line };
    });
}
