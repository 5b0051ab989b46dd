import { assert } from "../util/index.ts";
import { PathIssue, describeValue, quoteKey, rethrowWithSegment } from "./path.ts";
import { defineSchema, isPlainObject, typeIssue } from "./schema-core.ts";
import { CODEC_DEPTH_MAX_CEILING } from "./types.ts";
import type { CborValue } from "./types.ts";
import { measureValue } from "./value.ts";
import type { ValueRules } from "./value.ts";
import type { Infer, InferShape, LiteralSchema, ObjectSchema, OptionalSchema, Schema, SchemaShape } from "./schema-core.ts";

export type ArrayOptions = { readonly maxLength: number; readonly minLength?: number };

export function array<T>(item: Schema<T>, opts: ArrayOptions): Schema<T[]> {
  const max = opts.maxLength;
  const min = opts.minLength ?? 0;
  assert(Number.isSafeInteger(max) && Number.isSafeInteger(min) && 0 <= min && min <= max, "codec: bad array bounds");
  const lengthText = min === max ? `exactly ${max}` : min > 0 ? `${min} to ${max}` : `at most ${max}`;
  const describe = `an array of ${lengthText} items`;
  return defineSchema(describe, (value: unknown): T[] => {
    if (!Array.isArray(value)) throw typeIssue("an array", value);
    if (value.length > max || value.length < min) throw new PathIssue(describe, `${value.length} items`);
    let i = 0;
    try {
      for (; i < value.length; i++) item.check(value[i]);
    } catch (err) {
      rethrowWithSegment(err, i);
    }
    return value as T[];
  });
}

type Field = {
  readonly key: string;
  readonly schema: Schema<unknown>;
  readonly optional: boolean;
  /** Keys like "toString" would read Object.prototype's member when absent. */
  readonly inherited: boolean;
};

function isOptionalSchema(schema: Schema<unknown>): boolean {
  return (schema as Partial<OptionalSchema<unknown>>).isOptional === true;
}

/**
 * An object with exactly these fields. Missing required fields and unknown fields are
 * refused, naming the field; fields made with `s.optional` may be absent. A field whose
 * value is `undefined` counts as absent (as encodeCanonical omits it).
 */
export function object<const Shape extends SchemaShape>(shape: Shape): ObjectSchema<Shape> {
  const fields: Field[] = Object.keys(shape).map((key) => {
    const schema = shape[key] as Schema<unknown>;
    return { key, schema, optional: isOptionalSchema(schema), inherited: key in Object.prototype };
  });
  const known: ReadonlySet<string> = new Set(Object.keys(shape));
  const fieldList = fields.map((field) => field.key).join(", ");
  const schema = defineSchema("an object", (value: unknown): InferShape<Shape> => {
    if (!isPlainObject(value)) throw typeIssue("an object", value);
    let present = 0;
    for (const field of fields) {
      let item = value[field.key];
      if (field.inherited && !Object.hasOwn(value, field.key)) item = undefined;
      if (item === undefined) {
        if (field.optional) continue;
        throw new PathIssue(field.schema.describe, "nothing", field.key, "missing field");
      }
      present++;
      try {
        field.schema.check(item);
      } catch (err) {
        rethrowWithSegment(err, field.key);
      }
    }
    checkNoUnknownFields(value, present, known, fieldList);
    return value as InferShape<Shape>;
  });
  return { ...schema, shape };
}

function checkNoUnknownFields(
  value: Record<string, unknown>,
  present: number,
  known: ReadonlySet<string>,
  fieldList: string,
): void {
  let count = 0;
  // for-in counts without allocating; a mismatch (unknown or undefined-valued fields) is rare.
  for (const _ in value) count++;
  if (count === present) return;
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw new PathIssue(`only the fields ${fieldList}`, `field ${quoteKey(key)}`, key, "unknown field");
    }
  }
}

export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  const base = defineSchema(schema.describe, (value: unknown): T | undefined =>
    value === undefined ? undefined : schema.check(value),
  );
  return { ...base, isOptional: true };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  return defineSchema(`${schema.describe} or null`, (value: unknown): T | null =>
    value === null ? null : schema.check(value),
  );
}

export type RecordOptions = {
  readonly maxEntries: number;
  /** Checks each key (a string schema); errors name the key's path. */
  readonly key?: Schema<string>;
};

/** An object used as a map: any keys (checked by `key`), values checked by `value`. */
export function record<T>(value: Schema<T>, opts: RecordOptions): Schema<Record<string, T>> {
  const max = opts.maxEntries;
  assert(Number.isSafeInteger(max) && max >= 0, "codec: bad record bounds");
  const keySchema = opts.key;
  const describe = `an object of at most ${max} entries`;
  return defineSchema(describe, (input: unknown): Record<string, T> => {
    if (!isPlainObject(input)) throw typeIssue("an object", input);
    const keys = Object.keys(input);
    if (keys.length > max) throw new PathIssue(describe, `${keys.length} entries`);
    let key = "";
    try {
      for (key of keys) {
        keySchema?.check(key);
        const item = input[key];
        if (item !== undefined) value.check(item);
      }
    } catch (err) {
      rethrowWithSegment(err, key);
    }
    return input as Record<string, T>;
  });
}

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
    if (sizeBytes > sizeBytesMax) throw new PathIssue(describe, `${sizeBytes} bytes`);
    return input as CborValue;
  });
}
