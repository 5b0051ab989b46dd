/**
 * TxPreparer encodes a transaction once: the hash comes from the tx span of that encoding, and
 * for a transaction without records the same bytes are what the store keeps (Chain.writeBlock
 * stores them as given), on both paths: signature already verified or not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildTx } from "../../../src/client/index.ts";
import { encodeCanonical } from "../../../src/codec/index.ts";
import { generateSigningKey } from "../../../src/crypto/index.ts";
import { hashTx } from "../../../src/ledger/index.ts";
import { TxPreparer, TxSignatureCache } from "../../../src/node/consensus/txChecks.ts";
import { toHex } from "../../../src/util/index.ts";

const CHAIN_ID = "tx-preparer";
const key = generateSigningKey();

describe("TxPreparer", () => {
  it("keeps encodeCanonical({tx, sig}) of a transaction without records, with its hash", () => {
    const { signedTx } = buildTx(key, CHAIN_ID, 0, { type: "audit.append", record: { action: "deploy", subject: "svc" } });
    const prepared = new TxPreparer(CHAIN_ID, new TxSignatureCache(() => undefined)).prepare(signedTx);
    assert.deepEqual(prepared.signedTxBytes, encodeCanonical({ tx: signedTx.tx, sig: signedTx.sig }));
    assert.deepEqual(prepared.txHash, hashTx(signedTx.tx));
  });

  it("keeps them when the signature is already known to verify", () => {
    const { signedTx } = buildTx(key, CHAIN_ID, 1, { type: "audit.append", record: { action: "deploy" } });
    const txHashHex = toHex(hashTx(signedTx.tx));
    const known = { sig: signedTx.sig, alg: key.alg, publicKey: key.publicKey };
    const prepared = new TxPreparer(CHAIN_ID, new TxSignatureCache((hashHex) => (hashHex === txHashHex ? known : undefined))).prepare(signedTx);
    assert.equal(prepared.txHashHex, txHashHex);
    assert.deepEqual(prepared.signedTxBytes, encodeCanonical({ tx: signedTx.tx, sig: signedTx.sig }));
  });

  it("keeps none for a batch carrying its records (the store keeps the batch without them)", () => {
    const { signedTx } = buildTx(key, CHAIN_ID, 2, { type: "audit.batch", records: [{ action: "a" }, { action: "b" }] });
    assert.notEqual(signedTx.records, undefined);
    const prepared = new TxPreparer(CHAIN_ID, new TxSignatureCache(() => undefined)).prepare(signedTx);
    assert.equal(prepared.signedTxBytes, undefined);
    assert.equal(prepared.recordBytes?.length, 2);
    assert.deepEqual(prepared.txHash, hashTx(signedTx.tx));
  });
});
