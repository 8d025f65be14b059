import type { z } from 'zod';
import { IGNORED_KEYS } from './ignored-keys.ts';
import { refusalReason } from './refused-keys.ts';
import { dhcp4Schema } from './schema.ts';
import { UNNEEDED_KEYS } from './unneeded-keys.ts';

/**
 * The table of Kea `Dhcp4` keys in docs/configuration.md, generated from the schema so that it cannot
 * drift: a key the schema defines is honoured, accepted with a warning when src/config/ignored-keys.ts
 * names it, or accepted as not needed when src/config/unneeded-keys.ts does; a Kea key it lacks is refused,
 * with the reason below. `[]` stands for every list element.
 */
export type KeyStatus = 'honoured' | 'not-needed' | 'warned' | 'refused';

export interface KeyRow {
  readonly path: string;
  readonly status: KeyStatus;
  readonly note: string;
}

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly catchall?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Every key path the schema defines below `Dhcp4`, and the maps that pass unknown keys on (loose maps). */
export function schemaKeyPaths(): { paths: string[]; loose: string[] } {
  const paths: string[] = [];
  const loose: string[] = [];
  const walk = (schema: z.ZodType, at: string): void => {
    const def = defOf(schema);
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') {
      walk(def.innerType as z.ZodType, at);
    } else if (def.type === 'pipe') {
      walk(def.in as z.ZodType, at);
    } else if (def.type === 'array') {
      walk(def.element as z.ZodType, `${at}[]`);
    } else if (def.type === 'object') {
      if (def.catchall !== undefined && defOf(def.catchall).type !== 'never') loose.push(at);
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        const path = `${at}.${key}`;
        paths.push(path);
        if (key !== 'user-context') walk(child, path);
      }
    }
  };
  walk(dhcp4Schema, 'Dhcp4');
  return { paths, loose };
}

/** The key paths of a Kea `Dhcp4` object, such as Kea's all-keys.json (user-context contents skipped). */
export function keaKeyPaths(dhcp4: unknown): string[] {
  const out = new Set<string>();
  const walk = (value: unknown, at: string): void => {
    if (Array.isArray(value)) for (const v of value) walk(v, `${at}[]`);
    else if (value !== null && typeof value === 'object')
      for (const [key, child] of Object.entries(value)) {
        out.add(`${at}.${key}`);
        if (key !== 'user-context' && key !== 'parameters') walk(child, `${at}.${key}`);
      }
  };
  walk(dhcp4, 'Dhcp4');
  return [...out];
}

const IGNORED_BY_PATH = new Map([...IGNORED_KEYS].map(([p, why]) => [`Dhcp4.${p}`, why]));
const UNNEEDED_BY_PATH = new Map([...UNNEEDED_KEYS].map(([p, why]) => [`Dhcp4.${p}`, why]));

function schemaKeyRow(path: string): KeyRow {
  const ignored = IGNORED_BY_PATH.get(path);
  if (ignored !== undefined) return { path, status: 'warned', note: ignored };
  const unneeded = UNNEEDED_BY_PATH.get(path);
  if (unneeded !== undefined) return { path, status: 'not-needed', note: unneeded };
  return { path, status: 'honoured', note: '' };
}

/** The rows for every key the schema defines and every key of the given Kea paths, sorted by path. */
export function keyTable(keaPaths: readonly string[]): KeyRow[] {
  const { paths, loose } = schemaKeyPaths();
  const known = new Set(paths);
  const rows = new Map<string, KeyRow>();
  for (const path of paths) rows.set(path, schemaKeyRow(path));
  for (const path of keaPaths) {
    if (known.has(path) || rows.has(path)) continue;
    if (loose.some((l) => path.startsWith(`${l}.`))) {
      rows.set(path, { path, status: 'honoured', note: 'passed to the built-in hook' });
      continue;
    }
    if ([...known].some((k) => path.startsWith(`${k}.`) && k.endsWith('user-context'))) continue;
    // Below a refused key, its own row says it all.
    if ([...rows.values()].some((r) => r.status === 'refused' && path.startsWith(`${r.path}.`))) continue;
    if ([...rows.values()].some((r) => r.status === 'refused' && path.startsWith(`${r.path}[]`))) continue;
    const reason = refusalReason(path) ?? 'not supported';
    rows.set(path, { path, status: 'refused', note: reason });
  }
  return [...rows.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const WORDS: Readonly<Record<KeyStatus, string>> = {
  honoured: 'honoured',
  'not-needed': 'accepted, not needed',
  warned: 'accepted, warned, ignored',
  refused: '**refused**',
};

/** The rows as a Markdown table. */
export function keyTableMarkdown(rows: readonly KeyRow[]): string {
  const lines = ['| key | status | note |', '| --- | --- | --- |'];
  for (const r of rows)
    lines.push(`| \`${r.path}\` | ${WORDS[r.status]} | ${r.note.replace(/\|/g, '\\|')} |`);
  return `${lines.join('\n')}\n`;
}
