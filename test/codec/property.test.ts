import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { decodeCanonical, encodeCanonical, isCodecError } from "../../src/codec/index.ts";
import type { CborValue } from "../../src/codec/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { expectCodecError } from "./helpers.ts";
import { ChoiceTape, looseEncode } from "./looseEncoder.ts";

const DECODE_CODES = new Set(["CODEC_MALFORMED", "CODEC_NOT_CANONICAL", "CODEC_TOO_LARGE", "CODEC_TOO_DEEP"]);

/** Integers near every head-size boundary, where shortest-form bugs would hide. */
const boundaryInteger = fc
  .constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER)
  .chain((n) => fc.constantFrom(n, -n, -1 - n).filter((v) => Number.isSafeInteger(v)));

/** Doubles, plus values that fit float32 and float16, where shortest-width bugs would hide. */
const float = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.float({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -4096, max: 4096 }).map((n) => n / 1024),
  )
  .filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d));

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  boundaryInteger,
  float,
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: Record<string, CborValue> }>((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 6 }, leaf, tie("array"), tie("map")),
  array: fc.array(tie("value"), { maxLength: 6 }),
  map: fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), tie("value"), { maxKeys: 6, noNullPrototype: true }),
}));

/** The value decode must return: -0 is encoded as the integer 0. */
function normalize(value: CborValue): CborValue {
  if (typeof value === "number") return value === 0 ? 0 : value;
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(normalize);
  const out: Record<string, CborValue> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(out, key, { value: normalize(item), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(value: CborValue): CborValue {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(reverseKeys);
  const out: Record<string, CborValue> = {};
  for (const [key, item] of Object.entries(value).reverse()) {
    Object.defineProperty(out, key, { value: reverseKeys(item), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Decoding either fails with a decode code, or succeeds on exactly the canonical bytes of its result. */
function assertDecodeIsStrict(bytes: Uint8Array): void {
  let decoded: CborValue;
  try {
    decoded = decodeCanonical(bytes, { maxBytes: 1024, maxDepth: 8 });
  } catch (err) {
    assert.ok(isCodecError(err) && DECODE_CODES.has(err.code), `unexpected error: ${String(err)}`);
    return;
  }
  assert.deepEqual(encodeCanonical(decoded), bytes, "accepted bytes must be the canonical encoding of the result");
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(bytes: Uint8Array, change: { kind: "set" | "insert" | "delete"; at: number; byte: number }): Uint8Array {
  const at = change.at % (bytes.length + (change.kind === "insert" ? 1 : 0));
  const list = [...bytes];
  if (change.kind === "set") list[at] = change.byte;
  else if (change.kind === "insert") list.splice(at, 0, change.byte);
  else list.splice(at, 1);
  return new Uint8Array(list);
}

// A generous limit per property: a hang guard, not a speed assertion.
const HANG_GUARD = { timeout: 120_000 };

describe("codec: properties", () => {
  test("random bytes either decode to a canonical value or throw a decode GhostmeshError", HANG_GUARD, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), assertDecodeIsStrict), { numRuns: 3000 });
  });

  test("random CBOR-shaped bytes (valid encodings with one byte changed) are decoded strictly", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, fc.array(mutation, { minLength: 1, maxLength: 3 }), (value, changes) => {
        let bytes = encodeCanonical(value);
        for (const change of changes) bytes = mutate(bytes, change);
        assertDecodeIsStrict(bytes);
      }),
      { numRuns: 1500 },
    );
  });

  test("every non-canonical encoding of a value is refused as not canonical; the canonical one decodes", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, fc.array(fc.nat({ max: 15 }), { minLength: 1, maxLength: 40 }), (value, choices) => {
        const bytes = looseEncode(value, new ChoiceTape(choices));
        if (bytesEqual(bytes, encodeCanonical(value))) assert.deepEqual(decodeCanonical(bytes), normalize(value));
        else expectCodecError(() => decodeCanonical(bytes), "CODEC_NOT_CANONICAL");
      }),
      { numRuns: 1500 },
    );
  });

  test("decode(encode(x)) equals x", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        assert.deepEqual(decodeCanonical(encodeCanonical(value)), normalize(value));
      }),
      { numRuns: 500 },
    );
  });

  test("decode(encode(x)) re-encodes to identical bytes", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const bytes = encodeCanonical(value);
        assert.deepEqual(encodeCanonical(decodeCanonical(bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  test("the encoding does not depend on key insertion order", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        assert.deepEqual(encodeCanonical(reverseKeys(value)), encodeCanonical(value));
      }),
      { numRuns: 300 },
    );
  });
});
