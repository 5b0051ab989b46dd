/**
 * Safety rules (Jolteon / DiemBFT-v4 "Safety" module), as pure functions over the persisted
 * SafetyState. The engine asks before every vote, timeout and proposal, and persists the
 * returned state before the message leaves.
 *
 * - Vote in view v for a block whose QC has view q only if v > max(lastVotedView, q), and
 *   either q = v - 1 (extends the previous view's QC) or the block comes with TC(v - 1) and
 *   q >= every high-QC view reported in that TC.
 * - Time out of view v reporting high-QC view q only if q >= highestQcView (never hide a
 *   QC we voted on top of), v > max(lastVotedView - 1, q), and v follows q or TC(v - 1).
 *   After an epoch change, lastVotedView here is the highest view voted or timed out in this
 *   epoch (`epochVotedView`): timeouts name their epoch, votes do not.
 */
import { assert } from "../util/index.ts";
import type { SafetyState } from "./types.ts";

/** The part of a TC the rules need. */
export type TcSummary = { readonly view: number; readonly highQcViewMax: number };

export function initialSafetyState(epoch: number, rootView: number): SafetyState {
  return { epoch, lastVotedView: rootView, highestQcView: rootView, lastProposedView: rootView, highQc: null, lastTc: null };
}

function consecutive(view: number, previous: number): boolean {
  return previous + 1 === view;
}

export function isSafeToVote(state: SafetyState, blockView: number, qcView: number, tc: TcSummary | null): boolean {
  if (blockView <= Math.max(state.lastVotedView, qcView)) return false;
  if (consecutive(blockView, qcView)) return true;
  return tc !== null && consecutive(blockView, tc.view) && qcView >= tc.highQcViewMax;
}

/** The highest view voted or timed out in this epoch. */
function epochVotedViewOf(state: SafetyState): number {
  return state.epochVotedView ?? state.lastVotedView;
}

export function isSafeToTimeout(state: SafetyState, view: number, qcView: number, tc: TcSummary | null): boolean {
  if (qcView < state.highestQcView || view <= Math.max(epochVotedViewOf(state) - 1, qcView)) return false;
  return consecutive(view, qcView) || (tc !== null && consecutive(view, tc.view));
}

export function isSafeToPropose(state: SafetyState, view: number): boolean {
  return view > state.lastProposedView;
}

export function afterVote(state: SafetyState, blockView: number, qcView: number): SafetyState {
  assert(blockView > state.lastVotedView, "afterVote: voting moves lastVotedView forward");
  return withVotedView(state, blockView, Math.max(state.highestQcView, qcView));
}

export function afterTimeout(state: SafetyState, view: number): SafetyState {
  assert(view >= epochVotedViewOf(state), "afterTimeout: a timeout never lowers the view voted in this epoch");
  return withVotedView(state, view, state.highestQcView);
}

/**
 * A view voted or timed out in: lastVotedView never falls; epochVotedView is kept only while
 * this epoch is still below what an earlier one voted.
 */
function withVotedView(state: SafetyState, view: number, highestQcView: number): SafetyState {
  const { epochVotedView: _dropped, ...rest } = state;
  if (view >= state.lastVotedView) return { ...rest, lastVotedView: view, highestQcView };
  return { ...rest, highestQcView, epochVotedView: view };
}

/**
 * The state a new epoch's engine starts from: views continue, so the vote and proposal marks
 * carry over; certificates of the old epoch do not. Its timeouts start again from the root.
 */
export function safetyForNewEpoch(saved: SafetyState, epoch: number, rootView: number): SafetyState {
  const fresh = initialSafetyState(epoch, rootView);
  const lastVotedView = Math.max(saved.lastVotedView, rootView);
  return { ...fresh, lastVotedView, lastProposedView: Math.max(saved.lastProposedView, rootView), ...(lastVotedView > rootView ? { epochVotedView: rootView } : {}) };
}

export function afterPropose(state: SafetyState, view: number): SafetyState {
  assert(view > state.lastProposedView, "afterPropose: one proposal per view");
  return { ...state, lastProposedView: view };
}

/**
 * The state raised so that nothing is voted or proposed in a view up to `view`: for a
 * validator that may have signed there with a safety state it no longer has (its store was
 * wiped or restored from an older copy; the node's signing reservation knows the bound).
 * Timeouts stay allowed from the views this state already allowed: a validator that signs
 * nothing would hold up a committee that needs its timeouts to leave those views.
 */
export function withSigningFloor(state: SafetyState, view: number): SafetyState {
  if (view <= state.lastVotedView && view <= state.lastProposedView) return state;
  const lastVotedView = Math.max(state.lastVotedView, view);
  const lastProposedView = Math.max(state.lastProposedView, view);
  if (lastVotedView === state.lastVotedView) return { ...state, lastProposedView };
  return { ...state, lastVotedView, lastProposedView, epochVotedView: epochVotedViewOf(state) };
}

/**
 * A signing reservation (decision 0200, "Session 32"): kept apart from the safety state, so
 * that a validator whose store lost that state still knows a bound on the views it signed in.
 * Zero views reserved: none yet.
 */
export type SigningReservationMark = {
  /** The highest view signed when the reservation was made: a safety state below it is older than the reservation. */
  readonly signedFromView: number;
  /** No view above this is signed before a further reservation is durable. */
  readonly reservedThroughView: number;
};

export const NO_SIGNING_RESERVATION: SigningReservationMark = { signedFromView: 0, reservedThroughView: 0 };

/**
 * Views reserved at a time: a wiped validator stays out of votes and proposals for at most
 * this many views past its last signature, and is a fault meanwhile (with one more validator
 * out, a committee of four waits for it, each view ending by a TC after a backed-off timer).
 * The next reservation is made once half of this one is used, so the node writes it ahead,
 * in the background. 64 and then 16 stalled a soak's and an end-to-end test's committee for
 * minutes (decision 0200, "Session 32").
 */
export const SIGNING_RESERVATION_VIEWS = 8;

/** The highest view a safety state lets have been signed in: voted, timed out or proposed. */
function signedViewOf(state: SafetyState): number {
  return Math.max(state.lastVotedView, state.lastProposedView);
}

/**
 * The next reservation once `state` signs past half of `mark` (the latest one made), or null.
 * It covers `state`, which may not leave the node before a reservation covering it is durable;
 * made at half, it is usually durable before it is needed.
 */
export function reservationDue(mark: SigningReservationMark, state: SafetyState, viewsAhead: number): SigningReservationMark | null {
  const signedView = signedViewOf(state);
  if (signedView <= mark.reservedThroughView - Math.floor(viewsAhead / 2)) return null;
  return { signedFromView: signedView, reservedThroughView: signedView + viewsAhead };
}

/** Whether `mark` covers what `state` signs: a state past it may not be sent before a further reservation is durable. */
export function isCoveredBy(mark: SigningReservationMark, state: SafetyState): boolean {
  return signedViewOf(state) <= mark.reservedThroughView;
}

/**
 * The safety state an engine of `epoch` with its root at `rootView` starts from: `saved`, or,
 * when that is missing or older than the reservation (the store lost what the key signed),
 * one that neither votes nor proposes through the reserved views.
 */
export function safetyUnderReservation(mark: SigningReservationMark, saved: SafetyState | null, epoch: number, rootView: number): SafetyState | null {
  if (mark.reservedThroughView === 0 || (saved !== null && signedViewOf(saved) >= mark.signedFromView)) return saved;
  return withSigningFloor(saved ?? initialSafetyState(epoch, rootView), mark.reservedThroughView);
}
