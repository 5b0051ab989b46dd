/**
 * The emergency rollback (decision 0603): restores the application state after block H as
 * the writes of the executing block. History is not rewritten: the blocks after H, the
 * proposal and its votes stay in the log, and the restore is one more state version.
 *
 * Scope: every key written since H (by committed blocks, the uncommitted ancestry of a
 * speculative block, or this block so far) goes back to its value at H, or is deleted when it
 * did not exist at H, EXCEPT
 * - accounts and nonces (0x01, 0x02): a nonce going back would let signed transactions of
 *   the rolled-back blocks be replayed;
 * - governance's own records (0x30-0x3f): the executing proposal, its votes and the record
 *   of every other decision stay, so the rollback is visible and decisions cannot be undone
 *   by rolling back past them.
 * Balances, the total supply, staking, roles, policies, params and environments go back
 * together, so the supply invariant of H holds after the restore.
 */
import { bytesEqual, compareBytes, toHex } from "../util/index.ts";
import type { BlockState } from "./blockState.ts";
import { readActiveProposalIds, readProposal, type Proposal } from "./governanceState.ts";

/** Keys one rollback may restore: all are rewritten in one block, far below the state store's 250,000 writes per version. */
export const ROLLBACK_KEYS_MAX = 100_000;

const ACCOUNT_PREFIX = 0x01;
const ACCOUNT_NONCE_PREFIX = 0x02;
const GOVERNANCE_FIRST = 0x30;
const GOVERNANCE_LAST = 0x3f;

/** Whether a rollback restores `key` (see the scope above). */
export function isRollbackRestoredKey(key: Uint8Array): boolean {
  const prefix = key[0];
  if (prefix === undefined || prefix === ACCOUNT_PREFIX || prefix === ACCOUNT_NONCE_PREFIX) return false;
  return prefix < GOVERNANCE_FIRST || prefix > GOVERNANCE_LAST;
}

export type RollbackResult = { readonly ok: true; readonly keysRestored: number } | { readonly ok: false; readonly reason: string };

/**
 * A proposal still voting that was submitted after H has its deposit in escrow, but the
 * restore gives the proposer back the balance of H (before the deposit) and the escrow its
 * balance of H (without it): its later refund would pay the deposit twice, or fail. Such a
 * rollback fails instead; the voting proposal can end first.
 */
function openProposalAfter(state: BlockState, height: number, executingId: number): Proposal | undefined {
  const get = (key: Uint8Array) => state.get(key);
  for (const id of readActiveProposalIds(get)) {
    if (id === executingId) continue;
    const other = readProposal(get, id);
    if (other !== undefined && other.status === "voting" && other.submitHeight > height) return other;
  }
  return undefined;
}

/** The restored keys: changed since H in history or by this block, in scope, once each, sorted. */
function keysToRestore(state: BlockState, height: number): Uint8Array[] | undefined {
  const history = state.history;
  if (history === undefined) return undefined;
  const changed = history.keysChangedSince(height, ROLLBACK_KEYS_MAX);
  if (changed === undefined) return undefined;
  const keys = new Map<string, Uint8Array>();
  for (const key of [...changed, ...state.writtenKeys()]) if (isRollbackRestoredKey(key)) keys.set(toHex(key), key);
  return [...keys.values()].sort(compareBytes);
}

/** Restores the state of `height` (1 ≤ height < the executing block, checked when proposed). */
export function executeRollback(state: BlockState, proposal: Proposal, height: number): RollbackResult {
  const history = state.history;
  if (history === undefined) return { ok: false, reason: "this node executed the block without state history" };
  const open = openProposalAfter(state, height, proposal.id);
  if (open !== undefined) {
    return { ok: false, reason: `proposal ${open.id}, submitted at height ${open.submitHeight} after ${height}, is still voting with its deposit escrowed` };
  }
  const keys = keysToRestore(state, height);
  if (keys === undefined || keys.length > ROLLBACK_KEYS_MAX) return { ok: false, reason: `more than ${ROLLBACK_KEYS_MAX} keys changed since height ${height}` };
  let keysRestored = 0;
  for (const key of keys) {
    const past = history.valueAt(key, height);
    const now = state.get(key);
    if (past === undefined ? now === undefined : now !== undefined && bytesEqual(past, now)) continue;
    if (past === undefined) state.delete(key);
    else state.set(key, past);
    keysRestored += 1;
  }
  return { ok: true, keysRestored };
}
