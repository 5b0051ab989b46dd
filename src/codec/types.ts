/**
 * The data model of Ghostmesh's canonical CBOR: what `decodeCanonical` returns and what
 * `encodeCanonical` accepts. It is the JSON data model plus byte strings:
 *
 * - integers are JavaScript numbers within the safe range (|n| <= 2^53-1); bigint is not
 *   part of the model (amounts that could exceed 2^53 must be carried as decimal strings);
 * - finite non-integral numbers are floats (user audit data only; the deterministic core
 *   never uses them);
 * - map keys are text strings only, so maps are plain objects.
 */
export type CborValue = null | boolean | number | string | Uint8Array | readonly CborValue[] | CborMap;

export interface CborMap {
  readonly [key: string]: CborValue;
}

export type DecodeOptions = {
  /** Inputs longer than this are refused before any parsing. */
  readonly maxBytes?: number;
  /** Deepest allowed nesting of arrays and maps; a top-level container is depth 1. */
  readonly maxDepth?: number;
  /**
   * Byte strings of the result may be views into the input instead of copies (canonical input
   * then allocates no buffer per byte string). Only for a caller that never modifies the input
   * afterwards and accepts that the views keep the input's whole ArrayBuffer alive.
   */
  readonly byteStringViews?: boolean;
};

/** Default input limit: a block or snapshot chunk is far smaller; a bigger input is an attack. */
export const CODEC_SIZE_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;

/**
 * Default nesting limit for decode, and the fixed limit for encode, so that everything
 * `encodeCanonical` produces decodes with default options. Ledger objects nest < 10 deep.
 */
export const CODEC_DEPTH_MAX_DEFAULT = 32;

/**
 * Hard ceiling for the `maxDepth` option: the decoder and the value walkers recurse once
 * per level, and this keeps them far from the JavaScript stack limit.
 */
export const CODEC_DEPTH_MAX_CEILING = 256;
