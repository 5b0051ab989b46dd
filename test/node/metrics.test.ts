import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { SEED_SIZE_BYTES, SignatureAlgorithm, sign, signAsync, signingKeyFromSeed, verify, verifyAsync } from "../../src/crypto/index.ts";
import { createNodeMetrics } from "../../src/node/metrics.ts";
import { utf8 } from "../../src/util/index.ts";

test("metrics: the process's signatures and signature checks are counted by thread, and only go up", async () => {
  const register = new Registry();
  createNodeMetrics(register);
  const read = async (name: string) => {
    const metric = (await register.getSingleMetric(name)?.get())?.values ?? [];
    const of = (thread: string): number => metric.find((v) => v.labels.thread === thread)?.value ?? Number.NaN;
    return { loop: of("loop"), threadpool: of("threadpool") };
  };
  const signsBefore = await read("ghostmesh_crypto_signatures_total");
  const verifiesBefore = await read("ghostmesh_crypto_signature_verifies_total");
  const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(SEED_SIZE_BYTES).fill(4));
  const message = utf8("ghostmesh/v1/test: metrics");
  const signature = sign(key, message);
  await signAsync(key, message);
  verify(key.alg, key.publicKey, message, signature);
  await verifyAsync(key.alg, key.publicKey, message, signature);
  await verifyAsync(key.alg, key.publicKey, message, signature);
  const signsAfter = await read("ghostmesh_crypto_signatures_total");
  const verifiesAfter = await read("ghostmesh_crypto_signature_verifies_total");
  assert.deepEqual({ loop: signsAfter.loop - signsBefore.loop, threadpool: signsAfter.threadpool - signsBefore.threadpool }, { loop: 1, threadpool: 1 });
  assert.deepEqual({ loop: verifiesAfter.loop - verifiesBefore.loop, threadpool: verifiesAfter.threadpool - verifiesBefore.threadpool }, { loop: 1, threadpool: 2 });
  const text = await register.metrics();
  assert.match(text, /# TYPE ghostmesh_crypto_signatures_total counter/);
  assert.match(text, /^ghostmesh_crypto_signature_verifies_total\{thread="threadpool"\} \d+$/m);
});
