/**
 * codec: deterministic CBOR (RFC 8949 §4.2.1) for everything Ghostmesh signs, hashes,
 * sends or stores, and schemas that check every decoded object. The only import surface
 * of the module.
 */
export type { CborMap, CborValue, DecodeOptions } from "./types.ts";
export { CODEC_DEPTH_MAX_CEILING, CODEC_DEPTH_MAX_DEFAULT, CODEC_SIZE_BYTES_MAX_DEFAULT } from "./types.ts";
export { CodecErrorCode, isCodecError } from "./errors.ts";
export type {
  CodecDecodeError,
  CodecDecodeErrorCode,
  CodecDecodeErrorMeta,
  CodecError,
  CodecFieldErrorMeta,
  CodecSchemaError,
  CodecUnencodableError,
} from "./errors.ts";
export { encodeCanonical } from "./encode.ts";
export { decodeCanonical } from "./decode.ts";
export { CBOR_MAJOR_ARRAY, CBOR_MAJOR_MAP, readHead, readText, skipValue, skipValueSpan, walkArray, walkCursor, walkMap, type WalkCursor } from "./walk.ts";
export { s, parseWith, decodeWith } from "./schema.ts";
export type {
  ArrayOptions,
  BytesOptions,
  Infer,
  InferShape,
  IntegerOptions,
  LiteralSchema,
  ObjectSchema,
  OptionalSchema,
  RecordOptions,
  Schema,
  SchemaShape,
  StringOptions,
  ValueOptions,
} from "./schema.ts";
export { fromJsonValue, toJsonValue } from "./json.ts";
export type { FromJsonOptions } from "./json.ts";
