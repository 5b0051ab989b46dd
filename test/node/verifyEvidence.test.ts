/** ghostmesh verify checks every evidence item's signatures, not only the header's evidenceHash. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { createEvidence, voteRecord } from "../../src/consensus/index.ts";
import { sign, type SigningKey } from "../../src/crypto/index.ts";
import { signerBitmap, voteMessage, type Evidence, type QuorumCertificate } from "../../src/ledger/index.ts";
import { VerifyFailure, verifyStore } from "../../src/node/verify.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

/** Two votes of validator 0 for one view on different blocks; `tamper` spoils the second signature. */
function doubleVote(t: TestChain, tamper: boolean): Evidence {
  const { chainId } = t.genesis;
  const vote = (blockHash: Uint8Array, key: SigningKey) =>
    voteRecord(chainId, { type: "vote", epoch: 0, view: 7, height: 5, blockHash, sender: 0, signature: sign(key, voteMessage(chainId, 7, 5, blockHash)) });
  const first = vote(new Uint8Array(32).fill(1), t.validatorKey);
  const second = vote(new Uint8Array(32).fill(2), t.validatorKey);
  if (tamper) second.signature.set([(second.signature[10] ?? 0) ^ 0x01], 10);
  return createEvidence(t.genesis.validators[0]!.address, first, second);
}

/** Commits one block carrying `evidence`, certified by the validator's real signature (the store trusts its caller). */
function commitWithEvidence(t: TestChain, evidence: Evidence): void {
  const head = t.chain.head;
  const built = t.chain.buildBlock({ txs: [], proposer: t.genesis.validators[0]!.address, view: head.height + 1, timestampMs: head.timestamp + 1, justify: null, evidence: [evidence] });
  const { header } = built.block;
  const signature = sign(t.validatorKey, voteMessage(header.chainId, header.view, header.height, built.hash));
  const qc: QuorumCertificate = { view: header.view, height: header.height, blockHash: built.hash, signers: signerBitmap([0], 1), signatures: [signature] };
  t.chain.commitBlock(built, qc);
}

describe("verify: evidence", () => {
  it("a block carrying genuine double-vote evidence verifies", async () => {
    const t = openTestChain();
    try {
      commitWithEvidence(t, doubleVote(t, false));
      const report = await verifyStore(t.store, t.genesis);
      assert.equal(report.height, 1);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it("evidence whose signature does not verify fails verify, naming the height and the item, though the header commits to it", async () => {
    const t = openTestChain();
    try {
      commitWithEvidence(t, doubleVote(t, true));
      await assert.rejects(verifyStore(t.store, t.genesis), (err: unknown) => {
        assert.ok(err instanceof VerifyFailure, String(err));
        assert.equal(err.meta.height, 1);
        assert.equal(err.meta.object, "block evidence 0");
        assert.match(err.message, /signature/);
        return true;
      });
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
