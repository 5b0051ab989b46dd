import { test } from "node:test";
import assert from "node:assert/strict";
import { createCachingVerifier, createCommitteeVerifier, signatureChecksOf, voteMessage, type ProposalMessage } from "../../src/consensus/index.ts";
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
