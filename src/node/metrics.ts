import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { signatureWorkCounts } from "../crypto/index.ts";

/** The process-wide counts (src/crypto) as they stand at each scrape: absolute, so monotonic. */
function setSignatureCounts(counter: Counter<"thread">, onLoop: number, onThreadpool: number): void {
  counter.reset();
  counter.inc({ thread: "loop" }, onLoop);
  counter.inc({ thread: "threadpool" }, onThreadpool);
}

export function createNodeMetrics(register: Registry) {
  return {
    height: new Gauge({ name: "ghostmesh_chain_height", help: "Height of the last committed block", registers: [register] }),
    txsCommittedTotal: new Counter({ name: "ghostmesh_chain_txs_committed_total", help: "Transactions committed", registers: [register] }),
    entriesCommittedTotal: new Counter({ name: "ghostmesh_chain_log_entries_committed_total", help: "Log entries committed", registers: [register] }),
    blockCommitSeconds: new Histogram({
      name: "ghostmesh_chain_block_commit_seconds",
      help: "Time from reaping transactions to the block being durable",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [register],
    }),
    signaturesTotal: new Counter({
      name: "ghostmesh_crypto_signatures_total",
      help: "Signatures made by this process (every validator it runs), by thread: the event loop or libuv's threadpool",
      labelNames: ["thread"],
      registers: [register],
      collect() {
        const counts = signatureWorkCounts();
        setSignatureCounts(this, counts.signsOnLoop, counts.signsOnThreadpool);
      },
    }),
    signatureVerifiesTotal: new Counter({
      name: "ghostmesh_crypto_signature_verifies_total",
      help: "Signature checks OpenSSL ran in this process (cached verdicts and malformed input not counted), by thread: the event loop or libuv's threadpool",
      labelNames: ["thread"],
      registers: [register],
      collect() {
        const counts = signatureWorkCounts();
        setSignatureCounts(this, counts.verifiesOnLoop, counts.verifiesOnThreadpool);
      },
    }),
  };
}
export type NodeMetrics = ReturnType<typeof createNodeMetrics>;
