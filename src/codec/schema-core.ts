import { PathIssue, describeValue, quoteKey, toFieldError } from "./path.ts";

/**
 * A schema checks an untrusted value (decoded CBOR, parsed JSON) and returns it typed.
 * Schemas never transform: a value that passes is returned as it is (no copy).
 *
 * `parse(value, path)` throws GhostmeshError CODEC_SCHEMA whose message and `meta.field`
 * name the path of the offending value below `path`, e.g.
 * `tx.body.records[3].action: expected a string of at most 128 bytes, got 300 bytes`.
 *
 * `check` is the hot path the combinators use: it throws the internal PathIssue, to which
 * each level adds its segment on the way out, so a passing value builds no path strings.
 * Outside the codec module, call `parse` (or `parseWith`/`decodeWith`), not `check`.
 * Build schemas with `s` (schema.ts); `s.refine` adds custom rules.
 */
export interface Schema<T> {
  /** What the schema expects, phrased to follow "expected": "an unsigned integer at most 10". */
  readonly describe: string;
  parse(value: unknown, path: string): T;
  readonly check: (value: unknown) => T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A field that may be absent (made by `s.optional`). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly isOptional: true;
}

export interface LiteralSchema<L extends string | number | boolean> extends Schema<L> {
  readonly literal: L;
}

export type SchemaShape = { readonly [key: string]: Schema<unknown> };

type OptionalKeys<Shape extends SchemaShape> = {
  [K in keyof Shape]: Shape[K] extends OptionalSchema<unknown> ? K : never;
}[keyof Shape];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type InferShape<Shape extends SchemaShape> = Simplify<
  { [K in Exclude<keyof Shape, OptionalKeys<Shape>>]: Infer<Shape[K]> } & {
    [K in OptionalKeys<Shape>]?: Exclude<Infer<Shape[K]>, undefined>;
  }
>;

export interface ObjectSchema<Shape extends SchemaShape> extends Schema<InferShape<Shape>> {
  readonly shape: Shape;
}

export function defineSchema<T>(describe: string, check: (value: unknown) => T): Schema<T> {
  return {
    describe,
    check,
    parse: (value: unknown, path: string): T => parseChecked(check, value, path),
  };
}

export function parseChecked<T>(check: (value: unknown) => T, value: unknown, path: string): T {
  try {
    return check(value);
  } catch (err) {
    if (err instanceof PathIssue) throw toFieldError("CODEC_SCHEMA", err, path);
    throw err;
  }
}

/** A value as shown in the `got` half of a message: strings quoted (and cut), numbers as text. */
export function showValue(value: unknown): string {
  return typeof value === "string" ? quoteKey(value) : describeValue(value);
}

export function typeIssue(expected: string, value: unknown): PathIssue {
  return new PathIssue(expected, describeValue(value));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
