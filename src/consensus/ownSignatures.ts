/**
 * The signatures this validator's key made in recent views, kept so that a valid signature of
 * the key that this engine did not make can be told from an echo of its own (decision 0200,
 * "Session 33"). Such a signature means another signer holds the key: a second process started
 * with a copy of it, or a former self of this home (restored from an older copy, or wiped
 * without its signing reservation) whose messages are still about.
 *
 * Two facts make the verdict exact, without a false alarm:
 * - the engine persists `lastVotedView` at or above a view before it signs a vote, proposal or
 *   timeout there, and that mark never falls, so a signature above it is not this node's;
 * - every view this engine signs in is marked here before it asks for the signature, and every
 *   signature it makes is recorded, so in a judged view (above the mark it started from, and
 *   not yet pruned) a signature missing from the record is not its own either. ML-DSA signing
 *   is randomised: a second signer's vote for the very same block has other bytes. A
 *   deterministic scheme would give identical bytes, which is then the same vote, and harmless.
 *
 * Such a signature conflicts with this node's only in a view this node signs in too ("beside").
 * The mark also rises without signing (a quarantine raises it past another signer's views, the
 * signing reservation past a lost store's), so a view below it may be one this node never
 * signed in ("apart"): there the other signer's signature is no conflict, and may be old (a
 * block's QC fetched while catching up, signed by a process stopped since).
 */
import { bytesEqual } from "../util/index.ts";

/** Views kept: a second signer's messages and certificates arrive within a view or two of its signatures. */
export const OWN_SIGNATURE_VIEWS = 16;

/**
 * Views past another signer's signature that this validator keeps out of (engine.ts
 * noticeSignedElsewhere): a signer still running signs in them, and is caught there, beside
 * nothing of ours. Within OWN_SIGNATURE_VIEWS, so those views stay judged.
 */
export const SIGNED_ELSEWHERE_QUARANTINE_VIEWS = 4;

export type OwnSignatureVerdict =
  /** This engine's own, or a view it cannot judge (before it started or pruned). */
  | "own"
  /** Above every view this node signed in: another signer is ahead of it. */
  | "ahead"
  /** Below the mark, in a view this engine did not sign in: another signer, apart from it. */
  | "apart"
  /** In a view this engine signs in, but not one of its signatures: another signer signs beside it. */
  | "beside";

export class OwnSignatures {
  /** Views above this are recorded completely (every signature this engine made there is kept). */
  private recordedAboveView: number;
  /** At most a few signatures per view (a vote or proposal, a timeout). */
  private readonly byView = new Map<number, Uint8Array[]>();

  /** `signedThroughView`: the safety state's lastVotedView when the engine starts. */
  constructor(signedThroughView: number) {
    this.recordedAboveView = signedThroughView;
  }

  /** Marks `view` as one this engine signs in, before the signature exists (it may come from another thread). */
  signingIn(view: number): void {
    // A re-timeout of a view an earlier epoch used lies at or below the start mark: never judged.
    if (view <= this.recordedAboveView || this.byView.has(view)) return;
    this.byView.set(view, []);
  }

  record(view: number, signature: Uint8Array): void {
    if (view <= this.recordedAboveView) return;
    const signatures = this.byView.get(view);
    if (signatures === undefined) this.byView.set(view, [signature]);
    else signatures.push(signature);
  }

  /** Forgets views below `currentView - OWN_SIGNATURE_VIEWS`; called as views advance. */
  prune(currentView: number): void {
    const keepFromView = currentView - OWN_SIGNATURE_VIEWS;
    if (keepFromView - 1 <= this.recordedAboveView) return;
    // Deleting the entry in hand is safe in a Map's iteration, and spares a copy of its keys per view.
    for (const view of this.byView.keys()) if (view < keepFromView) this.byView.delete(view);
    this.recordedAboveView = keepFromView - 1;
  }

  /** Whose a valid signature of this validator's key in `view` is, given the persisted `lastVotedView`. */
  verdict(view: number, signature: Uint8Array, lastVotedView: number): OwnSignatureVerdict {
    if (view > lastVotedView) return "ahead";
    if (view <= this.recordedAboveView) return "own";
    const signatures = this.byView.get(view);
    if (signatures === undefined) return "apart";
    return signatures.some((own) => bytesEqual(own, signature)) ? "own" : "beside";
  }
}
