/**
 * The same audit.append admission, but through the node's HTTP API (Fastify, POST /v1/txs as
 * application/cbor) with the HTTP client in the same process. It shows what HTTP costs on top
 * of Mempool.admit(): on 2 cores the client's fetch work competes with the node for CPU, so
 * this is a lower bound of what remote clients would see.
 */
import { Registry } from "prom-client";
import { buildApi } from "../../src/api/index.ts";
import type { AdmissionFixture } from "./admission.ts";
import { createBenchMempool, silentLogger } from "./fixture.ts";
import { nowMs, perSecond, runBounded } from "./timing.ts";
import type { PreparedTx } from "./txs.ts";

export type ApiAdmissionResult = {
  readonly txsAdmitted: number;
  readonly requestsInFlightMax: number;
  readonly admissionPerSecond: number;
};

export async function benchApiAdmission(fixture: AdmissionFixture, txs: readonly PreparedTx[], requestsInFlightMax: number): Promise<ApiAdmissionResult> {
  const { chain, producer } = fixture.bench;
  const mempool = createBenchMempool(chain);
  const app = buildApi({ chain, mempool, producer, register: new Registry(), logger: silentLogger });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `${address}/v1/txs`;
  try {
    const started = nowMs();
    await runBounded(txs, requestsInFlightMax, async (tx) => {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/cbor" }, body: tx.bytes });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`bench: POST /v1/txs answered ${response.status}: ${text}`);
    });
    return { txsAdmitted: txs.length, requestsInFlightMax, admissionPerSecond: perSecond(txs.length, nowMs() - started) };
  } finally {
    await app.close();
  }
}
