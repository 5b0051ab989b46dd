import { test } from "node:test";
import assert from "node:assert/strict";
import { createCachingVerifier, createCommitteeVerifier, createVoteMessageOf, signatureChecksOf, voteMessage, type ProposalMessage } from "../../src/consensus/index.ts";
import { SignatureAlgorithm, addressFromPublicKey, sign, signingKeyFromSeed } from "../../src/crypto/index.ts";
import { CHAIN_ID, createCluster, pump, sent, startAll } from "./harness.ts";

test("verifier: ML-DSA-65 votes verify against the signer's key only, and a cached result is not re-verified", () => {
  const keys = [1, 2].map((fill) => signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(32).fill(fill)));
  const validators = keys.map((key, i) => ({ name: `v${i}`, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }));
  const inner = createCommitteeVerifier({ validators });
  let calls = 0;
  const verifier = createCachingVerifier({ verify: (i, m, s) => (calls++, inner.verify(i, m, s)) }, 3);
  const message = voteMessage("test", 3, 2, new Uint8Array(32).fill(5));
  const signature = sign(keys[0]!, message);
  assert.equal(verifier.verify(0, message, signature), true);
  assert.equal(verifier.verify(1, message, signature), false, "another validator's key");
  assert.equal(verifier.verify(5, message, signature), false, "no such validator");
  assert.equal(verifier.verify(0, message, signature), true);
  assert.equal(calls, 3, "the repeated check came from the cache");
  verifier.verify(1, voteMessage("test", 4, 2, new Uint8Array(32)), signature);
  assert.equal(verifier.stats().entries, 3, "the cache stays within its bound");
});

test("verifier: signatureChecksOf lists every signature a message carries, so a host can verify them ahead and prime the cache", () => {
  const cluster = createCluster(4, 41);
  const log = pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 3);
  const proposal = log.flatMap((actions) => sent(actions, "proposal")).map((s) => s.message as ProposalMessage).find((p) => p.block.header.justify !== null);
  assert.ok(proposal !== undefined);
  const checks = signatureChecksOf(proposal, CHAIN_ID, 4);
  assert.equal(checks.length, 1 + (proposal.block.header.justify?.signatures.length ?? 0), "the proposal's own signature and its QC's");
  assert.ok(checks.every((c) => cluster.keyring.verifier.verify(c.validatorIndex, c.message, c.signature)), "each check verifies");
  const primed = createCachingVerifier({ verify: () => assert.fail("primed checks never reach the inner verifier") });
  for (const c of checks) primed.prime(c.validatorIndex, c.message, c.signature, true);
  assert.ok(checks.every((c) => primed.verify(c.validatorIndex, c.message, c.signature)));
});

test("verifier: the vote-message memo gives voteMessage's bytes, per (view, height, block), within its bound", () => {
  const voteMessageOf = createVoteMessageOf(CHAIN_ID, 2);
  const blockA = new Uint8Array(32).fill(1);
  const blockB = new Uint8Array(32).fill(2);
  const first = voteMessageOf(3, 2, blockA);
  assert.deepEqual(first, voteMessage(CHAIN_ID, 3, 2, blockA));
  assert.equal(voteMessageOf(3, 2, new Uint8Array(blockA)), first, "an equal block hash in another array is the same entry");
  for (const [view, height, block] of [[4, 2, blockA], [3, 3, blockA], [3, 2, blockB]] as const) {
    assert.deepEqual(voteMessageOf(view, height, block), voteMessage(CHAIN_ID, view, height, block), `view ${view}, height ${height}`);
  }
  assert.notEqual(voteMessageOf(3, 2, blockA), first, "evicted beyond the bound, then computed again");
  assert.deepEqual(voteMessageOf(3, 2, blockA), first);
});

test("verifier: a signature's verdict is found by its bytes, whichever array holds them", () => {
  const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(32).fill(9));
  const inner = createCommitteeVerifier({ validators: [{ name: "v0", address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }] });
  let calls = 0;
  const verifier = createCachingVerifier({ verify: (i, m, s) => (calls++, inner.verify(i, m, s)) });
  const message = voteMessage("test", 3, 2, new Uint8Array(32).fill(5));
  const signature = sign(key, message);
  assert.equal(verifier.isKnown(0, message, signature), false);
  assert.equal(verifier.verify(0, message, signature), true);
  assert.equal(verifier.isKnown(0, message, new Uint8Array(signature)), true, "a copy of the bytes");
  const forged = new Uint8Array(signature);
  forged[100] = (forged[100] as number) ^ 1;
  assert.equal(verifier.isKnown(0, message, forged), false, "one bit differs");
  assert.equal(verifier.verify(0, message, forged), false);
  assert.equal(verifier.verify(0, message, forged), false);
  assert.equal(calls, 2, "each distinct signature verified once");
});
