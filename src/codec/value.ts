import { encode } from "cborg";
import { PathIssue, describeValue, rethrowWithSegment } from "./path.ts";

/**
 * One walker checks that an arbitrary JavaScript value belongs to the CBOR data model
 * (types.ts) and computes the exact size of its canonical encoding in the same pass.
 * `encodeCanonical`, `s.value()` and `fromJsonValue` all use it, so the three agree on
 * what a value is. Object properties whose value is `undefined` are skipped (they are
 * omitted from the encoding), which lets optional TypeScript fields be left unset.
 */
export type ValueRules = {
  readonly depthMax: number;
  /** False for JSON input, whose data model has no byte strings. */
  readonly bytesAllowed: boolean;
};

/** Strings longer than this are measured natively instead of by the JavaScript loop. */
const STRING_LOOP_CHARS_MAX = 64;

export const NUMBER_EXPECTED = "a safe integer (|n| <= 2^53-1) or a finite non-integral number";
const CBOR_VALUE_EXPECTED = "null, a boolean, a number, a string, bytes, an array or a plain object";
const JSON_VALUE_EXPECTED = "null, a boolean, a number, a string, an array or a plain object";
const STRING_EXPECTED = "a well-formed Unicode string";

/** Size of a CBOR head (initial byte plus argument) carrying `argument`. */
export function headSizeBytes(argument: number): number {
  if (argument < 24) return 1;
  if (argument < 0x100) return 2;
  if (argument < 0x10000) return 3;
  if (argument < 0x100000000) return 5;
  return 9;
}

/** UTF-8 length of `text`, or -1 when it holds a lone surrogate (not encodable as UTF-8). */
export function utf8LengthOrInvalid(text: string): number {
  const length = text.length;
  if (length > STRING_LOOP_CHARS_MAX) return text.isWellFormed() ? Buffer.byteLength(text, "utf8") : -1;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 3;
    else if (unit > 0xdbff) return -1;
    else {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    }
  }
  return bytes;
}

function measureString(text: string): number {
  const bytes = utf8LengthOrInvalid(text);
  if (bytes < 0) throw new PathIssue(STRING_EXPECTED, "a string with a lone surrogate");
  return headSizeBytes(bytes) + bytes;
}

function measureNumber(value: number): number {
  if (Number.isSafeInteger(value)) return headSizeBytes(value < 0 ? -1 - value : value);
  if (!Number.isFinite(value) || Number.isInteger(value)) {
    throw new PathIssue(NUMBER_EXPECTED, describeValue(value));
  }
  // Floats are rare (user audit data only): ask cborg for the width it will really use.
  return encode(value).byteLength;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Returns the canonical encoded size of `value` in bytes; throws PathIssue naming what is
 * wrong. `depth` counts the containers around `value` (0 at the top).
 */
export function measureValue(value: unknown, depth: number, rules: ValueRules): number {
  if (value === null || value === true || value === false) return 1;
  switch (typeof value) {
    case "string":
      return measureString(value);
    case "number":
      return measureNumber(value);
    case "object":
      break;
    default:
      throw unsupported(value, rules);
  }
  if (value instanceof Uint8Array) {
    if (!rules.bytesAllowed) throw unsupported(value, rules);
    return headSizeBytes(value.byteLength) + value.byteLength;
  }
  if (depth >= rules.depthMax) {
    throw new PathIssue(`nesting at most ${rules.depthMax} deep`, "deeper nesting (or a cycle)");
  }
  if (Array.isArray(value)) return measureArray(value, depth, rules);
  if (!isPlainObject(value)) throw unsupported(value, rules);
  return measureObject(value as Record<string, unknown>, depth, rules);
}

function measureArray(items: readonly unknown[], depth: number, rules: ValueRules): number {
  let sizeBytes = headSizeBytes(items.length);
  let i = 0;
  try {
    for (; i < items.length; i++) {
      const item = items[i];
      // Holes and undefined elements would silently shift every later index: refuse them.
      if (item === undefined) throw unsupported(item, rules);
      sizeBytes += measureValue(item, depth + 1, rules);
    }
  } catch (err) {
    rethrowWithSegment(err, i);
  }
  return sizeBytes;
}

function measureObject(object: Record<string, unknown>, depth: number, rules: ValueRules): number {
  const keys = Object.keys(object);
  let sizeBytes = 0;
  let count = 0;
  let key = "";
  try {
    for (let i = 0; i < keys.length; i++) {
      key = keys[i] as string;
      const item = object[key];
      if (item === undefined) continue;
      count++;
      sizeBytes += measureString(key) + measureValue(item, depth + 1, rules);
    }
  } catch (err) {
    rethrowWithSegment(err, key);
  }
  return headSizeBytes(count) + sizeBytes;
}

function unsupported(value: unknown, rules: ValueRules): PathIssue {
  if (typeof value === "bigint") return new PathIssue(NUMBER_EXPECTED, "bigint");
  const got = value === undefined ? "undefined" : describeValue(value);
  return new PathIssue(rules.bytesAllowed ? CBOR_VALUE_EXPECTED : JSON_VALUE_EXPECTED, got);
}
