import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeWith, encodeCanonical, parseWith, s } from "../../src/codec/index.ts";
import type { CborValue, Infer } from "../../src/codec/index.ts";
import { expectCodecError } from "./helpers.ts";

/** Compile-time check that two types are identical. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<_T extends true>(): void {}

const recordSchema = s.object({
  action: s.string({ minLength: 1, maxLength: 128 }),
  data: s.optional(s.value({ maxDepth: 4, maxBytes: 64 })),
});

const txSchema = s.object({
  chainId: s.string({ maxLength: 32, pattern: /^[a-z0-9-]+$/, patternDescription: "lowercase letters, digits and dashes" }),
  nonce: s.uint({ max: 1_000_000 }),
  from: s.bytes({ size: 20 }),
  fee: s.optional(s.uint()),
  body: s.object({ records: s.array(recordSchema, { minLength: 1, maxLength: 8 }) }),
});

const goodTx = {
  chainId: "devnet-1",
  nonce: 7,
  from: new Uint8Array(20),
  body: { records: [{ action: "deploy" }, { action: "promote", data: { to: "prod" } }] },
};

describe("codec: schema: objects", () => {
  test("a valid value is returned as it is", () => {
    assert.equal(parseWith(txSchema, goodTx, "tx"), goodTx);
  });

  test("inferred types make optional fields optional", () => {
    type Tx = Infer<typeof txSchema>;
    expectType<Equal<Tx["fee"], number | undefined>>();
    expectType<Equal<Tx["nonce"], number>>();
    expectType<Equal<Tx["body"]["records"][number]["data"], CborValue | undefined>>();
    const withoutFee: Tx = { chainId: "a", nonce: 1, from: new Uint8Array(20), body: { records: [] } };
    assert.equal(withoutFee.fee, undefined);
  });

  test("an unknown field is refused, naming it", () => {
    const err = expectCodecError(() => parseWith(txSchema, { ...goodTx, fee2: 1 }, "tx"), "CODEC_SCHEMA");
    assert.equal(err.message, 'tx: unknown field "fee2"');
    assert.equal(err.meta["field"], "tx.fee2");
  });

  test("unknownFields: ignore lets other fields pass unchecked, and still checks the shape's", () => {
    const open = s.object({ height: s.uint(), hash: s.string({ maxLength: 64 }) }, { unknownFields: "ignore" });
    const value = { height: 3, hash: "ab", extra: { anything: [1, "x"] } };
    assert.equal(parseWith(open, value, "status"), value);
    assert.equal(expectCodecError(() => parseWith(open, { hash: "ab", extra: 1 }, "status"), "CODEC_SCHEMA").message, 'status: missing field "height"');
    expectCodecError(() => parseWith(open, { height: "3", hash: "ab" }, "status"), "CODEC_SCHEMA");
  });

  test("a missing required field is refused, naming it; a missing optional one is fine", () => {
    const { nonce: _nonce, ...withoutNonce } = goodTx;
    const err = expectCodecError(() => parseWith(txSchema, withoutNonce, "tx"), "CODEC_SCHEMA");
    assert.equal(err.message, 'tx: missing field "nonce"');
    assert.deepEqual(err.meta, { field: "tx.nonce", expected: "an unsigned integer at most 1000000", got: "nothing" });
    assert.ok(parseWith(txSchema, { ...goodTx, fee: undefined }, "tx"));
  });

  test("a field named like an Object.prototype member is missing when not set", () => {
    const schema = s.object({ toString: s.string({ maxLength: 8 }) });
    expectCodecError(() => parseWith(schema, {}, "x"), "CODEC_SCHEMA", 'x: missing field "toString"');
    assert.deepEqual(parseWith(schema, { toString: "ok" }, "x"), { toString: "ok" });
  });

  test("errors deep inside name the whole path", () => {
    const records = [{ action: "a" }, { action: "b" }, { action: "c" }, { action: "x".repeat(300) }];
    const err = expectCodecError(() => parseWith(txSchema, { ...goodTx, body: { records } }, "tx"), "CODEC_SCHEMA");
    assert.equal(err.message, "tx.body.records[3].action: expected a string of 1 to 128 bytes, got 300 bytes");
    assert.deepEqual(err.meta, { field: "tx.body.records[3].action", expected: "a string of 1 to 128 bytes", got: "300 bytes" });
  });

  test("non-objects are refused with what they are", () => {
    expectCodecError(() => parseWith(txSchema, [], "tx"), "CODEC_SCHEMA", "tx: expected an object, got array");
    expectCodecError(() => parseWith(txSchema, null, "tx"), "CODEC_SCHEMA", "got null");
    expectCodecError(() => parseWith(txSchema, new Uint8Array(1), "tx"), "CODEC_SCHEMA", "got bytes");
    expectCodecError(() => parseWith(txSchema, new Date(0), "tx"), "CODEC_SCHEMA", "got Date");
  });
});

describe("codec: schema: scalars", () => {
  test("uint refuses strings, negatives, fractions, unsafe and out-of-range numbers", () => {
    const schema = s.uint({ min: 1, max: 10 });
    assert.equal(parseWith(schema, 10, "n"), 10);
    expectCodecError(() => parseWith(schema, "5", "tx.nonce"), "CODEC_SCHEMA", "tx.nonce: expected an unsigned integer, got string");
    expectCodecError(() => parseWith(schema, -5, "n"), "CODEC_SCHEMA", "expected an unsigned integer, got -5");
    expectCodecError(() => parseWith(schema, 1.5, "n"), "CODEC_SCHEMA", "got 1.5");
    expectCodecError(() => parseWith(s.uint(), 2 ** 53, "n"), "CODEC_SCHEMA", "got 9007199254740992");
    expectCodecError(() => parseWith(schema, 11, "n"), "CODEC_SCHEMA", "expected an unsigned integer from 1 to 10, got 11");
    expectCodecError(() => parseWith(schema, 0, "n"), "CODEC_SCHEMA", "got 0");
  });

  test("int accepts negatives within its bounds", () => {
    const schema = s.int({ min: -5, max: 5 });
    assert.equal(parseWith(schema, -5, "n"), -5);
    expectCodecError(() => parseWith(schema, -6, "n"), "CODEC_SCHEMA", "expected an integer from -5 to 5, got -6");
    expectCodecError(() => parseWith(s.int(), NaN, "n"), "CODEC_SCHEMA", "expected an integer, got number NaN");
  });

  test("bool and nul accept only their value", () => {
    assert.equal(parseWith(s.bool(), false, "b"), false);
    expectCodecError(() => parseWith(s.bool(), 0, "b"), "CODEC_SCHEMA", "b: expected a boolean, got 0");
    assert.equal(parseWith(s.nul(), null, "z"), null);
    expectCodecError(() => parseWith(s.nul(), undefined, "z"), "CODEC_SCHEMA", "z: expected null, got nothing");
  });

  test("string limits count UTF-8 bytes", () => {
    const schema = s.string({ maxLength: 4 });
    assert.equal(parseWith(schema, "éé", "t"), "éé");
    expectCodecError(() => parseWith(schema, "ééé", "t"), "CODEC_SCHEMA", "expected a string of at most 4 bytes, got 6 bytes");
    expectCodecError(() => parseWith(s.string({ minLength: 2, maxLength: 4 }), "a", "t"), "CODEC_SCHEMA", "got 1 byte");
    expectCodecError(() => parseWith(schema, "\ud800", "t"), "CODEC_SCHEMA", "lone surrogate");
  });

  test("string patterns are reported with their description and the value", () => {
    const err = expectCodecError(() => parseWith(txSchema, { ...goodTx, chainId: "Dev Net" }, "tx"), "CODEC_SCHEMA");
    assert.equal(err.message, 'tx.chainId: expected a string matching lowercase letters, digits and dashes, got "Dev Net"');
  });

  test("bytes check exact or ranged sizes", () => {
    expectCodecError(() => parseWith(txSchema, { ...goodTx, from: new Uint8Array(3) }, "tx"), "CODEC_SCHEMA", "tx.from: expected a byte string of exactly 20 bytes, got 3 bytes");
    expectCodecError(() => parseWith(s.bytes({ maxSize: 2 }), new Uint8Array(3), "b"), "CODEC_SCHEMA", "at most 2 bytes, got 3 bytes");
    expectCodecError(() => parseWith(s.bytes({ maxSize: 2 }), "00", "b"), "CODEC_SCHEMA", "expected a byte string, got string");
  });

  test("literal and oneOf name the allowed values", () => {
    assert.equal(parseWith(s.literal("audit.append"), "audit.append", "t"), "audit.append");
    expectCodecError(() => parseWith(s.literal("audit.append"), "audit.x", "tx.type"), "CODEC_SCHEMA", 'tx.type: expected "audit.append", got "audit.x"');
    const kind = s.oneOf(["vote", "proposal"] as const);
    expectType<Equal<Infer<typeof kind>, "vote" | "proposal">>();
    expectCodecError(() => parseWith(kind, 3, "kind"), "CODEC_SCHEMA", 'kind: expected one of "vote", "proposal", got 3');
  });
});

describe("codec: schema: containers", () => {
  test("array length limits are enforced and element errors carry the index", () => {
    const schema = s.array(s.uint(), { maxLength: 2 });
    expectCodecError(() => parseWith(schema, [1, 2, 3], "list"), "CODEC_SCHEMA", "list: expected an array of at most 2 items, got 3 items");
    expectCodecError(() => parseWith(schema, [1, "x"], "list"), "CODEC_SCHEMA", "list[1]: expected an unsigned integer, got string");
    expectCodecError(() => parseWith(txSchema, { ...goodTx, body: { records: [] } }, "tx"), "CODEC_SCHEMA", "tx.body.records: expected an array of 1 to 8 items, got 0 items");
  });

  test("optional passes undefined through and checks anything else", () => {
    const schema = s.optional(s.uint());
    assert.equal(parseWith(schema, undefined, "o"), undefined);
    expectCodecError(() => parseWith(schema, "1", "o"), "CODEC_SCHEMA", "o: expected an unsigned integer");
  });

  test("nullable accepts null and checks anything else", () => {
    const schema = s.nullable(s.bytes({ size: 2 }));
    assert.equal(parseWith(schema, null, "q"), null);
    expectCodecError(() => parseWith(schema, new Uint8Array(1), "q"), "CODEC_SCHEMA", "q: expected a byte string of exactly 2 bytes, got 1 byte");
  });

  test("record limits entries and names the bad key", () => {
    const schema = s.record(s.uint(), { maxEntries: 2, key: s.string({ maxLength: 3 }) });
    assert.deepEqual(parseWith(schema, { a: 1, b: 2 }, "m"), { a: 1, b: 2 });
    expectCodecError(() => parseWith(schema, { a: 1, b: 2, c: 3 }, "m"), "CODEC_SCHEMA", "m: expected an object of at most 2 entries, got 3 entries");
    expectCodecError(() => parseWith(schema, { a: "x" }, "m"), "CODEC_SCHEMA", "m.a: expected an unsigned integer");
    expectCodecError(() => parseWith(schema, { long: 1 }, "m"), "CODEC_SCHEMA", "m.long: expected a string of at most 3 bytes, got 4 bytes");
  });

  test("union picks the variant by its literal field and reports that variant's errors", () => {
    const schema = s.union("type", [
      s.object({ type: s.literal("a"), x: s.uint() }),
      s.object({ type: s.literal("b"), y: s.string({ maxLength: 3 }) }),
    ]);
    type U = Infer<typeof schema>;
    expectType<Equal<U, { type: "a"; x: number } | { type: "b"; y: string }>>();
    assert.deepEqual(parseWith(schema, { type: "b", y: "abc" }, "u"), { type: "b", y: "abc" });
    expectCodecError(() => parseWith(schema, { type: "a", x: "1" }, "u"), "CODEC_SCHEMA", "u.x: expected an unsigned integer, got string");
    expectCodecError(() => parseWith(schema, { type: "c" }, "u"), "CODEC_SCHEMA", 'u.type: expected one of "a", "b", got "c"');
    expectCodecError(() => parseWith(schema, {}, "u"), "CODEC_SCHEMA", 'u: missing field "type"');
  });

  test("value accepts JSON-like data within its depth and encoded-size limits", () => {
    const schema = s.value({ maxDepth: 2, maxBytes: 16 });
    assert.deepEqual(parseWith(schema, { a: [1, 2] }, "data"), { a: [1, 2] });
    expectCodecError(() => parseWith(schema, { a: [[1]] }, "data"), "CODEC_SCHEMA", "data.a[0]: expected nesting at most 2 deep");
    expectCodecError(() => parseWith(schema, { a: "x".repeat(20) }, "data"), "CODEC_SCHEMA", "got 24 bytes");
    expectCodecError(() => parseWith(schema, { a: () => 1 }, "data"), "CODEC_SCHEMA", "data.a: expected null, a boolean");
    expectCodecError(() => parseWith(schema, { a: NaN }, "data"), "CODEC_SCHEMA", "data.a: expected a safe integer");
  });

  test("refine adds a custom rule with its own description", () => {
    const even = s.refine(s.uint(), "an even unsigned integer", (n) => n % 2 === 0);
    assert.equal(parseWith(even, 4, "n"), 4);
    expectCodecError(() => parseWith(even, 3, "n"), "CODEC_SCHEMA", "n: expected an even unsigned integer, got 3");
    expectCodecError(() => parseWith(even, "3", "n"), "CODEC_SCHEMA", "n: expected an unsigned integer, got string");
  });

  test("hostile long keys are cut in messages", () => {
    const err = expectCodecError(() => parseWith(s.object({}), { ["k".repeat(10_000)]: 1 }, "x"), "CODEC_SCHEMA");
    assert.ok(err.message.length < 120, err.message);
  });
});

describe("codec: decodeWith", () => {
  test("decodes and checks in one step", () => {
    const bytes = encodeCanonical(goodTx);
    assert.deepEqual(decodeWith(txSchema, bytes, "tx"), goodTx);
  });

  test("schema errors name the path; decode errors keep their code and get the root name", () => {
    expectCodecError(() => decodeWith(txSchema, encodeCanonical({ ...goodTx, nonce: "7" }), "tx"), "CODEC_SCHEMA", "tx.nonce: expected an unsigned integer, got string");
    const err = expectCodecError(() => decodeWith(txSchema, new Uint8Array([0x18, 0x01]), "tx"), "CODEC_NOT_CANONICAL", /^tx: non-canonical CBOR at offset 0/);
    assert.equal(err.meta["offset"], 0);
    expectCodecError(() => decodeWith(txSchema, new Uint8Array([0x81, 0x81, 0x01]), "tx", { maxDepth: 1 }), "CODEC_TOO_DEEP", /^tx: /);
  });
});
