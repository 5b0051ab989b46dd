import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCanonical } from "../../src/codec/index.ts";
import { decodeSignedTx, hashTx, recordsRoot, signedTxSpans, type AuditRecord, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import { GhostmeshError, bytesEqual } from "../../src/util/index.ts";
import { auditRecordArbitrary } from "../helpers/auditRecords.ts";

const chainId = "spans-test";
const from = new Uint8Array(20).fill(4);
const sig = new Uint8Array(3309).fill(9);

function batchTx(records: readonly AuditRecord[], nonce: number): SignedTx {
  const tx: Tx = { chainId, from, nonce, type: "audit.batch", body: { recordCount: records.length, recordsRoot: recordsRoot(records) } };
  return { tx, sig, records };
}

describe("ledger: transaction spans in wire bytes", () => {
  it("the tx span and every record span are exactly encodeCanonical of the decoded parts (property)", () => {
    fc.assert(
      fc.property(fc.array(auditRecordArbitrary, { minLength: 1, maxLength: 30 }), fc.nat(), (records, nonce) => {
        const bytes = encodeCanonical(batchTx(records, nonce));
        const decoded = decodeSignedTx(bytes, chainId);
        assert.ok(bytesEqual(decoded.txHash, hashTx(decoded.signedTx.tx)));
        assert.equal(decoded.recordBytes?.length, records.length);
        decoded.recordBytes?.forEach((recordBytes, i) => assert.ok(bytesEqual(recordBytes, encodeCanonical(records[i]))));
        assert.ok(bytesEqual(signedTxSpans(bytes, records.length).txBytes, encodeCanonical(decoded.signedTx.tx)));
      }),
      { numRuns: 300 },
    );
  });

  it("gives an audit.append the same hash as hashing its re-encoded transaction, and no record bytes (property)", () => {
    fc.assert(
      fc.property(auditRecordArbitrary, fc.nat(), (record, nonce) => {
        const tx: Tx = { chainId, from, nonce, type: "audit.append", body: { record } };
        const decoded = decodeSignedTx(encodeCanonical({ tx, sig }), chainId);
        assert.ok(bytesEqual(decoded.txHash, hashTx(tx)));
        assert.equal(decoded.recordBytes, undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("still refuses a batch whose records were changed after signing", () => {
    const records: AuditRecord[] = [{ action: "deploy", subject: "api-1" }, { action: "deploy", subject: "api-2" }];
    const bytes = encodeCanonical(batchTx(records, 1));
    const at = Buffer.from(bytes).lastIndexOf(Buffer.from("api-2"));
    assert.ok(at > 0);
    bytes[at + 4] = "3".charCodeAt(0);
    assert.throws(() => decodeSignedTx(bytes, chainId), (err: unknown) => err instanceof GhostmeshError && err.code === "LEDGER_BATCH_ROOT_MISMATCH");
  });

  it("hands out record bytes as views into the wire bytes, copied first when they are a window into a large buffer", () => {
    const records: AuditRecord[] = [{ action: "deploy", subject: "api-1" }];
    const bytes = encodeCanonical(batchTx(records, 1));
    const decoded = decodeSignedTx(bytes, chainId);
    assert.equal(decoded.recordBytes?.[0]?.buffer, bytes.buffer, "used in place: callers must not modify admitted bytes");
    const large = new Uint8Array(bytes.length + 64 * 1024);
    large.set(bytes, 32 * 1024);
    const window = large.subarray(32 * 1024, 32 * 1024 + bytes.length);
    const fromWindow = decodeSignedTx(window, chainId);
    large.fill(0);
    assert.ok(bytesEqual(fromWindow.recordBytes?.[0] as Uint8Array, encodeCanonical(records[0])), "a private copy, independent of the large buffer");
  });
});
