import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { CBOR_MAJOR_MAP, encodeCanonical, readHead, readText, skipValue, skipValueSpan, walkArray, walkCursor, walkMap, type CborValue } from "../../src/codec/index.ts";
import { hex } from "./helpers.ts";

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: Record<string, CborValue> }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 6 },
    fc.oneof(fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.constantFrom(2 ** 32, -(2 ** 40), Number.MAX_SAFE_INTEGER), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d)), fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 40 })),
    tie("array"),
    tie("map"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }),
  map: fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 5, noNullPrototype: true }),
}));

describe("codec walk", () => {
  test("readHead reads 1-, 2-, 4- and 8-byte arguments, and refuses a length past 2^53 - 1", () => {
    const cases: [string, number, number][] = [
      ["17", 0, 23],
      ["1818", 0, 24],
      ["190100", 0, 256],
      ["1a00010000", 0, 65_536],
      ["1b001fffffffffffff", 0, Number.MAX_SAFE_INTEGER],
      ["5b0000000000000003", 2, 3],
    ];
    for (const [bytesHex, major, value] of cases) {
      const cursor = walkCursor();
      assert.deepEqual(readHead(hex(bytesHex), cursor), { major, value }, bytesHex);
      assert.equal(cursor.offset, hex(bytesHex).byteLength, `${bytesHex}: the cursor is past the head`);
    }
    assert.equal(readHead(hex("5b0020000000000000"), walkCursor()), undefined, "a byte string longer than 2^53 - 1");
    assert.equal(readHead(hex("1a0001"), walkCursor()), undefined, "truncated");
    assert.equal(readHead(hex("5f"), walkCursor()), undefined, "indefinite length");
  });

  test("skipValue passes exactly one canonical item, whatever it holds (property)", () => {
    fc.assert(
      fc.property(cborValue, cborValue, (first, second) => {
        const a = encodeCanonical(first);
        const both = new Uint8Array([...a, ...encodeCanonical(second)]);
        const cursor = walkCursor();
        assert.ok(skipValue(both, cursor));
        assert.equal(cursor.offset, a.byteLength);
      }),
      { numRuns: 300 },
    );
  });

  test("readText reads map keys; a walk over random bytes never throws and never passes the end", () => {
    const cursor = walkCursor();
    const map = encodeCanonical({ a: 1, type: "vote" });
    assert.equal(readHead(map, cursor)?.major, CBOR_MAJOR_MAP);
    assert.equal(readText(map, cursor), "a");
    assert.ok(skipValue(map, cursor));
    assert.equal(readText(map, cursor), "type");
    assert.equal(readText(map, cursor), "vote");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const walk = walkCursor();
        if (skipValue(bytes, walk)) assert.ok(walk.offset <= bytes.byteLength);
        readText(bytes, walkCursor());
      }),
      { numRuns: 1000 },
    );
  });

  test("walkMap hands each key with the cursor at its value; walkArray each index; skipValueSpan the item's own bytes", () => {
    const bytes = encodeCanonical({ a: [1, "x"], bb: { c: true } });
    const cursor = walkCursor();
    const seen: string[] = [];
    const spans: Uint8Array[] = [];
    assert.ok(
      walkMap(bytes, cursor, (key) => {
        seen.push(key);
        if (key !== "a") return skipValue(bytes, cursor);
        return walkArray(bytes, cursor, 2, () => {
          const span = skipValueSpan(bytes, cursor);
          if (span !== undefined) spans.push(span);
          return span !== undefined;
        });
      }),
    );
    assert.deepEqual(seen, ["a", "bb"]);
    assert.deepEqual(spans, [encodeCanonical(1), encodeCanonical("x")]);
    assert.ok(spans.every((span) => span.buffer === bytes.buffer), "spans are views into the bytes");
    assert.equal(cursor.offset, bytes.byteLength);
  });

  test("walkMap and walkArray stop on what they do not expect, and when told to", () => {
    const map = encodeCanonical({ a: 1, b: 2 });
    const array = encodeCanonical([1, 2]);
    assert.equal(walkMap(array, walkCursor(), () => true), false, "an array is not a map");
    assert.equal(walkMap(hex("a10102"), walkCursor(), () => true), false, "a key that is not text ({1: 2})");
    const truncated = hex("a26161");
    const cursor = walkCursor();
    assert.equal(walkMap(truncated, cursor, () => skipValue(truncated, cursor)), false, "truncated after its first key");
    let calls = 0;
    assert.equal(walkMap(map, walkCursor(), () => (calls++, false)), false);
    assert.equal(calls, 1, "a false from the callback ends the walk");
    assert.equal(walkArray(array, walkCursor(), 3, () => true), false, "the wrong count");
    assert.equal(walkArray(map, walkCursor(), 1, () => true), false, "a map is not an array");
    assert.equal(skipValueSpan(hex("1a0001"), walkCursor()), undefined, "truncated");
  });
});
