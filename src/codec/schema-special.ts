import { assert } from "../util/index.ts";
import { PathIssue, countText, describeValue, quoteKey, rethrowWithSegment } from "./path.ts";
import { defineSchema, isPlainObject, typeIssue } from "./schema-core.ts";
import type { Infer, LiteralSchema, ObjectSchema, Schema, SchemaShape } from "./schema-core.ts";
import { CODEC_DEPTH_MAX_CEILING } from "./types.ts";
import type { CborValue } from "./types.ts";
import { measureValue } from "./value.ts";
import type { ValueRules } from "./value.ts";

/**
 * One of several object schemas, chosen by the literal value of the `discriminator` field
 * (e.g. a transaction's `type`), so errors come from the right variant.
 */
export function union<const Variants extends readonly ObjectSchema<SchemaShape>[]>(
  discriminator: string,
  variants: Variants,
): Schema<Infer<Variants[number]>> {
  const byTag = new Map<unknown, ObjectSchema<SchemaShape>>();
  for (const variant of variants) {
    const tagSchema = variant.shape[discriminator] as Partial<LiteralSchema<string | number | boolean>> | undefined;
    assert(tagSchema?.literal !== undefined, `codec: union variant lacks a literal "${discriminator}" field`);
    assert(!byTag.has(tagSchema.literal), `codec: union has two variants for ${String(tagSchema.literal)}`);
    byTag.set(tagSchema.literal, variant);
  }
  const tagsText = `one of ${[...byTag.keys()].map((tag) => JSON.stringify(tag)).join(", ")}`;
  return defineSchema(`an object whose "${discriminator}" is ${tagsText}`, (value: unknown) => {
    if (!isPlainObject(value)) throw typeIssue("an object", value);
    const tag = Object.hasOwn(value, discriminator) ? value[discriminator] : undefined;
    if (tag === undefined) throw new PathIssue(tagsText, "nothing", discriminator, "missing field");
    const variant = byTag.get(tag);
    if (variant === undefined) {
      const issue = new PathIssue(tagsText, typeof tag === "string" ? quoteKey(tag) : describeValue(tag));
      rethrowWithSegment(issue, discriminator);
    }
    return variant.check(value) as Infer<Variants[number]>;
  });
}

/** Adds a rule to `schema`: values that pass it must also satisfy `predicate`. */
export function refine<T>(schema: Schema<T>, expected: string, predicate: (value: T) => boolean): Schema<T> {
  return defineSchema(expected, (input: unknown): T => {
    const value = schema.check(input);
    if (!predicate(value)) throw new PathIssue(expected, typeof value === "string" ? quoteKey(value) : describeValue(value));
    return value;
  });
}

export type ValueOptions = {
  /** Deepest nesting of arrays and objects inside the value; 0 allows only scalars. */
  readonly maxDepth: number;
  /** Limit on the value's canonical CBOR encoding, in bytes. */
  readonly maxBytes?: number;
};

/**
 * Arbitrary JSON-like data (null, booleans, numbers, strings, bytes, arrays, objects with
 * string keys), e.g. the `data` of an audit record: the same rules as encodeCanonical, with
 * the caller's depth and size limits.
 */
export function value(opts: ValueOptions): Schema<CborValue> {
  const depthMax = opts.maxDepth;
  const sizeBytesMax = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
  assert(Number.isSafeInteger(depthMax) && depthMax >= 0 && depthMax <= CODEC_DEPTH_MAX_CEILING, "codec: bad value maxDepth");
  assert(Number.isSafeInteger(sizeBytesMax) && sizeBytesMax >= 0, "codec: bad value maxBytes");
  const rules: ValueRules = { depthMax, bytesAllowed: true };
  const sizeText = opts.maxBytes === undefined ? "" : ` of at most ${sizeBytesMax} bytes when encoded`;
  const describe = `a JSON-like value nested at most ${depthMax} deep${sizeText}`;
  return defineSchema(describe, (input: unknown): CborValue => {
    const sizeBytes = measureValue(input, 0, rules);
    if (sizeBytes > sizeBytesMax) throw new PathIssue(describe, countText(sizeBytes, "byte"));
    return input as CborValue;
  });
}
