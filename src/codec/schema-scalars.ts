import { assert } from "../util/index.ts";
import { PathIssue, countText } from "./path.ts";
import { defineSchema, showValue, typeIssue } from "./schema-core.ts";
import type { LiteralSchema, Schema } from "./schema-core.ts";
import { utf8LengthOrInvalid } from "./value.ts";

export type IntegerOptions = { readonly min?: number; readonly max?: number };

function rangeText(min: number, max: number, floor: number): string {
  const hasMax = max !== Number.MAX_SAFE_INTEGER;
  if (min !== floor && hasMax) return min === max ? ` equal to ${min}` : ` from ${min} to ${max}`;
  if (hasMax) return ` at most ${max}`;
  return min !== floor ? ` at least ${min}` : "";
}

function integerSchema(noun: string, floor: number, opts: IntegerOptions): Schema<number> {
  const min = opts.min ?? floor;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && floor <= min && min <= max, `codec: bad ${noun} bounds`);
  const describe = `${noun}${rangeText(min, max, floor)}`;
  return defineSchema(describe, (value: unknown): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < floor) {
      throw typeIssue(noun, value);
    }
    if (value < min || value > max) throw new PathIssue(describe, String(value));
    return value;
  });
}

/** A safe non-negative integer (0 <= n <= 2^53-1), optionally bounded. */
export function uint(opts: IntegerOptions = {}): Schema<number> {
  return integerSchema("an unsigned integer", 0, opts);
}

/** A safe integer (|n| <= 2^53-1), optionally bounded. */
export function int(opts: IntegerOptions = {}): Schema<number> {
  return integerSchema("an integer", Number.MIN_SAFE_INTEGER, opts);
}

export function bool(): Schema<boolean> {
  return defineSchema("a boolean", (value: unknown): boolean => {
    if (typeof value !== "boolean") throw typeIssue("a boolean", value);
    return value;
  });
}

export function nul(): Schema<null> {
  return defineSchema("null", (value: unknown): null => {
    if (value !== null) throw typeIssue("null", value);
    return value;
  });
}

function sizeText(min: number, max: number): string {
  if (min === max) return `exactly ${max} bytes`;
  return min > 0 ? `${min} to ${max} bytes` : `at most ${max} bytes`;
}

export type StringOptions = {
  /** Limits count UTF-8 bytes, not characters: bytes are what storage and the wire pay for. */
  readonly maxLength: number;
  readonly minLength?: number;
  /** Tested against the whole string; anchor it (^...$). Flags g and y are refused (stateful). */
  readonly pattern?: RegExp;
  /** Shown in errors instead of the pattern source, e.g. "lowercase hex". */
  readonly patternDescription?: string;
};

export function string(opts: StringOptions): Schema<string> {
  const max = opts.maxLength;
  const min = opts.minLength ?? 0;
  assert(Number.isSafeInteger(max) && Number.isSafeInteger(min) && 0 <= min && min <= max, "codec: bad string bounds");
  const pattern = opts.pattern;
  assert(pattern === undefined || !(pattern.global || pattern.sticky), "codec: string pattern must not be global or sticky");
  const patternText = pattern === undefined ? "" : (opts.patternDescription ?? String(pattern));
  const describe = `a string of ${sizeText(min, max)}${pattern === undefined ? "" : ` matching ${patternText}`}`;
  return defineSchema(describe, (value: unknown): string => {
    if (typeof value !== "string") throw typeIssue("a string", value);
    const bytes = utf8LengthOrInvalid(value);
    if (bytes < 0) throw new PathIssue("a well-formed Unicode string", "a string with a lone surrogate");
    if (bytes > max || bytes < min) throw new PathIssue(describe, countText(bytes, "byte"));
    if (pattern !== undefined && !pattern.test(value)) {
      throw new PathIssue(`a string matching ${patternText}`, showValue(value));
    }
    return value;
  });
}

export type BytesOptions = { readonly size: number } | { readonly maxSize: number; readonly minSize?: number };

/** A byte string of an exact `size`, or of `minSize` to `maxSize` bytes. */
export function bytes(opts: BytesOptions): Schema<Uint8Array> {
  const max = "size" in opts ? opts.size : opts.maxSize;
  const min = "size" in opts ? opts.size : (opts.minSize ?? 0);
  assert(Number.isSafeInteger(max) && Number.isSafeInteger(min) && 0 <= min && min <= max, "codec: bad bytes bounds");
  const describe = `a byte string of ${sizeText(min, max)}`;
  return defineSchema(describe, (value: unknown): Uint8Array => {
    if (!(value instanceof Uint8Array)) throw typeIssue("a byte string", value);
    if (value.byteLength > max || value.byteLength < min) throw new PathIssue(describe, countText(value.byteLength, "byte"));
    return value;
  });
}

export function literal<const L extends string | number | boolean>(value: L): LiteralSchema<L> {
  const describe = JSON.stringify(value);
  const schema = defineSchema(describe, (input: unknown): L => {
    if (input !== value) throw new PathIssue(describe, showValue(input));
    return value;
  });
  return { ...schema, literal: value };
}

export function oneOf<const L extends string | number>(values: readonly L[]): Schema<L> {
  assert(values.length > 0, "codec: oneOf needs at least one value");
  const allowed: ReadonlySet<unknown> = new Set(values);
  const describe = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return defineSchema(describe, (value: unknown): L => {
    if (!allowed.has(value)) throw new PathIssue(describe, showValue(value));
    return value as L;
  });
}
