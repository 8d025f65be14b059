import { intToIpv4, ipv4ToInt, isIpv4, maskOf } from '../../config/index.ts';
import { OPTIONS_FIELDS, type FieldError, type OptionsField, type OptionsInput } from './protocol.ts';

export type Validation =
  | { readonly ok: true; readonly input: OptionsInput; readonly prefixLength: number }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const MAX_LIFETIME = 0xffffffff;

/** The prefix length of a netmask with contiguous ones, or undefined. */
export function prefixOfMask(mask: string): number | undefined {
  if (!isIpv4(mask)) return undefined;
  const n = ipv4ToInt(mask);
  for (let len = 0; len <= 32; len++) if (maskOf(len) === n) return len;
  return undefined;
}

/**
 * Checks the body of an `options` request field by field, so the dashboard can show each message next to its
 * field. Addresses must lie on the subnet that `ip` and `mask` describe. Empty `gateway`, `dns1` and `dns2`
 * mean "none". `leasePeriod` may come as a number or a string of digits (an HTML form's value).
 */
export function validateOptions(body: unknown): Validation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      errors: [{ field: null, message: `body must be an object with ${OPTIONS_FIELDS.join(', ')}` }],
    };
  }
  const raw = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const fail = (field: OptionsField | null, message: string): void => {
    errors.push({ field, message });
  };
  for (const key of Object.keys(raw)) {
    if (!(OPTIONS_FIELDS as readonly string[]).includes(key)) fail(null, `unknown field "${key}"`);
  }

  const text = (field: OptionsField, optional: boolean): string | undefined => {
    const v = raw[field];
    if (v === undefined || v === null || v === '') {
      if (!optional) fail(field, 'required');
      return optional ? '' : undefined;
    }
    if (typeof v !== 'string') {
      fail(field, 'must be a string');
      return undefined;
    }
    const t = v.trim();
    if (!isIpv4(t)) {
      fail(field, `"${v}" is not an IPv4 address`);
      return undefined;
    }
    return t;
  };
  const ip = text('ip', false);
  const mask = text('mask', false);
  const rangeStart = text('rangeStart', false);
  const rangeEnd = text('rangeEnd', false);
  const gateway = text('gateway', true);
  const dns1 = text('dns1', true);
  const dns2 = text('dns2', true);
  const leasePeriod = lifetime(raw['leasePeriod'], fail);

  let prefixLength: number | undefined;
  if (mask !== undefined) {
    prefixLength = prefixOfMask(mask);
    if (prefixLength === undefined)
      fail('mask', `"${mask}" is not a netmask (contiguous ones, e.g. 255.255.255.0)`);
    else if (prefixLength < 1 || prefixLength > 30) {
      fail('mask', `a /${prefixLength} network leaves no room for clients: use /1 to /30`);
      prefixLength = undefined;
    }
  }
  if (ip !== undefined && prefixLength !== undefined) {
    const m = maskOf(prefixLength);
    const network = (ipv4ToInt(ip) & m) >>> 0;
    const broadcast = (network | ~m) >>> 0;
    const subnet = `${intToIpv4(network)}/${prefixLength}`;
    const onSubnet = (field: OptionsField, value: string | undefined): void => {
      if (value === undefined || value === '') return;
      const a = ipv4ToInt(value);
      if ((a & m) >>> 0 !== network) fail(field, `${value} is not on the subnet ${subnet} (ip and mask)`);
      else if (a === network || a === broadcast)
        fail(field, `${value} is the ${a === network ? 'network' : 'broadcast'} address of ${subnet}`);
    };
    onSubnet('ip', ip);
    onSubnet('rangeStart', rangeStart);
    onSubnet('rangeEnd', rangeEnd);
    onSubnet('gateway', gateway);
  }
  if (rangeStart !== undefined && rangeEnd !== undefined && ipv4ToInt(rangeStart) > ipv4ToInt(rangeEnd))
    fail('rangeEnd', `${rangeEnd} is before rangeStart ${rangeStart}`);

  if (
    errors.length > 0 ||
    ip === undefined ||
    mask === undefined ||
    prefixLength === undefined ||
    rangeStart === undefined ||
    rangeEnd === undefined ||
    gateway === undefined ||
    dns1 === undefined ||
    dns2 === undefined ||
    leasePeriod === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    input: { ip, rangeStart, rangeEnd, mask, gateway, dns1, dns2, leasePeriod },
    prefixLength,
  };
}

function lifetime(v: unknown, fail: (field: OptionsField, message: string) => void): number | undefined {
  if (v === undefined || v === null || v === '') {
    fail('leasePeriod', 'required');
    return undefined;
  }
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    fail('leasePeriod', `${JSON.stringify(v)} is not a whole number of seconds`);
    return undefined;
  }
  if (n < 1 || n > MAX_LIFETIME) {
    fail('leasePeriod', `${n} is out of range: 1 to ${MAX_LIFETIME} seconds`);
    return undefined;
  }
  return n;
}
