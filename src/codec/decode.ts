import { decodeFirst } from "cborg";
import type { DecodeOptions as CborgDecodeOptions } from "cborg";
import { AssertionError, GhostmeshError, assert } from "../util/index.ts";
import { decodeDirect } from "./direct.ts";
import { decodeError } from "./errors.ts";
import type { CodecDecodeError } from "./errors.ts";
import { endOfInput, malformed } from "./head.ts";
import { CanonicalTokenizer } from "./tokenizer.ts";
import { CODEC_DEPTH_MAX_CEILING, CODEC_DEPTH_MAX_DEFAULT, CODEC_SIZE_BYTES_MAX_DEFAULT } from "./types.ts";
import type { CborValue, DecodeOptions } from "./types.ts";

/**
 * cborg's own strictness, kept as a second line behind CanonicalTokenizer (which rejects
 * all of these first, with precise codes). NaN/Infinity are let through cborg so the
 * tokenizer can report them itself; tags get no decoders, so cborg refuses them too.
 */
const CBORG_STRICT_OPTIONS: CborgDecodeOptions = Object.freeze({
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowBigInt: false,
  allowNaN: true,
  allowInfinity: true,
  useMaps: false,
  rejectDuplicateMapKeys: true,
});

const CBORG_ERROR_PREFIX = /^CBOR decode error: /;

const tokenizer = new CanonicalTokenizer(CBORG_STRICT_OPTIONS);
const CBORG_DECODE_OPTIONS: CborgDecodeOptions = Object.freeze({ ...CBORG_STRICT_OPTIONS, tokenizer });

/**
 * Decodes one canonical CBOR data item (RFC 8949 §4.2.1) of the Ghostmesh data model
 * (types.ts) and checks that `bytes` is exactly its canonical encoding, so
 * `encodeCanonical(decodeCanonical(b))` equals `b` for every accepted `b`.
 *
 * Every failure is a GhostmeshError, whatever the bytes:
 * - CODEC_TOO_LARGE: more than `maxBytes` (default 4 MiB) bytes; {sizeBytes, sizeBytesMax};
 * - CODEC_TOO_DEEP: arrays/maps nested deeper than `maxDepth` (default 32); {offset, depthMax};
 * - CODEC_NOT_CANONICAL: valid CBOR in a non-deterministic form: non-shortest integers,
 *   lengths or floats, integral floats (and -0), indefinite lengths, unsorted or duplicate
 *   map keys; {offset};
 * - CODEC_MALFORMED: truncated input, trailing bytes, reserved bytes, invalid UTF-8, and
 *   what the data model excludes: tags, undefined, other simple values, non-string map
 *   keys, NaN, Infinity, integers beyond 2^53-1; {offset}.
 * Byte strings in the result are copies, never views into `bytes`, unless `byteStringViews`
 * is set (then canonical input gives views; anything else still gives copies).
 */
export function decodeCanonical(bytes: Uint8Array, opts: DecodeOptions = {}): CborValue {
  const sizeBytesMax = opts.maxBytes ?? CODEC_SIZE_BYTES_MAX_DEFAULT;
  const depthMax = opts.maxDepth ?? CODEC_DEPTH_MAX_DEFAULT;
  assert(Number.isSafeInteger(sizeBytesMax) && sizeBytesMax >= 0, "codec: maxBytes must be a non-negative integer");
  assert(
    Number.isSafeInteger(depthMax) && depthMax >= 0 && depthMax <= CODEC_DEPTH_MAX_CEILING,
    `codec: maxDepth must be an integer from 0 to ${CODEC_DEPTH_MAX_CEILING}`,
  );
  if (!(bytes instanceof Uint8Array)) {
    throw decodeError("CODEC_MALFORMED", "CBOR input must be a Uint8Array", {});
  }
  if (bytes.byteLength > sizeBytesMax) {
    throw decodeError("CODEC_TOO_LARGE", `CBOR input of ${bytes.byteLength} bytes exceeds the limit of ${sizeBytesMax} bytes`, {
      sizeBytes: bytes.byteLength,
      sizeBytesMax,
    });
  }
  if (bytes.byteLength === 0) throw endOfInput(bytes);
  // A plain view: cborg copies byte strings with slice(), which on a Buffer would alias.
  const data = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Canonical input (nearly all of it) takes the direct path; anything else, valid or not,
  // goes through cborg and the checking tokenizer, which also produce every error.
  return decodeDirect(data, depthMax, opts.byteStringViews === true) ?? decodeWithTokenizer(data, depthMax);
}

/**
 * The full decoder behind decodeCanonical: cborg driven by CanonicalTokenizer. Exported for
 * the tests that check the direct path against it; `data` is a non-empty plain Uint8Array
 * within the size limit.
 */
export function decodeWithTokenizer(data: Uint8Array, depthMax: number): CborValue {
  tokenizer.reset(data, depthMax);
  try {
    const value = decodeFirst(data, CBORG_DECODE_OPTIONS)[0] as CborValue;
    const end = tokenizer.pos();
    if (end !== data.length) throw malformed(`${data.length - end} trailing byte(s) after the data item`, end);
    return value;
  } catch (err) {
    throw toDecodeError(err, data, tokenizer.pos());
  } finally {
    tokenizer.release();
  }
}

/**
 * Our own checks throw GhostmeshErrors. What cborg itself can still reject after them is a
 * container that runs out of input (its count fits the bytes left, but nested items eat
 * them), or anything a future cborg version adds: both become CODEC_MALFORMED.
 */
function toDecodeError(err: unknown, data: Uint8Array, position: number): Error {
  if (err instanceof GhostmeshError || err instanceof AssertionError) return err;
  if (position >= data.length) return endOfInput(data);
  const reason = err instanceof Error ? err.message.replace(CBORG_ERROR_PREFIX, "") : String(err);
  const wrapped: CodecDecodeError = malformed(reason, position);
  return wrapped;
}
