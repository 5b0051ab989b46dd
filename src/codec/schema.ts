import { GhostmeshError } from "../util/index.ts";
import { decodeCanonical } from "./decode.ts";
import { array, nullable, object, optional, record } from "./schema-compound.ts";
import type { Schema } from "./schema-core.ts";
import { bool, bytes, int, literal, nul, oneOf, string, uint } from "./schema-scalars.ts";
import { refine, union, value } from "./schema-special.ts";
import type { DecodeOptions } from "./types.ts";

export type { Infer, InferShape, LiteralSchema, ObjectSchema, OptionalSchema, Schema, SchemaShape } from "./schema-core.ts";
export type { BytesOptions, IntegerOptions, StringOptions } from "./schema-scalars.ts";
export type { ArrayOptions, ObjectOptions, RecordOptions } from "./schema-compound.ts";
export type { ValueOptions } from "./schema-special.ts";

/**
 * Schema combinators. Every container takes a limit (maxLength, maxEntries, maxDepth...),
 * so no schema accepts unbounded input. Example:
 *
 *   const txSchema = s.object({
 *     nonce: s.uint(),
 *     memo: s.optional(s.string({ maxLength: 256 })),
 *     records: s.array(recordSchema, { maxLength: 1000 }),
 *   });
 *   type Tx = Infer<typeof txSchema>; // { nonce: number; records: ...[]; memo?: string }
 */
export const s = {
  uint,
  int,
  bool,
  nul,
  string,
  bytes,
  literal,
  oneOf,
  array,
  object,
  optional,
  nullable,
  record,
  union,
  value,
  refine,
} as const;

/**
 * Checks `value` against `schema`; throws GhostmeshError CODEC_SCHEMA with
 * `meta = { field, expected, got }`, the path starting at `rootName` (e.g. "tx").
 */
export function parseWith<T>(schema: Schema<T>, value: unknown, rootName: string): T {
  return schema.parse(value, rootName);
}

/**
 * decodeCanonical, then parseWith. Decode errors keep their code and meta and get
 * `rootName` in front of their message ("tx: non-canonical CBOR at offset 12: ...").
 */
export function decodeWith<T>(schema: Schema<T>, encoded: Uint8Array, rootName: string, opts?: DecodeOptions): T {
  let decoded: unknown;
  try {
    decoded = decodeCanonical(encoded, opts);
  } catch (err) {
    if (err instanceof GhostmeshError) throw new GhostmeshError(err.code, `${rootName}: ${err.message}`, err.meta);
    throw err;
  }
  return schema.parse(decoded, rootName);
}
