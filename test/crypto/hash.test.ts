import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { HASH_SIZE_BYTES, hashTagged, sha256 } from "../../src/crypto/index.ts";
import { toHex, utf8 } from "../../src/util/index.ts";

describe("crypto: hashing", () => {
  it("sha256 matches the FIPS 180-2 'abc' vector and returns a plain Uint8Array", () => {
    const digest = sha256(utf8("abc"));
    assert.equal(toHex(digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(Object.getPrototypeOf(digest), Uint8Array.prototype);
    assert.equal(digest.byteLength, HASH_SIZE_BYTES);
  });

  it("hashTagged is SHA-256(tag || 0x00 || parts...)", () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
    const expected = createHash("sha256").update("ghostmesh/v1/tx").update(new Uint8Array([0, 1, 2, 3])).digest();
    assert.equal(toHex(hashTagged("ghostmesh/v1/tx", ...parts)), expected.toString("hex"));
  });

  it("different tags give different hashes of the same data", () => {
    const data = utf8("payload");
    assert.notDeepEqual(hashTagged("ghostmesh/v1/tx", data), hashTagged("ghostmesh/v1/vote", data));
    assert.notDeepEqual(hashTagged("ghostmesh/v1/tx", data), sha256(data));
  });

  it("a tag that is empty or contains NUL is a programming error", () => {
    assert.throws(() => hashTagged(""), { name: "AssertionError" });
    assert.throws(() => hashTagged("a\u0000b"), { name: "AssertionError" });
  });
});
