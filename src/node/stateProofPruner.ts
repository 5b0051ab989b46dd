/**
 * Keeps the state tree's proofs for the last `historyBlocks` heights (config `state.
 * proofHistoryBlocks`; 0 keeps every height's): older versions' nodes are deleted, except the
 * last height of each epoch, where a light client proves the next validator set. Every state
 * value stays, so reads at any height, an emergency rollback's among them (decision 0603), are
 * the same on every validator whatever its setting: pruning is local, never part of consensus
 * (decision 0400, "Pruning proofs").
 *
 * It runs on the event loop, as every write to chain.db does (one writer), in small steps:
 * `versionsPerRunMax` versions per run, every `idleIntervalMs`, or while it is behind (a node
 * that turns pruning on after a long history) every `catchUpIntervalMs`, and never sooner than
 * `catchUpIdlePerBusy` times the last step's duration: on a slow disk, catching up takes longer
 * instead of taking the event loop from consensus.
 */
import type { Chain } from "./chain.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { Logger } from "./types.ts";
import { assert, errorMessage } from "../util/index.ts";

export type StateProofPrunerOptions = {
  /** Heights whose proofs are kept, counting the head; at least 1. */
  readonly historyBlocks: number;
  readonly versionsPerRunMax: number;
  readonly idleIntervalMs: number;
  readonly catchUpIntervalMs: number;
  /** While catching up, milliseconds left idle per millisecond a step took: 4 keeps pruning to at most a fifth of the loop. */
  readonly catchUpIdlePerBusy: number;
};

/**
 * A run reads at most 2 versions' stale lists. `npm run bench:state` (`chainBlocks.proofPruning`)
 * measures ~3,400 nodes deleted and 11-15 ms of CPU per version of blocks that change 500 keys,
 * against 24-27 ms to commit such a block, and runs of 2 versions at a median of 18-25 ms, less
 * than a commit of such a block holds the event loop. Catching up, such a run is followed by
 * ~80 ms idle: ~10 runs and 20 versions a second, a fifth of the loop at most.
 */
export const defaultStateProofPrunerTiming = { versionsPerRunMax: 2, idleIntervalMs: 5_000, catchUpIntervalMs: 50, catchUpIdlePerBusy: 4 } as const;

/** The wait before the next run: idle when caught up; behind, the catch-up interval or the step's share of the loop, whichever is longer. */
export function nextPruneDelayMs(opts: Pick<StateProofPrunerOptions, "idleIntervalMs" | "catchUpIntervalMs" | "catchUpIdlePerBusy">, behind: boolean, stepMs: number): number {
  if (!behind) return opts.idleIntervalMs;
  return Math.max(opts.catchUpIntervalMs, Math.ceil(stepMs * opts.catchUpIdlePerBusy));
}

export type StateProofPrunerModules = {
  readonly chain: Chain;
  readonly logger: Logger;
  readonly metrics?: Pick<NodeMetrics, "stateNodesPrunedTotal" | "stateProofsPrunedBeforeHeight">;
};

export class StateProofPruner {
  private readonly opts: StateProofPrunerOptions;
  private readonly modules: StateProofPrunerModules;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Whether the last run failed, so a lasting failure is logged once, not at every run. */
  private failing = false;

  constructor(opts: StateProofPrunerOptions, modules: StateProofPrunerModules) {
    assert(Number.isSafeInteger(opts.historyBlocks) && opts.historyBlocks >= 1, "StateProofPruner: historyBlocks >= 1");
    assert(Number.isSafeInteger(opts.versionsPerRunMax) && opts.versionsPerRunMax >= 1, "StateProofPruner: versionsPerRunMax >= 1");
    assert(opts.catchUpIdlePerBusy >= 0, "StateProofPruner: catchUpIdlePerBusy >= 0");
    this.opts = opts;
    this.modules = modules;
  }

  start(): void {
    this.modules.metrics?.stateProofsPrunedBeforeHeight.set(this.modules.chain.state.proofsPrunedBefore);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One step towards the bound the head allows; whether more is left (public for tests). */
  runOnce(): boolean {
    const { chain, metrics } = this.modules;
    const bound = chain.head.height - this.opts.historyBlocks + 1;
    if (bound <= chain.state.proofsPrunedBefore) return false;
    const result = chain.state.pruneProofsBefore(bound, { keptHeightInterval: chain.validatorSets.epochBlocks, versionsMax: this.opts.versionsPerRunMax });
    metrics?.stateNodesPrunedTotal.inc(result.nodesDeleted);
    metrics?.stateProofsPrunedBeforeHeight.set(result.proofsPrunedBefore);
    this.modules.logger.debug({ proofsPrunedBefore: result.proofsPrunedBefore, nodesDeleted: result.nodesDeleted, versions: result.versionsDone }, "Pruned state proofs");
    return result.proofsPrunedBefore < bound;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), delayMs);
    // Pruning never keeps a process alive.
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    let behind = false;
    const startedMs = performance.now();
    try {
      behind = this.runOnce();
      this.failing = false;
    } catch (err) {
      // The store refuses writes (disk full, closed under us): commits will say so loudly; pruning waits.
      if (!this.failing) this.modules.logger.warn({ err: errorMessage(err) }, "State proof pruning failed; retrying later");
      this.failing = true;
    }
    this.schedule(nextPruneDelayMs(this.opts, behind, performance.now() - startedMs));
  }
}

/** The node's pruner for its config, started; null when `state.proofHistoryBlocks` is 0 (keep every height). */
export function startStateProofPruner(historyBlocks: number, modules: StateProofPrunerModules): StateProofPruner | null {
  if (historyBlocks === 0) return null;
  const pruner = new StateProofPruner({ historyBlocks, ...defaultStateProofPrunerTiming }, modules);
  pruner.start();
  return pruner;
}
