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

export function isSafeToTimeout(state: SafetyState, view: number, qcView: number, tc: TcSummary | null): boolean {
  if (qcView < state.highestQcView || view <= Math.max(state.lastVotedView - 1, qcView)) return false;
  return consecutive(view, qcView) || (tc !== null && consecutive(view, tc.view));
}

export function isSafeToPropose(state: SafetyState, view: number): boolean {
  return view > state.lastProposedView;
}

export function afterVote(state: SafetyState, blockView: number, qcView: number): SafetyState {
  assert(blockView > state.lastVotedView, "afterVote: voting moves lastVotedView forward");
  return { ...state, lastVotedView: blockView, highestQcView: Math.max(state.highestQcView, qcView) };
}

export function afterTimeout(state: SafetyState, view: number): SafetyState {
  assert(view >= state.lastVotedView, "afterTimeout: a timeout never lowers lastVotedView");
  return { ...state, lastVotedView: view };
}

export function afterPropose(state: SafetyState, view: number): SafetyState {
  assert(view > state.lastProposedView, "afterPropose: one proposal per view");
  return { ...state, lastProposedView: view };
}
