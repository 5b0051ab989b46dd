import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ADDRESS_SIZE_BYTES,
  addressFromPublicKey,
  formatAddress,
  generateSigningKey,
  hashTagged,
  parseAddress,
  SEED_SIZE_BYTES,
  SignatureAlgorithm,
  signingKeyFromSeed,
} from "../../src/crypto/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";

function isBadAddress(err: unknown): boolean {
  return err instanceof GhostmeshError && err.code === "CRYPTO_BAD_ADDRESS";
}

describe("crypto: addresses", () => {
  it("an address is the first 20 bytes of hashTagged('ghostmesh/v1/addr', alg, publicKey)", () => {
    const key = generateSigningKey();
    const address = addressFromPublicKey(key.alg, key.publicKey);
    assert.equal(address.byteLength, ADDRESS_SIZE_BYTES);
    assert.deepEqual(address, hashTagged("ghostmesh/v1/addr", new Uint8Array([key.alg]), key.publicKey).slice(0, 20));
  });

  it("the pinned seed gives the pinned address (regression vector)", () => {
    const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, Uint8Array.from({ length: SEED_SIZE_BYTES }, (_, i) => i));
    assert.equal(formatAddress(addressFromPublicKey(key.alg, key.publicKey)), "gm0776e8371dc54fb4ba2104f0545b262d12bc987e");
  });

  it("format then parse gives the same bytes; the text is gm + 40 lowercase hex", () => {
    const address = addressFromPublicKey(2, generateSigningKey().publicKey);
    const text = formatAddress(address);
    assert.match(text, /^gm[0-9a-f]{40}$/);
    assert.deepEqual(parseAddress(text), address);
  });

  it("upper-case hex digits parse to the same address", () => {
    const text = formatAddress(new Uint8Array(20).fill(0xab));
    assert.deepEqual(parseAddress(`gm${text.slice(2).toUpperCase()}`), new Uint8Array(20).fill(0xab));
  });

  it("malformed addresses throw CRYPTO_BAD_ADDRESS", () => {
    const good = formatAddress(new Uint8Array(20).fill(1));
    const bad = [
      "",
      "gm",
      good.slice(2),
      `0x${good.slice(2)}`,
      `GM${good.slice(2)}`,
      good.slice(0, -1),
      `${good}0`,
      `${good.slice(0, -1)}g`,
      ` ${good}`,
      `${good.slice(0, -2)}\u00e9`,
    ];
    for (const text of bad) assert.throws(() => parseAddress(text), isBadAddress, JSON.stringify(text));
  });

  it("the error names the problem and the expected length", () => {
    assert.throws(() => parseAddress("gm1234"), (err: unknown) => isBadAddress(err) && err instanceof Error && /42 characters|40 hex digits/.test(err.message));
    assert.throws(() => parseAddress("xx"), (err: unknown) => isBadAddress(err) && err instanceof Error && /must start with "gm"/.test(err.message));
  });
});
