/**
 * Memo of objects (messages, certificates, evidence) whose signatures already verified under
 * one committee context. Objects are immutable once built or decoded, and the verdict is a
 * pure function of (object, context), so the memo is shared by every engine in the process:
 * in the simulator n engines receive the same object and verify it once; in a node, a QC
 * that arrives in a proposal, then in timeouts, is verified once.
 */
import { toHex } from "../util/index.ts";
import type { Committee } from "./committee.ts";

const verified = new WeakMap<object, string>();

/** The identity of what a verdict depends on: chain, epoch and validator set. */
export function contextKey(chainId: string, epoch: number, committee: Committee): string {
  return `${chainId}/${epoch}/${toHex(committee.hash)}`;
}

export function isVerified(object: object, context: string): boolean {
  return verified.get(object) === context;
}

export function markVerified(object: object, context: string): void {
  verified.set(object, context);
}
