import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeCanonical, encodeCanonical, fromJsonValue, toJsonValue } from "../../src/codec/index.ts";
import { expectCodecError } from "./helpers.ts";

describe("codec: fromJsonValue", () => {
  test("parsed JSON is accepted and returned unchanged", () => {
    const json: unknown = JSON.parse('{"a": [1, -2.5, "x", true, null, {"b": {}}], "__proto__": 3}');
    assert.equal(fromJsonValue(json, "data"), json);
  });

  test("integers that JSON.parse rounded (beyond 2^53-1) are refused, naming the path", () => {
    const json: unknown = JSON.parse('{"amount": 12345678901234567890}');
    const err = expectCodecError(() => fromJsonValue(json, "body"), "CODEC_SCHEMA", "body.amount: expected a safe integer");
    assert.equal(err.meta["field"], "body.amount");
  });

  test("non-JSON values are refused: bytes, undefined elements, non-finite numbers, functions", () => {
    expectCodecError(() => fromJsonValue({ b: new Uint8Array(1) }, "data"), "CODEC_SCHEMA", "data.b: expected null, a boolean, a number, a string, an array or a plain object, got bytes");
    expectCodecError(() => fromJsonValue([undefined], "data"), "CODEC_SCHEMA", "data[0]");
    expectCodecError(() => fromJsonValue({ x: Infinity }, "data"), "CODEC_SCHEMA", "data.x");
    expectCodecError(() => fromJsonValue({ f: () => 1 }, "data"), "CODEC_SCHEMA", "got function");
  });

  test("nesting is limited (default 32, or maxDepth)", () => {
    const nested: unknown = JSON.parse("[".repeat(10_000) + "]".repeat(10_000));
    expectCodecError(() => fromJsonValue(nested, "data"), "CODEC_SCHEMA", "nesting at most 32 deep");
    expectCodecError(() => fromJsonValue([[1]], "data", { maxDepth: 1 }), "CODEC_SCHEMA", "data[0]: expected nesting at most 1 deep");
  });
});

describe("codec: toJsonValue", () => {
  test("byte strings become lowercase hex; everything else is copied as is", () => {
    const value = { id: new Uint8Array([0xab, 0x01]), list: [1, 1.5, "s", null, false, [new Uint8Array(0)]] };
    assert.deepEqual(toJsonValue(value), { id: "ab01", list: [1, 1.5, "s", null, false, [""]] });
  });

  test("a __proto__ key stays an own property", () => {
    const decoded = decodeCanonical(encodeCanonical(JSON.parse('{"__proto__": {"x": 1}}')));
    const json = toJsonValue(decoded) as Record<string, unknown>;
    assert.ok(Object.hasOwn(json, "__proto__"));
    assert.equal(Object.getPrototypeOf(json), Object.prototype);
    assert.equal(JSON.stringify(json), '{"__proto__":{"x":1}}');
  });
});
