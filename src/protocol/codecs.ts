/** The value codecs the option table is built from, one module per family; see docs/protocol.md. */
export type { CodecValue, ValueCodec } from './codecs/codec.ts';
// Each family module exports its codecs and their value types, nothing else.
export * from './codecs/scalar.ts';
export * from './codecs/names.ts';
export * from './codecs/dnr.ts';
export * from './codecs/routes.ts';
export * from './codecs/tlv.ts';
