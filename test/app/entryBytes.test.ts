import { DatabaseSync } from "node:sqlite";
import { emptyBlockContext } from "./harness.ts";
import { openStateStore, type StateWrite } from "../../src/state/index.ts";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCanonical } from "../../src/codec/index.ts";
import { executeBlock, type Account } from "../../src/app/index.ts";
import { encodeBatchEntries } from "../../src/app/entryBytes.ts";
import { decodeSignedTx, recordsRoot, type AuditRecord, type LogEntry, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { auditRecordArbitrary } from "../helpers/auditRecords.ts";

const common = { height: 5, txHash: new Uint8Array(32).fill(1), from: new Uint8Array(20).fill(2), type: "audit.batch" } as const;

describe("app: batch entry bytes", () => {
  it("assembles exactly encodeCanonical(entry) for every record (property)", () => {
    fc.assert(
      fc.property(fc.array(auditRecordArbitrary, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (records, height) => {
        const entries = encodeBatchEntries({ ...common, height }, records.map((record) => encodeCanonical(record)));
        records.forEach((record, recordIndex) => {
          const entry: LogEntry = { ...common, height, recordIndex, record };
          assert.ok(bytesEqual(entries[recordIndex] as Uint8Array, encodeCanonical(entry)), `entry ${recordIndex}`);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("encodes record indices of every CBOR head width up to the batch limit", () => {
    const record: AuditRecord = { action: "x", data: { n: 1 } };
    const recordBytes = new Array<Uint8Array>(10_000).fill(encodeCanonical(record));
    const entries = encodeBatchEntries(common, recordBytes);
    for (const recordIndex of [0, 23, 24, 255, 256, 9_999]) {
      assert.ok(bytesEqual(entries[recordIndex] as Uint8Array, encodeCanonical({ ...common, recordIndex, record })), `index ${recordIndex}`);
    }
  });

  it("gives the same entries whether execution gets the admission's record bytes or encodes the records itself", () => {
    const from = new Uint8Array(20).fill(3);
    const records: AuditRecord[] = Array.from({ length: 300 }, (_, i) => ({ action: `a${i % 7}`, subject: `s${i}`, data: { i, f: i + 0.5 } }));
    const tx: Tx = { chainId: "entry-test", from, nonce: 4, type: "audit.batch", body: { recordCount: records.length, recordsRoot: recordsRoot(records) } };
    const decoded = decodeSignedTx(encodeCanonical({ tx, sig: new Uint8Array(3309), records } satisfies SignedTx), "entry-test");
    const accounts = new Map<string, Account>([[toHex(from), { alg: 2, publicKey: new Uint8Array(1952), nonce: 4 }]]);
    const reader = { getAccount: (address: Uint8Array) => accounts.get(toHex(address)) };
    const state = openStateStore(new DatabaseSync(":memory:"));
    const input = { height: 9, logSize: 100, prepareState: (writes: readonly StateWrite[]) => state.prepare(9, writes), context: emptyBlockContext };
    const withBytes = executeBlock(reader, { ...input, txs: [{ signedTx: decoded.signedTx, txHash: decoded.txHash, recordBytes: decoded.recordBytes }] });
    const withoutBytes = executeBlock(reader, { ...input, txs: [{ signedTx: decoded.signedTx, txHash: decoded.txHash }] });
    assert.equal(withBytes.entryBytes.length, 300);
    withBytes.entryBytes.forEach((bytes, i) => {
      assert.ok(bytesEqual(bytes, withoutBytes.entryBytes[i] as Uint8Array));
      assert.ok(bytesEqual(bytes, encodeCanonical(withBytes.entries[i])));
    });
  });
});
