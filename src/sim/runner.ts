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
  /** Sum over runs of agreement, validity, honest-equivocation and false-evidence violations. */
  readonly safetyViolations: number;
  /** Runs in which commits (or evidence) did not resume within the bound after GST. */
  readonly livenessFailures: number;
  readonly evidenceCommitted: number;
  /** Of evidenceCommitted: structurally invalid proposals signed by their view's leader. */
  readonly invalidProposalEvidenceCommitted: number;
  readonly evidenceMissing: number;
  /** Proposal to commit, per honest node and block, in virtual time. */
  readonly p50CommitLatencyMs: number;
  readonly p99CommitLatencyMs: number;
  /** GST to commits resumed everywhere (SimRunResult.recoveryMs), over the runs that recovered. */
  readonly p50RecoveryMs: number;
  readonly p99RecoveryMs: number;
  readonly messagesTotal: number;
  readonly bytesTotal: number;
  /** Crashes that wiped a validator's store (--wipes). */
  readonly wipes: number;
  /** Honest engines' sightings of their key signing where they did not (SimRunResult.signedElsewhere). */
  readonly signedElsewhere: number;
  /** Views honest nodes timed out at once, their leader absent (--absent-leaders). */
  readonly absentLeaderTimeouts: number;
  readonly failures: readonly SimFailure[];
};

/** Failing runs kept in full in a summary; the rest are only counted. */
export const SIM_FAILURES_KEPT_MAX = 20;

export function runSeed(seed: number, index: number): number {
  return (seed + index) % 0x100000000;
}

export function percentile(sorted: readonly number[], percent: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.floor(((sorted.length - 1) * percent) / 100);
  return sorted[index] as number;
}

/** Folds run results (in any order) into a summary; add them in run order for a stable `failures` list. */
export class SweepAccumulator {
  private readonly latencies: number[] = [];
  private readonly recoveries: number[] = [];
  private readonly failures: SimFailure[] = [];
  private runs = 0;
  private committedBlocks = 0;
  private safetyViolations = 0;
  private livenessFailures = 0;
  private evidenceCommitted = 0;
  private invalidProposalEvidenceCommitted = 0;
  private evidenceMissing = 0;
  private messagesTotal = 0;
  private bytesTotal = 0;
  private wipes = 0;
  private signedElsewhere = 0;
  private absentLeaderTimeouts = 0;

  add(result: SimRunResult): void {
    this.runs++;
    this.committedBlocks += result.committedBlocks;
    this.safetyViolations += result.safetyViolations;
    this.livenessFailures += result.livenessFailures;
    this.evidenceCommitted += result.evidenceCommitted;
    this.invalidProposalEvidenceCommitted += result.invalidProposalEvidenceCommitted;
    this.evidenceMissing += result.evidenceMissing;
    this.messagesTotal += result.messagesTotal;
    this.bytesTotal += result.bytesTotal;
    this.wipes += result.wipes;
    this.signedElsewhere += result.signedElsewhere;
    this.absentLeaderTimeouts += result.absentLeaderTimeouts;
    for (const latency of result.latenciesMs) this.latencies.push(latency);
    if (result.recoveryMs !== null) this.recoveries.push(result.recoveryMs);
    if (result.violations.length > 0 && this.failures.length < SIM_FAILURES_KEPT_MAX) this.failures.push({ seed: result.seed, violations: result.violations });
  }

  summary(): SimSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const recoveries = [...this.recoveries].sort((a, b) => a - b);
    return {
      runs: this.runs,
      committedBlocks: this.committedBlocks,
      safetyViolations: this.safetyViolations,
      livenessFailures: this.livenessFailures,
      evidenceCommitted: this.evidenceCommitted,
      invalidProposalEvidenceCommitted: this.invalidProposalEvidenceCommitted,
      evidenceMissing: this.evidenceMissing,
      p50CommitLatencyMs: percentile(sorted, 50),
      p99CommitLatencyMs: percentile(sorted, 99),
      p50RecoveryMs: percentile(recoveries, 50),
      p99RecoveryMs: percentile(recoveries, 99),
      messagesTotal: this.messagesTotal,
      bytesTotal: this.bytesTotal,
      wipes: this.wipes,
      signedElsewhere: this.signedElsewhere,
      absentLeaderTimeouts: this.absentLeaderTimeouts,
      failures: [...this.failures].sort((a, b) => a.seed - b.seed),
    };
  }
}

export function runSweep(base: Omit<SimOptions, "seed">, runs: number, seed: number, onRun?: (index: number, result: SimRunResult) => void): SimSummary {
  const accumulator = new SweepAccumulator();
  for (let i = 0; i < runs; i++) {
    const result = runSimulation({ ...base, seed: runSeed(seed, i) });
    accumulator.add(result);
    onRun?.(i, result);
  }
  return accumulator.summary();
}
