import { assert, toHex } from "../util/index.ts";
import { PathIssue, toFieldError } from "./path.ts";
import { CODEC_DEPTH_MAX_CEILING, CODEC_DEPTH_MAX_DEFAULT } from "./types.ts";
import type { CborValue } from "./types.ts";
import { measureValue } from "./value.ts";
import type { ValueRules } from "./value.ts";

/**
 * JSON bridge for the REST API and the CLI, where users send JSON.
 *
 * JSON has no byte strings. `fromJsonValue` therefore yields only JSON types, and
 * `toJsonValue` shows byte strings as lowercase hex strings: a one-way view for display,
 * so bytes do not round-trip through JSON. Fields that are bytes in a schema (hashes,
 * addresses) are converted from hex at the API layer, where their meaning is known.
 */

export type FromJsonOptions = {
  /** Deepest nesting of arrays and objects; default CODEC_DEPTH_MAX_DEFAULT. */
  readonly maxDepth?: number;
};

/**
 * Checks that a parsed JSON value (e.g. a request body field) is in the data model and
 * returns it typed, unchanged: finite numbers, integers within |n| <= 2^53-1 (JSON.parse
 * rounds larger ones silently, so they are refused rather than trusted), well-formed
 * strings, arrays and plain objects. Throws GhostmeshError CODEC_SCHEMA naming the path.
 */
export function fromJsonValue(value: unknown, path: string, opts: FromJsonOptions = {}): CborValue {
  const depthMax = opts.maxDepth ?? CODEC_DEPTH_MAX_DEFAULT;
  assert(
    Number.isSafeInteger(depthMax) && depthMax >= 0 && depthMax <= CODEC_DEPTH_MAX_CEILING,
    "codec: bad fromJsonValue maxDepth",
  );
  const rules: ValueRules = { depthMax, bytesAllowed: false };
  try {
    measureValue(value, 0, rules);
  } catch (err) {
    if (err instanceof PathIssue) throw toFieldError("CODEC_SCHEMA", err, path);
    throw err;
  }
  return value as CborValue;
}

/** A JSON-serialisable copy of `value`, with byte strings as lowercase hex strings. */
export function toJsonValue(value: CborValue): unknown {
  return toJsonAt(value, 0);
}

function toJsonAt(value: CborValue, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return toHex(value);
  // CborValues come from decodeCanonical or a checked schema, so this holds; it also
  // keeps a cyclic object handed in by mistake from recursing without end.
  assert(depth < CODEC_DEPTH_MAX_CEILING, "codec: toJsonValue input nests too deep");
  if (Array.isArray(value)) {
    const items: readonly CborValue[] = value;
    return items.map((item) => toJsonAt(item, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Readonly<Record<string, CborValue | undefined>>)[key];
    if (item === undefined) continue;
    // A plain assignment to "__proto__" would set the prototype instead of a property.
    Object.defineProperty(out, key, { value: toJsonAt(item, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
