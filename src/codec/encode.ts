import { encodeInto } from "cborg";
import type { EncodeOptions } from "cborg";
import { AssertionError, GhostmeshError, assert } from "../util/index.ts";
import { PathIssue, toFieldError } from "./path.ts";
import { CODEC_DEPTH_MAX_DEFAULT } from "./types.ts";
import { measureValue } from "./value.ts";
import type { ValueRules } from "./value.ts";

/**
 * cborg's default map sorter orders keys length-first, then bytewise. For text-string keys
 * (the only keys the data model has) that is exactly RFC 8949 §4.2.1 bytewise order of the
 * encoded keys, because the key's head encodes its UTF-8 length before the bytes; and it
 * keeps cborg on its fast direct-encode path (the `rfc8949EncodeOptions` sorter does not).
 * Integers and lengths are always shortest, floats are the shortest width that preserves
 * the value, and cborg never emits indefinite lengths or tags for our types.
 */
const ENCODE_OPTIONS: EncodeOptions = Object.freeze({ ignoreUndefinedProperties: true });

const ENCODE_RULES: ValueRules = Object.freeze({ depthMax: CODEC_DEPTH_MAX_DEFAULT, bytesAllowed: true });

/**
 * Encodes `value` as deterministic CBOR (RFC 8949 §4.2.1 core deterministic encoding).
 * Equal values give equal bytes whatever the key insertion order.
 *
 * Object properties whose value is `undefined` are omitted, so optional fields may be left
 * unset. Everything else outside the data model (types.ts) throws CODEC_UNENCODABLE naming
 * the path, e.g. `tx.body.amount: cannot encode: expected a safe integer ..., got 1e+300`:
 * undefined array elements, bigint, NaN, Infinity, unsafe integers, functions, symbols,
 * class instances (Date, Map...), typed arrays other than Uint8Array, strings with lone
 * surrogates, and nesting deeper than CODEC_DEPTH_MAX_DEFAULT (which also catches cycles).
 * Number -0 encodes as integer 0 (JavaScript cannot tell them apart in the model).
 */
export function encodeCanonical(value: unknown, rootName = "value"): Uint8Array {
  let sizeBytes: number;
  try {
    sizeBytes = measureValue(value, 0, ENCODE_RULES);
  } catch (err) {
    if (err instanceof PathIssue) throw toFieldError("CODEC_UNENCODABLE", err, rootName, "cannot encode: ");
    throw err;
  }
  // The measured size lets cborg write straight into the final buffer, and doubles as a
  // check that the walker and the encoder agree on every value.
  const out = new Uint8Array(sizeBytes);
  let written: number;
  try {
    written = encodeInto(value, out, ENCODE_OPTIONS).written;
  } catch (err) {
    throw changedWhileEncoding(err, rootName);
  }
  assert(written === sizeBytes, `codec: encoded ${written} bytes but measured ${sizeBytes}`);
  return out;
}

/** Only getters or proxies that change between the two passes can get cborg to fail. */
function changedWhileEncoding(err: unknown, rootName: string): Error {
  if (err instanceof AssertionError) return err;
  return new GhostmeshError(
    "CODEC_UNENCODABLE",
    `${rootName}: cannot encode: the value changed while being encoded (getters and proxies are not supported)`,
    { field: rootName, expected: "a stable value", got: "a value that changed" },
    { cause: err },
  );
}
