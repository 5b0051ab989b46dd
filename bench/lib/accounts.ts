/** Registers bench accounts through the real pipeline so that they exist in committed state. */
import type { SigningKey } from "../../src/crypto/index.ts";
import type { BenchChain } from "./fixture.ts";
import { waitForCommits } from "./fixture.ts";
import { runBounded } from "./timing.ts";
import { generateKeys, prepareTxs } from "./txs.ts";

const ADMIT_IN_FLIGHT_MAX = 64;

export async function registerAccounts(bench: BenchChain, count: number): Promise<SigningKey[]> {
  const keys = generateKeys(count);
  const txs = await prepareTxs(keys.map((key) => ({ key, nonce: 0, type: "account.register" as const })));
  await submitAndCommit(bench, txs.map((tx) => tx.bytes), txs.map((tx) => tx.hashHex));
  return keys;
}

/** Admits every tx, lets the producer run until all are committed, then stops it again. */
export async function submitAndCommit(bench: BenchChain, txBytes: readonly Uint8Array[], txHashesHex: readonly string[]): Promise<void> {
  const committed = waitForCommits(bench.producer, txHashesHex);
  bench.producer.start();
  await runBounded(txBytes, ADMIT_IN_FLIGHT_MAX, async (bytes) => {
    await bench.mempool.admit(bytes);
    bench.producer.notifyAdmitted();
  });
  await committed;
  await bench.producer.stop();
}
