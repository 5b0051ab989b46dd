/**
 * Under a flood a proposal can carry a transaction before its gossiped copy is admitted, or
 * while it is: each validator still checks each transaction's signature once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildTx } from "../../../src/client/index.ts";
import { generateSigningKey, signatureWorkCounts } from "../../../src/crypto/index.ts";
import type { PendingVerdict } from "../../../src/mempool/index.ts";
import { TX_SIGNATURES_VERIFIED_MAX, TxSignatureCache, admissionVerifier } from "../../../src/node/consensus/txChecks.ts";
import { toHex } from "../../../src/util/index.ts";

const key = generateSigningKey();
const other = generateSigningKey();
const built = buildTx(key, "tx-signatures", 1, { type: "audit.append", record: { action: "deploy" } });
const txHashHex = toHex(built.hash);
const { sig } = built.signedTx;
const forged = sig.slice();
forged[5] = (forged[5] as number) ^ 1;

function checksOnThreadpool<T>(run: () => Promise<T>): Promise<{ result: T; checks: number }> {
  const before = signatureWorkCounts().verifiesOnThreadpool;
  return run().then((result) => ({ result, checks: signatureWorkCounts().verifiesOnThreadpool - before }));
}

describe("transaction signatures checked once", () => {
  it("admission takes a verdict the application already holds, and checks anything else", async () => {
    const signatures = new TxSignatureCache(() => undefined);
    signatures.remember(txHashHex, { sig, alg: key.alg, publicKey: key.publicKey });
    const verifier = admissionVerifier(() => signatures);
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(key.alg, key.publicKey, built.hash, sig)), { result: true, checks: 0 });
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(key.alg, key.publicKey, built.hash, forged)), { result: false, checks: 1 }, "other signature bytes");
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(other.alg, other.publicKey, built.hash, sig)), { result: false, checks: 1 }, "another key");
    const before = admissionVerifier(() => null);
    assert.deepEqual(await checksOnThreadpool(() => before.verify(key.alg, key.publicKey, built.hash, sig)), { result: true, checks: 1 }, "no application yet");
  });

  it("a check under way is found for the same signature and key only", async () => {
    const pending: PendingVerdict = { sig, alg: key.alg, publicKey: key.publicKey, valid: Promise.resolve(true) };
    const signatures = new TxSignatureCache(() => undefined, TX_SIGNATURES_VERIFIED_MAX, (hashHex) => (hashHex === txHashHex ? pending : undefined));
    assert.equal(signatures.pendingCheck(txHashHex, sig, key), pending.valid);
    assert.equal(signatures.pendingCheck(txHashHex, forged, key), undefined);
    assert.equal(signatures.pendingCheck(txHashHex, sig, other), undefined);
    assert.equal(signatures.pendingCheck("00", sig, key), undefined);
  });
});
