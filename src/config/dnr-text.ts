/**
 * Kea's text form of option 162 (`v4-dnr`, RFC 9463 §5.1): DNR instances separated by `|`, each
 * `priority, adn[, addresses[, svcparams]]`, the addresses separated by spaces, the service parameters
 * `key=value` separated by spaces (`alpn=dot\,doq port=853 dohpath=/q{?dns}`); `\,` and `\|` escape.
 */
import type { DnrInstance, DnrParams } from '../protocol/index.ts';
import { isIpv4 } from './ipv4.ts';
import { OptionDataError } from './types.ts';

/** Splits on `delim` not escaped by a backslash; `\<delim>` and `\\` become the character, other escapes stay. */
function splitEscaped(s: string, delim: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && (s[i + 1] === delim || s[i + 1] === '\\')) {
      current += s[i + 1] === delim ? `\\${delim}` : '\\\\';
      i++;
    } else if (c === delim) {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  // Kea drops empty tokens; the escape of this level's delimiter is resolved, others are kept for the next.
  return out.map((t) => t.replaceAll(`\\${delim}`, delim).trim()).filter((t) => t !== '');
}

function params(text: string): DnrParams {
  const out: { alpn?: string[]; port?: number; dohpath?: string } = {};
  for (const pair of text.split(' ').filter((t) => t !== '')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1).replaceAll('\\\\', '\\');
    if (eq < 0 || value === '') throw new OptionDataError(`"${pair}" is not a key=value service parameter`);
    if (key in out) throw new OptionDataError(`service parameter ${key} is given twice`);
    if (key === 'alpn') out.alpn = value.split(',').map((id) => id.trim());
    else if (key === 'port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port <= 0xffff)) throw new OptionDataError(`port "${value}" is not a 16-bit number`);
      out.port = port;
    } else if (key === 'dohpath') {
      // RFC 9461 §5: the URI template must have the "dns" variable.
      if (!value.includes('{?dns}'))
        throw new OptionDataError(`dohpath "${value}" lacks the {?dns} variable`);
      out.dohpath = value;
    } else if (key === 'ipv4hint' || key === 'ipv6hint') {
      throw new OptionDataError(`service parameter ${key} must not be used in DNR (RFC 9463 §3.1.8)`);
    } else {
      throw new OptionDataError(`service parameter "${key}" is not one DNR carries (alpn, port, dohpath)`);
    }
  }
  // RFC 9461 §5: an HTTP ALPN (DoH) needs the dohpath to reach the resolver.
  if (out.alpn?.some((id) => id.startsWith('h')) === true && out.dohpath === undefined)
    throw new OptionDataError('alpn names HTTP, so dohpath must be given');
  return out;
}

function instance(text: string): DnrInstance {
  const fields = splitEscaped(text, ',');
  if (fields.length < 2 || fields.length > 4)
    throw new OptionDataError(
      `"${text}" is not "priority, adn[, addresses[, svcparams]]" (${fields.length} fields)`,
    );
  const [priorityText, adn, addressText, paramText] = fields as [string, string, string?, string?];
  const priority = /^\d{1,5}$/.test(priorityText) ? Number(priorityText) : NaN;
  if (!(priority <= 0xffff)) throw new OptionDataError(`priority "${priorityText}" is not a 16-bit number`);
  if (addressText === undefined) return { priority, adn };
  const addresses = addressText.split(' ').filter((a) => a !== '');
  const bad = addresses.find((a) => !isIpv4(a));
  if (bad !== undefined) throw new OptionDataError(`"${bad}" is not an IPv4 address`);
  if (paramText === undefined) return { priority, adn, addresses };
  return { priority, adn, addresses, params: params(paramText) };
}

/** The instances of Kea's text; throws OptionDataError with the reason. */
export function parseDnrText(data: string): DnrInstance[] {
  const list = splitEscaped(data, '|').map(instance);
  if (list.length === 0) throw new OptionDataError('v4-dnr needs at least one DNR instance');
  return list;
}

function escape(s: string): string {
  return s.replace(/[\\,|]/g, (c) => `\\${c}`);
}

/** The text Kea's parser reads back into `list` (names with their trailing dot). */
export function dnrText(list: readonly DnrInstance[]): string {
  return list
    .map((d) => {
      const fields = [String(d.priority), `${d.adn}.`];
      if (d.addresses !== undefined) fields.push(d.addresses.join(' '));
      const p = d.params;
      if (p !== undefined) {
        const kv: string[] = [];
        if (p.alpn !== undefined) kv.push(`alpn=${p.alpn.map(escape).join('\\,')}`);
        if (p.port !== undefined) kv.push(`port=${p.port}`);
        if (p.dohpath !== undefined) kv.push(`dohpath=${escape(p.dohpath)}`);
        if (kv.length > 0) fields.push(kv.join(' '));
      }
      return fields.join(', ');
    })
    .join(' | ');
}
