/**
 * audit.batch throughput on the full path of a node: admit (decode, schema, records root,
 * threadpool verify) → the producer reaps → buildBlock (execute, entries, Merkle append) →
 * the validator signs the QC → commitBlock (one SQLite transaction, WAL, synchronous=FULL).
 * Records/s is counted from the first admit to the last commit.
 */
import { BATCH_RECORDS_MAX } from "../../src/ledger/index.ts";
import type { SigningKey } from "../../src/crypto/index.ts";
import { registerAccounts } from "./accounts.ts";
import { openBenchChain, waitForCommits, type BenchChain } from "./fixture.ts";
import { round } from "./machine.ts";
import { perSecond, progress, runBounded, startStopwatch } from "./timing.ts";
import { auditRecord, prepareTxs, type PreparedTx, type TxPlan } from "./txs.ts";

export type BatchOptions = {
  readonly accounts: number;
  readonly batches: number;
  /** Batches submitted but not yet admitted at any time, as a few busy clients would. */
  readonly submitInFlightMax: number;
};

export type BatchResult = {
  readonly recordsPerBatch: number;
  readonly batches: number;
  readonly records: number;
  readonly batchBytesAverage: number;
  readonly elapsedMs: number;
  readonly recordsCommittedPerSecond: number;
  /** Process CPU time (all threads) per committed record; the path runs mostly on the event loop. */
  readonly cpuUsPerRecord: number;
  readonly blocks: number;
  readonly batchTxsPerBlock: number;
  readonly blockBuildAndCommitMsAverage: number;
};

export type BatchFixture = { readonly bench: BenchChain; readonly warmUp: PreparedTx[]; readonly batches: PreparedTx[] };

function batchPlans(keys: readonly SigningKey[], count: number, firstNonce: number): TxPlan[] {
  const plans: TxPlan[] = [];
  for (let i = 0; i < count; i++) {
    const account = i % keys.length;
    const nonce = firstNonce + Math.floor(i / keys.length);
    const records = Array.from({ length: BATCH_RECORDS_MAX }, (_, r) => auditRecord(account, nonce * BATCH_RECORDS_MAX + r));
    plans.push({ key: keys[account] as SigningKey, nonce, type: "audit.batch", records });
  }
  return plans;
}

export async function prepareBatches(opts: BatchOptions): Promise<BatchFixture> {
  const bench = openBenchChain("batch");
  progress(`batch: registering ${opts.accounts} accounts`);
  const keys = await registerAccounts(bench, opts.accounts);
  progress(`batch: building and signing ${opts.batches + 1} batches of ${BATCH_RECORDS_MAX} records`);
  const [warmUp, ...batches] = await prepareTxs(batchPlans(keys, opts.batches + 1, 1));
  // The warm-up batch takes every code path once (JIT), as in a node that has been running.
  return { bench, warmUp: [warmUp as PreparedTx], batches };
}

async function submitBatches(bench: BenchChain, txs: readonly PreparedTx[], inFlightMax: number): Promise<number> {
  const committed = waitForCommits(bench.producer, txs.map((tx) => tx.hashHex));
  bench.producer.start();
  await runBounded(txs, inFlightMax, async (tx) => {
    await bench.mempool.admit(tx.bytes);
    bench.producer.notifyAdmitted();
  });
  const blocks = await committed;
  await bench.producer.stop();
  return blocks.length;
}

export async function benchBatches(fixture: BatchFixture, opts: BatchOptions): Promise<BatchResult> {
  const { bench, batches } = fixture;
  await submitBatches(bench, fixture.warmUp, opts.submitInFlightMax);
  const histogramBefore = await blockHistogram(bench);
  const logSizeBefore = bench.chain.head.logSize;
  const stop = startStopwatch();
  const blocks = await submitBatches(bench, batches, opts.submitInFlightMax);
  const { elapsedMs, cpuMs } = stop();
  const records = batches.reduce((sum, tx) => sum + tx.recordCount, 0);
  // Every record must be a stored log entry, or the rate means nothing.
  if (bench.chain.head.logSize - logSizeBefore !== records) throw new Error("bench: committed log entries differ from records sent");
  const histogramAfter = await blockHistogram(bench);
  progress(`batch: ${records} records in ${Math.round(elapsedMs)} ms over ${blocks} blocks`);
  return {
    recordsPerBatch: BATCH_RECORDS_MAX,
    batches: batches.length,
    records,
    batchBytesAverage: Math.round(batches.reduce((sum, tx) => sum + tx.bytes.byteLength, 0) / batches.length),
    elapsedMs: Math.round(elapsedMs),
    recordsCommittedPerSecond: perSecond(records, elapsedMs),
    cpuUsPerRecord: round((cpuMs * 1000) / records, 2),
    blocks,
    batchTxsPerBlock: round(batches.length / blocks, 2),
    blockBuildAndCommitMsAverage: round(((histogramAfter.sum - histogramBefore.sum) * 1000) / Math.max(1, histogramAfter.count - histogramBefore.count), 1),
  };
}

/** Sum and count of the node's own block build-to-durable histogram. */
async function blockHistogram(bench: BenchChain): Promise<{ sum: number; count: number }> {
  const metric = await bench.nodeMetrics.blockCommitSeconds.get();
  const value = (name: string): number => metric.values.find((v) => v.metricName === name)?.value ?? 0;
  return { sum: value("ghostmesh_chain_block_commit_seconds_sum"), count: value("ghostmesh_chain_block_commit_seconds_count") };
}
