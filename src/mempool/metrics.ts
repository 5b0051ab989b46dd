import { Counter, Gauge, type Registry } from "prom-client";

export function createMempoolMetrics(register: Registry) {
  return {
    admittedTotal: new Counter({ name: "ghostmesh_mempool_admitted_total", help: "Transactions admitted", registers: [register] }),
    rejectedTotal: new Counter({
      name: "ghostmesh_mempool_rejected_total",
      help: "Transactions refused at admission, by error code",
      labelNames: ["code"] as const,
      registers: [register],
    }),
    expiredTotal: new Counter({ name: "ghostmesh_mempool_expired_total", help: "Transactions dropped after waiting waitingBlocksMax blocks for an earlier nonce of their sender", registers: [register] }),
    txs: new Gauge({ name: "ghostmesh_mempool_txs", help: "Transactions held", registers: [register] }),
    sizeBytes: new Gauge({ name: "ghostmesh_mempool_size_bytes", help: "Encoded bytes held", registers: [register] }),
  };
}
export type MempoolMetrics = ReturnType<typeof createMempoolMetrics>;
