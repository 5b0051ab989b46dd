/**
 * Many runs of one scenario: run i uses seed (seed + i) mod 2^32, so any failing run replays
 * alone with `--runs 1 --seed <its seed>`. Aggregates the verdicts and commit latencies.
 */
import { runSimulation, type SimRunResult } from "./simulation.ts";
import type { SimOptions } from "./options.ts";
import type { Violation } from "./checkers.ts";

export type SimFailure = { readonly seed: number; readonly violations: readonly Violation[] };

export type SimSummary = {
  readonly runs: number;
  /** Sum over runs of the height committed by honest nodes. */
  readonly committedBlocks: number;
  /** Sum over runs of agreement, validity and honest-equivocation violations. */
  readonly safetyViolations: number;
  /** Runs in which commits (or evidence) did not resume within the bound after GST. */
  readonly livenessFailures: number;
  readonly evidenceCommitted: number;
  readonly evidenceMissing: number;
  /** Proposal to commit, per honest node and block, in virtual time. */
  readonly p50CommitLatencyMs: number;
  readonly p99CommitLatencyMs: number;
  readonly messagesTotal: number;
  readonly bytesTotal: number;
  readonly failures: readonly SimFailure[];
};

/** Failing runs kept in full in a summary; the rest are only counted. */
export const SIM_FAILURES_KEPT_MAX = 20;

export function runSeed(base: Omit<SimOptions, "seed">, seed: number, index: number): number {
  return (seed + index) % 0x100000000;
}

export function percentile(sorted: readonly number[], percent: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.floor(((sorted.length - 1) * percent) / 100);
  return sorted[index] as number;
}

export function runSweep(base: Omit<SimOptions, "seed">, runs: number, seed: number, onRun?: (index: number, result: SimRunResult) => void): SimSummary {
  const latencies: number[] = [];
  const failures: SimFailure[] = [];
  let committedBlocks = 0;
  let safetyViolations = 0;
  let livenessFailures = 0;
  let evidenceCommitted = 0;
  let evidenceMissing = 0;
  let messagesTotal = 0;
  let bytesTotal = 0;
  for (let i = 0; i < runs; i++) {
    const result = runSimulation({ ...base, seed: runSeed(base, seed, i) });
    committedBlocks += result.committedBlocks;
    safetyViolations += result.safetyViolations;
    livenessFailures += result.livenessFailures;
    evidenceCommitted += result.evidenceCommitted;
    evidenceMissing += result.evidenceMissing;
    messagesTotal += result.messagesTotal;
    bytesTotal += result.bytesTotal;
    for (const latency of result.latenciesMs) latencies.push(latency);
    if (result.violations.length > 0 && failures.length < SIM_FAILURES_KEPT_MAX) failures.push({ seed: result.seed, violations: result.violations });
    onRun?.(i, result);
  }
  latencies.sort((a, b) => a - b);
  return {
    runs,
    committedBlocks,
    safetyViolations,
    livenessFailures,
    evidenceCommitted,
    evidenceMissing,
    p50CommitLatencyMs: percentile(latencies, 50),
    p99CommitLatencyMs: percentile(latencies, 99),
    messagesTotal,
    bytesTotal,
    failures,
  };
}
