import { Counter, Gauge, Histogram, type Registry } from "prom-client";

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
  };
}
export type NodeMetrics = ReturnType<typeof createNodeMetrics>;
