/**
 * Admission of signed audit.append transactions through the real Mempool.admit() (decode,
 * stateless checks, key lookup in committed state, threadpool verify, insert), next to the
 * raw all-core verify rate of the very same signatures, measured in alternating rounds so
 * both see the same machine load. Each round admits the same pre-signed transactions into a
 * fresh mempool (empty verified-signature cache), so every round verifies every signature.
 */
import { registerAccounts } from "./accounts.ts";
import { createBenchMempool, openBenchChain, type BenchChain } from "./fixture.ts";
import { round } from "./machine.ts";
import { perSecond, progress, runBounded, startStopwatch } from "./timing.ts";
import { auditRecord, prepareTxs, type PreparedTx, type TxPlan } from "./txs.ts";
import { measureVerifyAllCores, measureVerifySyncPerSecond, verifySamples, type RateMeasurement } from "./verifyRate.ts";

export type AdmissionOptions = {
  readonly accounts: number;
  /** Consecutive nonces per account: the set admitted in every round is accounts * txsPerAccount. */
  readonly txsPerAccount: number;
  /** Measured rounds, after one warm-up round. */
  readonly rounds: number;
  readonly admitInFlightMax: number;
};

export type AdmissionResult = {
  readonly accounts: number;
  readonly txsPerRound: number;
  readonly rounds: number;
  readonly txBytesAverage: number;
  readonly admitInFlightMax: number;
  readonly admissionPerSecond: number;
  readonly admissionRoundsPerSecond: readonly number[];
  readonly verifyAllCoresRoundsPerSecond: readonly number[];
  /**
   * Each admission round against the raw rounds measured just before and just after it
   * (the mean of the two rates): paired ratios, so load that comes and goes affects both
   * sides of each pair. Their median is steadier than the aggregate on a shared machine.
   */
  readonly admissionVsRawVerifyRoundRatios: readonly number[];
  readonly admissionVsRawVerifyRoundRatioMedian: number;
  readonly verifyAllCoresPerSecond: number;
  readonly verifyOneCoreSyncPerSecond: number;
  /** Process CPU time (all threads) per admitted transaction, and per raw verify. */
  readonly admissionCpuUsPerTx: number;
  readonly verifyCpuUsPerSignature: number;
  readonly admissionCpuUsPerTxRounds: readonly number[];
  readonly verifyCpuUsPerSignatureRounds: readonly number[];
};

export type AdmissionFixture = { readonly bench: BenchChain; readonly txs: readonly PreparedTx[] };

/** Registers the accounts (committed), then pre-signs their next `txsPerAccount` nonces, nonce-major. */
export async function prepareAdmission(opts: AdmissionOptions): Promise<AdmissionFixture> {
  const bench = openBenchChain("admission");
  progress(`admission: registering ${opts.accounts} accounts`);
  const keys = await registerAccounts(bench, opts.accounts);
  const plans: TxPlan[] = [];
  for (let nonce = 1; nonce <= opts.txsPerAccount; nonce++) {
    for (const [account, key] of keys.entries()) plans.push({ key, nonce, type: "audit.append", record: auditRecord(account, nonce) });
  }
  progress(`admission: signing ${plans.length} audit.append transactions`);
  return { bench, txs: await prepareTxs(plans) };
}

async function admitAll(bench: BenchChain, txs: readonly PreparedTx[], inFlightMax: number): Promise<RateMeasurement> {
  const mempool = createBenchMempool(bench.chain);
  const stop = startStopwatch();
  await runBounded(txs, inFlightMax, (tx) => mempool.admit(tx.bytes));
  const { elapsedMs, cpuMs } = stop();
  if (mempool.size !== txs.length || mempool.readyCount !== txs.length) throw new Error("bench: not every transaction was admitted");
  return { count: txs.length, elapsedMs, cpuMs };
}

export async function benchAdmission(fixture: AdmissionFixture, opts: AdmissionOptions): Promise<AdmissionResult> {
  const { bench, txs } = fixture;
  const samples = verifySamples(txs);
  await admitAll(bench, txs, opts.admitInFlightMax); // warm-up: JIT, caches
  const verifyOneCoreSyncPerSecond = measureVerifySyncPerSecond(samples, 1_000);
  const admissions: RateMeasurement[] = [];
  const verifies: RateMeasurement[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    verifies.push(await measureVerifyAllCores(samples));
    admissions.push(await admitAll(bench, txs, opts.admitInFlightMax));
    const [verify, admission] = [verifies.at(-1) as RateMeasurement, admissions.at(-1) as RateMeasurement];
    progress(
      `admission: round of ${txs.length}: raw verify ${rateOf(verify)}/s (${cpuUsPerItem(verify)} us CPU each), admission ${rateOf(admission)}/s (${cpuUsPerItem(admission)} us CPU each)`,
    );
  }
  verifies.push(await measureVerifyAllCores(samples));
  const admitted = total(admissions);
  const verified = total(verifies);
  const roundRatios = admissions.map((admission, r) => ratio(rateOf(admission), (rateOf(verifies[r]) + rateOf(verifies[r + 1])) / 2));
  return {
    accounts: opts.accounts,
    txsPerRound: txs.length,
    rounds: opts.rounds,
    txBytesAverage: Math.round(txs.reduce((sum, tx) => sum + tx.bytes.byteLength, 0) / txs.length),
    admitInFlightMax: opts.admitInFlightMax,
    admissionPerSecond: perSecond(admitted.count, admitted.elapsedMs),
    admissionRoundsPerSecond: admissions.map(rateOf),
    verifyAllCoresRoundsPerSecond: verifies.map(rateOf),
    admissionVsRawVerifyRoundRatios: roundRatios,
    admissionVsRawVerifyRoundRatioMedian: median(roundRatios),
    verifyAllCoresPerSecond: perSecond(verified.count, verified.elapsedMs),
    verifyOneCoreSyncPerSecond,
    admissionCpuUsPerTx: round((admitted.cpuMs * 1000) / admitted.count, 1),
    verifyCpuUsPerSignature: round((verified.cpuMs * 1000) / verified.count, 1),
    admissionCpuUsPerTxRounds: admissions.map(cpuUsPerItem),
    verifyCpuUsPerSignatureRounds: verifies.map(cpuUsPerItem),
  };
}

function rateOf(measurement: RateMeasurement | undefined): number {
  return measurement === undefined ? 0 : perSecond(measurement.count, measurement.elapsedMs);
}

function cpuUsPerItem(measurement: RateMeasurement): number {
  return round((measurement.cpuMs * 1000) / measurement.count, 1);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2, 3);
}

function total(measurements: readonly RateMeasurement[]): RateMeasurement {
  return measurements.reduce((sum, m) => ({ count: sum.count + m.count, elapsedMs: sum.elapsedMs + m.elapsedMs, cpuMs: sum.cpuMs + m.cpuMs }), {
    count: 0,
    elapsedMs: 0,
    cpuMs: 0,
  });
}

export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? round(numerator / denominator, 3) : 0;
}
