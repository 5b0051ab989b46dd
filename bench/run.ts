/**
 * Ghostmesh node benchmark: `npm run bench` (node bench/run.ts). Prints ONE JSON document on
 * stdout; progress goes to stderr. Every rate stands next to the raw ML-DSA-65 verify rate
 * measured in the same run (DESIGN §6). See docs/bench.md for what each figure means.
 */
import { benchAdmission, prepareAdmission, ratio, type AdmissionOptions } from "./lib/admission.ts";
import { benchApiAdmission } from "./lib/api.ts";
import { benchBatches, prepareBatches, type BatchOptions } from "./lib/batch.ts";
import { machineFacts } from "./lib/machine.ts";
import { nowMs, progress } from "./lib/timing.ts";

/** 200 accounts x 10 txs x 3 rounds: ~1 s of admission per round on 2 cores. */
const ADMISSION: AdmissionOptions = { accounts: 200, txsPerAccountRound: 10, rounds: 3, admitInFlightMax: 128 };
/** 20 batches of 10,000 records: 200,000 log entries, several blocks at the node's default limits. */
const BATCH: BatchOptions = { accounts: 4, batches: 20, submitInFlightMax: 4 };
const API_REQUESTS_IN_FLIGHT_MAX = 64;

async function main(): Promise<void> {
  const started = nowMs();
  const machine = machineFacts();
  progress(`machine: ${machine.cpus} cpus, node ${machine.nodeVersion}, threadpool ${machine.libuvThreadpoolSize}`);
  const admissionFixture = await prepareAdmission(ADMISSION, 1);
  const batchFixture = await prepareBatches(BATCH);
  try {
    progress("measuring admission");
    const admission = await benchAdmission(admissionFixture, ADMISSION);
    progress("measuring admission through the HTTP API");
    const api = await benchApiAdmission(admissionFixture, admissionFixture.rounds.at(-1) ?? [], API_REQUESTS_IN_FLIGHT_MAX);
    progress("measuring audit.batch commits");
    const batch = await benchBatches(batchFixture, BATCH);
    const result = {
      benchmark: "ghostmesh.node",
      machine,
      mldsa65VerifyPerSecondAllCores: admission.verifyAllCoresPerSecond,
      mldsa65VerifyPerSecondOneCoreSync: admission.verifyOneCoreSyncPerSecond,
      auditAppendAdmissionPerSecond: admission.admissionPerSecond,
      admissionVsRawVerifyRatio: ratio(admission.admissionPerSecond, admission.verifyAllCoresPerSecond),
      auditBatchRecordsCommittedPerSecond: batch.recordsCommittedPerSecond,
      auditBatchRecordsVsRawVerifyRatio: ratio(batch.recordsCommittedPerSecond, admission.verifyAllCoresPerSecond),
      batchTxsPerBlock: batch.batchTxsPerBlock,
      apiAuditAppendAdmissionPerSecondClientInProcess: api.admissionPerSecond,
      apiAdmissionVsRawVerifyRatio: ratio(api.admissionPerSecond, admission.verifyAllCoresPerSecond),
      details: { admission, batch, api },
      benchSeconds: Math.round((nowMs() - started) / 100) / 10,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await admissionFixture.bench.close();
    await batchFixture.bench.close();
  }
}

await main();
