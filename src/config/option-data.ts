import type { OptionDataJson } from './schema.ts';
import type { CompiledOption } from './types.ts';

export type OptionDataResult = { ok: true; option: CompiledOption } | { ok: false; message: string };

/** Kea's binary form: hex digits, optionally separated by ':', ' ' or '-', optional 0x prefix. */
export function parseHex(s: string): Uint8Array | undefined {
  const hex = s
    .trim()
    .replace(/^0x/i, '')
    .replace(/[:\s-]/g, '');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function encodeOptionData(entry: OptionDataJson): OptionDataResult {
  if (entry.code === undefined) return { ok: false, message: 'not yet' };
  const data = parseHex(entry.data ?? '');
  if (!data) return { ok: false, message: 'bad hex' };
  return {
    ok: true,
    option: {
      code: entry.code,
      name: entry.name ?? `option-${entry.code}`,
      data,
      alwaysSend: entry['always-send'] ?? false,
      neverSend: entry['never-send'] ?? false,
    },
  };
}
