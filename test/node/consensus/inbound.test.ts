import { test } from "node:test";
import assert from "node:assert/strict";
import { createCachingVerifier, voteMessage, type VoteMessage } from "../../../src/consensus/index.ts";
import { sign } from "../../../src/crypto/index.ts";
import { verifyConsensusSignaturesAhead } from "../../../src/node/consensus/inbound.ts";
import { openTestChain, removeDir } from "../../helpers/testChain.ts";

test("inbound: signatures are verified ahead and primed, but one whose verdict is cached is not checked again", async () => {
  const t = openTestChain();
  try {
    const { chainId, validators } = t.genesis;
    const voteFor = (view: number): VoteMessage => {
      const blockHash = new Uint8Array(32).fill(view);
      return { type: "vote", epoch: 0, view, height: view, blockHash, sender: 0, signature: sign(t.validatorKey, voteMessage(chainId, view, view, blockHash)) };
    };
    const checkOf = (vote: VoteMessage) => [vote.sender, voteMessage(chainId, vote.view, vote.height, vote.blockHash), vote.signature] as const;
    // Every verdict must come from the work ahead or from priming, never from the engine's own check.
    const verifier = createCachingVerifier({ verify: () => assert.fail("the engine's check found no verdict") });
    const modules = { chain: t.chain, verifier, validators };

    const fresh = voteFor(3);
    assert.equal(verifier.isKnown(...checkOf(fresh)), false);
    await verifyConsensusSignaturesAhead(fresh, modules);
    assert.equal(verifier.isKnown(...checkOf(fresh)), true);
    assert.equal(verifier.verify(...checkOf(fresh)), true, "verified ahead: valid");

    // A verdict already cached stands: had the check run again, it would have primed "valid".
    const known = voteFor(4);
    verifier.prime(...checkOf(known), false);
    await verifyConsensusSignaturesAhead(known, modules);
    assert.equal(verifier.verify(...checkOf(known)), false, "not checked again");

    const forged = { ...voteFor(5), signature: voteFor(6).signature };
    await verifyConsensusSignaturesAhead(forged, modules);
    assert.equal(verifier.verify(...checkOf(forged)), false, "verified ahead: invalid");
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});
