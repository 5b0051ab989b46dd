import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { generateSigningKey } from "../../src/crypto/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { decodeSignedTx, TX_BYTES_MAX } from "../../src/ledger/index.ts";
import { GhostmeshError, bytesEqual } from "../../src/util/index.ts";

const chainId = "decode-test";
const key = generateSigningKey();
const valid = buildTx(key, chainId, 3, { type: "audit.append", record: { action: "deploy", subject: "api", data: { n: 1 } } });

function decodeOutcome(bytes: Uint8Array): "ok" | "refused" {
  try {
    decodeSignedTx(bytes, chainId);
    return "ok";
  } catch (err) {
    assert.ok(err instanceof GhostmeshError, `only GhostmeshError may escape, got ${String(err)}`);
    return "refused";
  }
}

describe("ledger: decodeSignedTx", () => {
  it("round-trips a signed transaction to the same hash", () => {
    const decoded = decodeSignedTx(valid.bytes, chainId);
    assert.ok(bytesEqual(decoded.txHash, valid.hash));
  });

  it("random bytes never crash the decoder (property)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => void decodeOutcome(bytes)), { numRuns: 2000 });
  });

  it("mutating any byte of a valid transaction is refused or decodes to another hash (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: valid.bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, xor) => {
        const bytes = new Uint8Array(valid.bytes);
        bytes[position] = (bytes[position] as number) ^ xor;
        if (decodeOutcome(bytes) === "ok") {
          const decoded = decodeSignedTx(bytes, chainId);
          assert.ok(!bytesEqual(decoded.txHash, valid.hash) || !bytesEqual(decoded.signedTx.sig, valid.signedTx.sig));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a non-batch transaction over its size limit", () => {
    const big = buildTx(key, chainId, 3, { type: "audit.append", record: { action: "a", data: "x".repeat(15_000) } });
    const padded = encodeCanonical({ ...big.signedTx, tx: { ...big.signedTx.tx, body: { record: { action: "a", data: ["x".repeat(15_000), "y".repeat(15_000), "z".repeat(15_000), "w".repeat(15_000), "v".repeat(5_000)] } } } });
    assert.ok(padded.length > TX_BYTES_MAX);
    assert.throws(() => decodeSignedTx(padded, chainId), (err: unknown) => err instanceof GhostmeshError && /bytes|data/.test(err.message));
  });
  it("keeps the signature as a view into exact wire bytes, and copies a small window out of a large buffer", () => {
    const decoded = decodeSignedTx(valid.bytes, chainId);
    assert.equal(decoded.signedTx.sig.buffer, valid.bytes.buffer, "no copy of the signature");
    assert.equal(decoded.signedTx.sig.constructor, Uint8Array);

    const large = new Uint8Array(64 * 1024);
    large.set(valid.bytes, 1000);
    const window = large.subarray(1000, 1000 + valid.bytes.length);
    const fromWindow = decodeSignedTx(window, chainId);
    assert.notEqual(fromWindow.signedTx.sig.buffer, large.buffer, "the large buffer is not kept alive");
    assert.ok(fromWindow.signedTx.sig.buffer.byteLength <= valid.bytes.length);
    assert.deepEqual(fromWindow.signedTx, decoded.signedTx);

    const fromBuffer = decodeSignedTx(Buffer.from(valid.bytes), chainId);
    assert.equal(fromBuffer.signedTx.sig.constructor, Uint8Array, "views of a Buffer are plain Uint8Arrays");
    assert.deepEqual(fromBuffer.signedTx, decoded.signedTx);
  });
});
