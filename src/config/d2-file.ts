import { readFileSync } from 'node:fs';
import { parseConfig } from './compile.ts';
import { DEFAULT_MAX_JSON_DEPTH, parseConfigText, parseKeaJson, type KeaTextSource } from './text.ts';
import { ConfigError, type ParseResult } from './types.ts';

/**
 * Kea D2's own configuration file (`kea-dhcp-ddns.conf`, `{"DhcpDdns": {...}}`), as `serve --ddns-config`
 * reads it: Kea's lexer (comments, trailing commas, `<?include?>` confined to that file's directory), then
 * its `DhcpDdns` object is put beside `Dhcp4` and validated with the rest of the configuration. See
 * docs/ddns.md.
 */

const refuse = (path: string, message: string): never => {
  throw new ConfigError([{ path, message }]);
};

/** The `DhcpDdns` object of a D2 file; throws ConfigError naming the file when it cannot be read or has no such object. */
export function readD2File(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return refuse(
      '--ddns-config',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let json: unknown;
  try {
    json = parseKeaJson(text, DEFAULT_MAX_JSON_DEPTH, { file });
  } catch (err) {
    return refuse(
      '--ddns-config',
      `${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('DhcpDdns' in json))
    return refuse('--ddns-config', `${file}: expected a Kea D2 file, {"DhcpDdns": {...}}`);
  const other = Object.keys(json).filter((k) => k !== 'DhcpDdns');
  if (other.length > 0)
    refuse(
      '--ddns-config',
      `${file}: only DhcpDdns is read from a --ddns-config file (${other.map((k) => JSON.stringify(k)).join(', ')} given)`,
    );
  return (json as { DhcpDdns: unknown }).DhcpDdns;
}

/**
 * The main configuration with the D2 file's section beside `Dhcp4`; refused when the main file has its own
 * `DhcpDdns` (one place only, so there is no question which one applies).
 */
export function withD2Section(main: unknown, d2: unknown, files: { main: string; d2: string }): unknown {
  if (typeof main !== 'object' || main === null || Array.isArray(main)) return main;
  if ('DhcpDdns' in main)
    refuse('DhcpDdns', `given both in ${files.main} and in ${files.d2} (--ddns-config): keep one of them`);
  return { ...main, DhcpDdns: d2 };
}

/**
 * `parseConfigText` for a main file and, when given, a D2 file whose `DhcpDdns` goes beside `Dhcp4`: what
 * `serve --config F --ddns-config D` starts with and `serve --test` checks.
 */
export function parseConfigFiles(
  text: string,
  source: KeaTextSource & { readonly ddnsConfigFile?: string | undefined },
): ParseResult {
  const d2File = source.ddnsConfigFile;
  if (d2File === undefined) return parseConfigText(text, source);
  let json: unknown;
  try {
    json = parseKeaJson(text, DEFAULT_MAX_JSON_DEPTH, source);
  } catch {
    return parseConfigText(text, source); // reports the main file's syntax error as usual
  }
  try {
    return parseConfig(
      withD2Section(json, readD2File(d2File), { main: source.file ?? 'the configuration', d2: d2File }),
    );
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err };
    throw err;
  }
}
