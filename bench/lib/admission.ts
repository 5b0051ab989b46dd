/**
 * Admission of signed audit.append transactions through the real Mempool.admit() (decode,
 * stateless checks, key lookup in committed state, threadpool verify, insert), next to the
 * raw all-core verify rate of the very same signatures, measured in alternating rounds so
 * both see the same machine load.
 */
import type { SigningKey } from "../../src/crypto/index.ts";
import { registerAccounts } from "./accounts.ts";
import { openBenchChain, type BenchChain } from "./fixture.ts";
import { round } from "./machine.ts";
import { nowMs, perSecond, progress, runBounded } from "./timing.ts";
import { auditRecord, prepareTxs, type PreparedTx } from "./txs.ts";
import { measureVerifyAllCoresPerSecond, measureVerifySyncPerSecond, verifySamples } from "./verifyRate.ts";

export type AdmissionOptions = {
  readonly accounts: number;
  /** Transactions per account per round; each round admits accounts * txsPerAccountRound. */
  readonly txsPerAccountRound: number;
  readonly rounds: number;
  readonly admitInFlightMax: number;
};

export type AdmissionResult = {
  readonly accounts: number;
  readonly txsAdmitted: number;
  readonly txBytesAverage: number;
  readonly admitInFlightMax: number;
  readonly admissionPerSecond: number;
  readonly admissionRoundsPerSecond: readonly number[];
  readonly verifyAllCoresRoundsPerSecond: readonly number[];
  readonly verifyAllCoresPerSecond: number;
  readonly verifyOneCoreSyncPerSecond: number;
};

/** Rounds of txs; round r carries nonces 1 + r*k .. (r+1)*k of every account, nonce-major. */
async function prepareRounds(keys: readonly SigningKey[], opts: AdmissionOptions, roundCount: number): Promise<PreparedTx[][]> {
  const rounds: PreparedTx[][] = [];
  for (let r = 0; r < roundCount; r++) {
    const plans = [];
    for (let k = 0; k < opts.txsPerAccountRound; k++) {
      const nonce = 1 + r * opts.txsPerAccountRound + k;
      for (const [account, key] of keys.entries()) plans.push({ key, nonce, type: "audit.append" as const, record: auditRecord(account, nonce) });
    }
    rounds.push(await prepareTxs(plans));
  }
  return rounds;
}

async function admitAll(bench: BenchChain, txs: readonly PreparedTx[], inFlightMax: number): Promise<number> {
  const sizeBefore = bench.mempool.size;
  const started = nowMs();
  await runBounded(txs, inFlightMax, (tx) => bench.mempool.admit(tx.bytes));
  const elapsedMs = nowMs() - started;
  if (bench.mempool.size !== sizeBefore + txs.length) throw new Error("bench: not every transaction was admitted");
  return perSecond(txs.length, elapsedMs);
}

export type AdmissionFixture = { readonly bench: BenchChain; readonly keys: readonly SigningKey[]; readonly rounds: PreparedTx[][] };

/** Registers the accounts (committed) and pre-signs one warm-up round plus the measured ones and `extraRounds`. */
export async function prepareAdmission(opts: AdmissionOptions, extraRounds: number): Promise<AdmissionFixture> {
  const bench = openBenchChain("admission");
  progress(`admission: registering ${opts.accounts} accounts`);
  const keys = await registerAccounts(bench, opts.accounts);
  const total = 1 + opts.rounds + extraRounds;
  progress(`admission: signing ${total * opts.accounts * opts.txsPerAccountRound} audit.append transactions`);
  return { bench, keys, rounds: await prepareRounds(keys, opts, total) };
}

export async function benchAdmission(fixture: AdmissionFixture, opts: AdmissionOptions): Promise<AdmissionResult> {
  const [warmUp, ...measured] = fixture.rounds.slice(0, 1 + opts.rounds);
  await admitAll(fixture.bench, warmUp as PreparedTx[], opts.admitInFlightMax);
  const verifyOneCoreSyncPerSecond = measureVerifySyncPerSecond(verifySamples(warmUp as PreparedTx[]), 1_000);
  const admissionRounds: number[] = [];
  const verifyRounds: number[] = [];
  let admitMsTotal = 0;
  let txsTotal = 0;
  for (const txs of measured) {
    verifyRounds.push(await measureVerifyAllCoresPerSecond(verifySamples(txs)));
    const rate = await admitAll(fixture.bench, txs, opts.admitInFlightMax);
    admissionRounds.push(rate);
    admitMsTotal += (txs.length * 1000) / rate;
    txsTotal += txs.length;
    progress(`admission: round of ${txs.length}: raw verify ${verifyRounds.at(-1)}/s, admission ${rate}/s`);
  }
  verifyRounds.push(await measureVerifyAllCoresPerSecond(verifySamples(measured.at(-1) ?? [])));
  const bytesTotal = measured.flat().reduce((sum, tx) => sum + tx.bytes.byteLength, 0);
  return {
    accounts: opts.accounts,
    txsAdmitted: txsTotal,
    txBytesAverage: Math.round(bytesTotal / txsTotal),
    admitInFlightMax: opts.admitInFlightMax,
    admissionPerSecond: perSecond(txsTotal, admitMsTotal),
    admissionRoundsPerSecond: admissionRounds,
    verifyAllCoresRoundsPerSecond: verifyRounds,
    verifyAllCoresPerSecond: Math.round(verifyRounds.reduce((a, b) => a + b, 0) / verifyRounds.length),
    verifyOneCoreSyncPerSecond,
  };
}

export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? round(numerator / denominator, 3) : 0;
}
