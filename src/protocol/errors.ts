import { LeasekeeperError } from '../errors.ts';
/** Stable codes of {@link DhcpDecodeError}: one per way wire input can be unusable. */
export type DecodeErrorCode =
  | 'ERR_DECODE_TRUNCATED_HEADER'
  | 'ERR_DECODE_BAD_MAGIC_COOKIE'
  | 'ERR_DECODE_BAD_HLEN'
  | 'ERR_DECODE_TRUNCATED_OPTION'
  | 'ERR_DECODE_BAD_MESSAGE_TYPE';

/** Wire input that cannot be read as a DHCPv4 message. The only error decoding ever throws. */
export class DhcpDecodeError extends LeasekeeperError {
  override name = 'DhcpDecodeError';
  declare readonly code: DecodeErrorCode;
  /** Byte offset in the packet where the problem was found, when it has one. */
  readonly offset: number | undefined;

  constructor(code: DecodeErrorCode, message: string, offset?: number) {
    super(code, offset === undefined ? message : `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** Stable codes of {@link DhcpEncodeError}. */
export type EncodeErrorCode =
  | 'ERR_ENCODE_UNKNOWN_OPTION'
  | 'ERR_ENCODE_BAD_OPTION_VALUE'
  | 'ERR_ENCODE_BAD_FIELD'
  | 'ERR_ENCODE_MESSAGE_TOO_LARGE';

/** A value that cannot be put on the wire: thrown by `options.set`, `setRaw` and `encodeMessage`. */
export class DhcpEncodeError extends LeasekeeperError {
  override name = 'DhcpEncodeError';
  declare readonly code: EncodeErrorCode;

  constructor(code: EncodeErrorCode, message: string) {
    super(code, message);
  }
}

/** Something odd but survivable in a decoded packet, reported on `DhcpMessage.warnings`. */
export interface DecodeWarning {
  /** `ERR_DECODE_BAD_OPTION_LENGTH`: a known option whose bytes do not fit its type; it is kept raw. */
  readonly code: 'ERR_DECODE_BAD_OPTION_LENGTH' | 'ERR_DECODE_BAD_OVERLOAD';
  /** The option code concerned. */
  readonly option: number;
  readonly message: string;
}

/** A value for an error message that cannot itself throw (no toString or toJSON of the caller's object). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return v.length > 40 ? `'${v.slice(0, 40)}...'` : `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined)
    return String(v);
  if (v === null) return 'null';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'function') return 'a function';
  return Array.isArray(v) ? 'an array' : v instanceof Uint8Array ? 'bytes' : 'an object';
}
