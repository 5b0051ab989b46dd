/**
 * Transactions that left the pool because execution refused them (a balance too low, a role
 * missing, a proposal no longer voting): kept, bounded, so a client can learn why its
 * transaction will never commit instead of only timing out. Recorded where the refusal is
 * seen: by a leader building a proposal, or by the one-validator producer.
 */
export type Refusal = { readonly code: string; readonly message: string; readonly height: number };

/** Oldest refusals are forgotten first; a refusal is a few hundred bytes. */
export const REFUSALS_KEPT_MAX = 10_000;

/** Why a transaction left after an earlier one of its sender was refused at execution. */
function predecessorRefused(height: number): Refusal {
  return { code: "MEMPOOL_PREDECESSOR_REFUSED", message: "an earlier transaction of the same sender was refused at execution, so this nonce can no longer apply", height };
}

export class RefusalLog {
  private readonly refusals = new Map<string, Refusal>();
  private readonly listeners = new Set<(txHashHex: string, refusal: Refusal) => void>();

  record(txHashHex: string, refusal: Refusal): void {
    this.refusals.delete(txHashHex);
    this.refusals.set(txHashHex, refusal);
    if (this.refusals.size > REFUSALS_KEPT_MAX) {
      const oldest = this.refusals.keys().next();
      if (oldest.done !== true) this.refusals.delete(oldest.value);
    }
    for (const listener of this.listeners) listener(txHashHex, refusal);
  }

  /**
   * Execution at `height` refused `refused` (with the application's code and message), and the
   * pool dropped `dropped`, later nonces of their senders that assumed them.
   */
  recordRefusedAtExecution(refused: readonly { readonly txHashHex: string; readonly code: string; readonly message: string }[], dropped: readonly { readonly txHashHex: string }[], height: number): void {
    for (const { txHashHex, code, message } of refused) this.record(txHashHex, { code, message, height });
    for (const { txHashHex } of dropped) this.record(txHashHex, predecessorRefused(height));
  }

  /** Forgets a refusal: the same transaction was admitted again (it may apply now). */
  forget(txHashHex: string): void {
    this.refusals.delete(txHashHex);
  }

  get(txHashHex: string): Refusal | undefined {
    return this.refusals.get(txHashHex);
  }

  onRecorded(listener: (txHashHex: string, refusal: Refusal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
