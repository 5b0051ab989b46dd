/**
 * What the host's view timer does when one run of it ends (host.ts `armTimer`). A view's clock
 * starts when there is work: while idle the timer is postponed; a view entered while idle, or
 * whose timer was postponed, gets one more full run once work appears (a transaction, an empty
 * block falling due). With the default timings every node's empty block falls due about when a
 * view entered at the last block times out, and the leader proposes on its next pacing check:
 * firing then would time the view out just before its proposal arrives, and blocks would land
 * only every other view, which the 2-chain rule does not commit.
 *
 * A node whose newest block was stale when it entered the view (one that has just caught up,
 * or missed a block) saw an empty block due at entry, so its timer was not postponed; when the
 * empty block is its only work, the run is counted from when that block fell due instead.
 */
export type ViewTimerOutcome = { readonly kind: "fire" } | { readonly kind: "rearm"; readonly postponed: boolean; readonly runMs: number };

export type ViewTimerState = {
  readonly idle: boolean;
  /** This run followed a postponement. */
  readonly postponed: boolean;
  /** How long the next empty block has been due, when it is the node's only work; else null. */
  readonly emptyBlockOnlyDueForMs: number | null;
  readonly delayMs: number;
};

export function viewTimerOutcome(state: ViewTimerState): ViewTimerOutcome {
  const { delayMs } = state;
  if (state.idle) return { kind: "rearm", postponed: true, runMs: delayMs };
  if (state.postponed) return { kind: "rearm", postponed: false, runMs: delayMs };
  const dueForMs = state.emptyBlockOnlyDueForMs;
  if (dueForMs !== null && dueForMs < delayMs) return { kind: "rearm", postponed: false, runMs: delayMs - dueForMs };
  return { kind: "fire" };
}
