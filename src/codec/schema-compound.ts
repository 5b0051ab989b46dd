import { assert } from "../util/index.ts";
import { PathIssue, countText, quoteKey, rethrowWithSegment } from "./path.ts";
import { defineSchema, isPlainObject, typeIssue } from "./schema-core.ts";
import type { InferShape, ObjectSchema, OptionalSchema, Schema, SchemaShape } from "./schema-core.ts";

export type ArrayOptions = { readonly maxLength: number; readonly minLength?: number };

export function array<T>(item: Schema<T>, opts: ArrayOptions): Schema<T[]> {
  const max = opts.maxLength;
  const min = opts.minLength ?? 0;
  assert(Number.isSafeInteger(max) && Number.isSafeInteger(min) && 0 <= min && min <= max, "codec: bad array bounds");
  const lengthText = min === max ? `exactly ${max}` : min > 0 ? `${min} to ${max}` : `at most ${max}`;
  const describe = `an array of ${lengthText} items`;
  return defineSchema(describe, (value: unknown): T[] => {
    if (!Array.isArray(value)) throw typeIssue("an array", value);
    if (value.length > max || value.length < min) throw new PathIssue(describe, countText(value.length, "item"));
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

export type ObjectOptions = {
  /**
   * "refuse" (the default): the object has exactly the shape's fields. "ignore": other fields
   * pass unchecked, for data a newer peer may extend (a node's API answers, read by a client).
   */
  readonly unknownFields?: "refuse" | "ignore";
};

/**
 * An object with exactly these fields. Missing required fields and unknown fields are
 * refused, naming the field; fields made with `s.optional` may be absent. A field whose
 * value is `undefined` counts as absent (as encodeCanonical omits it).
 */
export function object<const Shape extends SchemaShape>(shape: Shape, opts: ObjectOptions = {}): ObjectSchema<Shape> {
  const refuseUnknown = opts.unknownFields !== "ignore";
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
    if (refuseUnknown) checkNoUnknownFields(value, present, known, fieldList);
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
    if (keys.length > max) throw new PathIssue(describe, countText(keys.length, "entry"));
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
