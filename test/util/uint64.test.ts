import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { AssertionError, readUint64BE, writeUint64BE } from "../../src/util/index.ts";

test("uint64: every safe non-negative integer round-trips big-endian, at any offset", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.nat(8), (value, offset) => {
      const bytes = new Uint8Array(offset + 8);
      writeUint64BE(bytes, offset, value);
      assert.equal(readUint64BE(bytes, offset), value);
      assert.equal(Buffer.from(bytes).readBigUInt64BE(offset), BigInt(value));
    }),
  );
  const bytes = new Uint8Array(8);
  writeUint64BE(bytes, 0, 2 ** 32);
  assert.deepEqual([...bytes], [0, 0, 0, 1, 0, 0, 0, 0]);
});

test("uint64: values above 2^53 - 1 read as NaN; unsafe, negative or fractional values are refused", () => {
  assert.ok(Number.isNaN(readUint64BE(new Uint8Array(8).fill(0xff), 0)));
  assert.ok(Number.isNaN(readUint64BE(Uint8Array.from([0, 0x20, 0, 0, 0, 0, 0, 0]), 0)), "2^53");
  assert.equal(readUint64BE(Uint8Array.from([0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0), Number.MAX_SAFE_INTEGER);
  for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) assert.throws(() => writeUint64BE(new Uint8Array(8), 0, bad), AssertionError);
});
