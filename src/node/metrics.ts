import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { signatureWorkCounts, type SignatureWorkCounts } from "../crypto/index.ts";

/**
 * A counter of signature work by thread (the event loop or libuv's threadpool), read from the
 * process-wide counts (src/crypto) at each scrape: absolute, so monotonic.
 */
function signatureWorkCounter(register: Registry, name: string, help: string, byThread: (counts: SignatureWorkCounts) => { readonly loop: number; readonly threadpool: number }) {
  return new Counter({
    name,
    help,
    labelNames: ["thread"],
    registers: [register],
    collect() {
      const { loop, threadpool } = byThread(signatureWorkCounts());
      this.reset();
      this.inc({ thread: "loop" }, loop);
      this.inc({ thread: "threadpool" }, threadpool);
    },
  });
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
    signaturesTotal: signatureWorkCounter(
      register,
      "ghostmesh_crypto_signatures_total",
      "Signatures made by this process (every validator it runs), by thread: the event loop or libuv's threadpool",
      (counts) => ({ loop: counts.signsOnLoop, threadpool: counts.signsOnThreadpool }),
    ),
    signatureVerifiesTotal: signatureWorkCounter(
      register,
      "ghostmesh_crypto_signature_verifies_total",
      "Signature checks OpenSSL ran in this process (cached verdicts and malformed input not counted), by thread: the event loop or libuv's threadpool",
      (counts) => ({ loop: counts.verifiesOnLoop, threadpool: counts.verifiesOnThreadpool }),
    ),
  };
}
export type NodeMetrics = ReturnType<typeof createNodeMetrics>;
