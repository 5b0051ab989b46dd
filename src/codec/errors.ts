import { GhostmeshError } from "../util/index.ts";

/** Every operating error of the codec module carries one of these codes. */
export const CodecErrorCode = {
  /** The bytes are not (supported) CBOR: truncated, trailing bytes, tags, undefined, NaN... */
  malformed: "CODEC_MALFORMED",
  /** Well-formed CBOR that is not in the one deterministic form (RFC 8949 §4.2.1). */
  notCanonical: "CODEC_NOT_CANONICAL",
  /** The input is longer than `maxBytes`. */
  tooLarge: "CODEC_TOO_LARGE",
  /** Arrays and maps nest deeper than `maxDepth`. */
  tooDeep: "CODEC_TOO_DEEP",
  /** `encodeCanonical` was given something outside the data model (see types.ts). */
  unencodable: "CODEC_UNENCODABLE",
  /** A value does not match its schema. */
  schema: "CODEC_SCHEMA",
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

export type CodecDecodeErrorCode = "CODEC_MALFORMED" | "CODEC_NOT_CANONICAL" | "CODEC_TOO_LARGE" | "CODEC_TOO_DEEP";

/** `offset` is the byte position of the offending data item in the input. */
export type CodecDecodeErrorMeta = {
  offset?: number;
  sizeBytes?: number;
  sizeBytesMax?: number;
  depthMax?: number;
};

/** `field` is the path of the offending value, e.g. `tx.body.records[3].action`. */
export type CodecFieldErrorMeta = {
  field: string;
  expected: string;
  got: string;
};

export type CodecDecodeError = GhostmeshError<CodecDecodeErrorCode, CodecDecodeErrorMeta>;
export type CodecUnencodableError = GhostmeshError<"CODEC_UNENCODABLE", CodecFieldErrorMeta>;
export type CodecSchemaError = GhostmeshError<"CODEC_SCHEMA", CodecFieldErrorMeta>;
export type CodecError = CodecDecodeError | CodecUnencodableError | CodecSchemaError;

const CODEC_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(CodecErrorCode));

export function isCodecError(err: unknown): err is CodecError {
  return err instanceof GhostmeshError && CODEC_ERROR_CODES.has(err.code);
}

export function decodeError(code: CodecDecodeErrorCode, message: string, meta: CodecDecodeErrorMeta): CodecDecodeError {
  return new GhostmeshError(code, message, meta);
}
