import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { decodeWithTokenizer } from "../../src/codec/decode.ts";
import { decodeDirect } from "../../src/codec/direct.ts";
import { decodeCanonical, encodeCanonical } from "../../src/codec/index.ts";
import type { CborValue } from "../../src/codec/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";
import { hex } from "./helpers.ts";
import { ChoiceTape, looseEncode } from "./looseEncoder.ts";

/**
 * The direct path of decodeCanonical must never accept what the full decoder (cborg plus
 * CanonicalTokenizer) refuses, and must build exactly the value the full decoder builds:
 * same types, same key order, same prototypes, byte strings copied out of the input.
 */

/** Asserts that `a` and `b` are the same decoded value, down to key order and prototypes. */
function assertSameValue(a: CborValue, b: CborValue, input: Uint8Array, path = "$"): void {
  if (a === null || typeof a !== "object") {
    assert.ok(Object.is(a, b), `${path}: ${typeof a} ${JSON.stringify(a)} vs ${typeof b}`);
    return;
  }
  assert.ok(b !== null && typeof b === "object", `${path}: object vs ${typeof b}`);
  assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b), `${path}: prototypes differ`);
  if (a instanceof Uint8Array) {
    assert.ok(b instanceof Uint8Array);
    assert.equal(a.constructor, Uint8Array, `${path}: a plain Uint8Array`);
    assert.notEqual(a.buffer, input.buffer, `${path}: a copy, not a view into the input`);
    assert.deepEqual([...a], [...b], `${path}: bytes differ`);
    return;
  }
  if (Array.isArray(a)) {
    assert.ok(Array.isArray(b), `${path}: array vs object`);
    assert.equal(a.length, b.length, `${path}: lengths differ`);
    a.forEach((item, i) => assertSameValue(item, b[i] as CborValue, input, `${path}[${i}]`));
    return;
  }
  const keys = Object.keys(a);
  assert.deepEqual(keys, Object.keys(b), `${path}: keys or their order differ`);
  for (const key of keys) {
    assert.ok(Object.hasOwn(a, key) && Object.hasOwn(b, key), `${path}.${key}: own property`);
    assertSameValue((a as Record<string, CborValue>)[key] as CborValue, (b as Record<string, CborValue>)[key] as CborValue, input, `${path}.${key}`);
  }
}

/** decodeDirect answers nothing or what the full decoder answers. Returns whether it answered. */
function assertAgrees(bytes: Uint8Array, depthMax: number): boolean {
  if (bytes.length === 0) return false;
  const direct = decodeDirect(bytes, depthMax);
  if (direct === undefined) return false;
  let full: CborValue;
  try {
    full = decodeWithTokenizer(bytes, depthMax);
  } catch (err) {
    assert.fail(`direct path accepted what the full decoder refuses (${err instanceof GhostmeshError ? err.code : String(err)}): ${Buffer.from(bytes).toString("hex")}`);
  }
  assertSameValue(direct, full, bytes);
  return true;
}

/** Keys that stress object building: the prototype setter, inherited names, array-index-like names. */
const trickyKey = fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "0", "1", "01", "-1", "4294967295", "", "\uFEFFk", "é", "ß");
const key = fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.string({ unit: "grapheme-ascii", maxLength: 30 }), trickyKey);

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -24, -25, -256, -257, -(2 ** 32), -(2 ** 32) - 1, -Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d)),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 20, maxLength: 80 }),
  fc.uint8Array({ maxLength: 40 }),
);
/** Now and then a signature-sized byte string, as in every signed transaction. */
const leafOrBig: fc.Arbitrary<CborValue> = fc.oneof({ arbitrary: leaf, weight: 30 }, { arbitrary: fc.uint8Array({ minLength: 3300, maxLength: 3310 }), weight: 1 });

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: Record<string, CborValue> }>((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 6 }, leafOrBig, tie("array"), tie("map")),
  array: fc.array(tie("value"), { maxLength: 6 }),
  map: fc.dictionary(key, tie("value"), { maxKeys: 6, noNullPrototype: true }),
}));

function hasFloat(value: CborValue): boolean {
  if (typeof value === "number") return !Number.isInteger(value);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return false;
  return Object.values(value).some(hasFloat);
}

const mutation = fc.record({ kind: fc.constantFrom("set", "insert", "delete"), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });

function mutate(bytes: Uint8Array, change: { kind: string; at: number; byte: number }): Uint8Array {
  const at = change.at % (bytes.length + (change.kind === "insert" ? 1 : 0));
  if (change.kind === "set") {
    const out = bytes.slice();
    out[at] = change.byte;
    return out;
  }
  if (change.kind === "insert") return Uint8Array.of(...bytes.subarray(0, at), change.byte, ...bytes.subarray(at));
  return Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1));
}

/** The shape of a signed audit.append as clients send it (3.5 KB, mostly the ML-DSA-65 signature). */
const signedTxShaped: fc.Arbitrary<CborValue> = fc.record({
  tx: fc.record({
    chainId: fc.constantFrom("bench", "main-1"),
    from: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    nonce: fc.maxSafeInteger().map(Math.abs),
    type: fc.constant("audit.append"),
    body: fc.record({ record: fc.record({ action: fc.string({ maxLength: 20 }), subject: fc.string({ maxLength: 40 }), data: cborValue }) }),
  }),
  sig: fc.uint8Array({ minLength: 3309, maxLength: 3309 }),
});

const depthMax = fc.integer({ min: 0, max: 8 });
// A generous limit per property: a hang guard, not a speed assertion.
const HANG_GUARD = { timeout: 120_000 };

describe("codec: direct decode path", () => {
  test("canonical encodings without floats decode on the direct path to the full decoder's value", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, (value) => {
        const bytes = encodeCanonical(value);
        const answered = assertAgrees(bytes, 32);
        if (!hasFloat(value)) assert.ok(answered, "the direct path handles every canonical float-free input");
      }),
      { numRuns: 1500 },
    );
  });

  test("mutated canonical encodings: the direct path defers or agrees with the full decoder", HANG_GUARD, () => {
    fc.assert(
      fc.property(cborValue, fc.array(mutation, { minLength: 1, maxLength: 3 }), depthMax, (value, changes, depth) => {
        let bytes = encodeCanonical(value);
        for (const change of changes) bytes = mutate(bytes, change);
        assertAgrees(bytes, depth);
      }),
      { numRuns: 2000 },
    );
  });

  test("mutated signed-transaction-shaped encodings: the direct path defers or agrees", HANG_GUARD, () => {
    fc.assert(
      fc.property(signedTxShaped, fc.array(mutation, { minLength: 0, maxLength: 2 }), (value, changes) => {
        let bytes = encodeCanonical(value);
        for (const change of changes) bytes = mutate(bytes, change);
        const answered = assertAgrees(bytes, 32);
        if (changes.length === 0 && !hasFloat(value)) assert.ok(answered, "canonical transactions take the direct path");
      }),
      { numRuns: 500 },
    );
  });

  test("random bytes and non-canonical encodings: the direct path defers or agrees", HANG_GUARD, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 96 }), depthMax, (bytes, depth) => {
        assertAgrees(bytes, depth);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(cborValue, fc.array(fc.nat({ max: 15 }), { minLength: 1, maxLength: 40 }), depthMax, (value, choices, depth) => {
        assertAgrees(looseEncode(value, new ChoiceTape(choices)), depth);
      }),
      { numRuns: 1500 },
    );
  });

  test("with byteStringViews, canonical byte strings are views into the input; other input still gives copies", () => {
    const bytes = encodeCanonical({ a: new Uint8Array([1, 2, 3]), b: [new Uint8Array(100)] });
    const viewed = decodeCanonical(bytes, { byteStringViews: true }) as { a: Uint8Array; b: Uint8Array[] };
    assert.equal(viewed.a.buffer, bytes.buffer);
    assert.equal(viewed.b[0]!.buffer, bytes.buffer);
    assert.deepEqual(viewed, decodeCanonical(bytes));
    const copied = decodeCanonical(bytes) as { a: Uint8Array };
    assert.notEqual(copied.a.buffer, bytes.buffer);
    // A float sends the input to the full decoder, which copies.
    const withFloat = encodeCanonical({ a: new Uint8Array([1]), f: 0.5 });
    assert.notEqual((decodeCanonical(withFloat, { byteStringViews: true }) as { a: Uint8Array }).a.buffer, withFloat.buffer);
  });

  test("a __proto__ key becomes an own property and leaves the prototype alone", () => {
    const decoded = decodeCanonical(hex("a1695f5f70726f746f5f5f01")) as Record<string, unknown>;
    assert.ok(Object.hasOwn(decoded, "__proto__"));
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.ok(decodeDirect(hex("a1695f5f70726f746f5f5f01"), 32) !== undefined, "decoded on the direct path");
  });

  test("keys that share a key-cache slot decode to their own text", () => {
    // Many distinct short keys, decoded twice each, force slot collisions and cache hits.
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i.toString(36)}${"x".repeat(i % 5)}`);
    for (let round = 0; round < 2; round++) {
      for (const k of keys) assert.deepEqual(Object.keys(decodeCanonical(encodeCanonical({ [k]: 1 })) as object), [k]);
    }
  });

  test("input refused by the full decoder is refused by decodeCanonical with the full decoder's error", () => {
    const cases = [
      ["a2616201616101", "CODEC_NOT_CANONICAL"], // keys out of order ("b" before "a")
      ["a2616101616102", "CODEC_NOT_CANONICAL"], // duplicate key
      ["0000", "CODEC_MALFORMED"], // trailing byte
      ["1817", "CODEC_NOT_CANONICAL"], // 23 in a one-byte argument
      ["62c328", "CODEC_MALFORMED"], // invalid UTF-8
      ["8181818100", "CODEC_TOO_DEEP"], // four levels, limit 3 below
    ] as const;
    for (const [bad, code] of cases) {
      assert.equal(decodeDirect(hex(bad), 3), undefined, `${bad} defers`);
      assert.throws(() => decodeCanonical(hex(bad), { maxDepth: 3 }), (err: unknown) => err instanceof GhostmeshError && err.code === code, bad);
    }
  });
});
