/**
 * Clients waiting for their transaction to commit. One listener on the producer resolves
 * waiters by hash, so the cost per block is its transaction count, not the waiter count; one
 * on the mempool's refusal log answers the waiters of a transaction execution refused.
 */
import type { Mempool, Refusal } from "../mempool/index.ts";
import type { CommittedBlockEvent } from "../node/producer.ts";
import type { ApiModules } from "./types.ts";

/** A bound on held waiters: each is a small closure, but a flood must not grow without limit. */
export const TX_WAITERS_MAX = 100_000;

/** How a wait ended: committed at a height, refused at execution, or undefined on timeout. */
export type TxFate = { readonly height: number } | { readonly refusal: Refusal };

export class TxWaiters {
  private readonly waiters = new Map<string, ((fate: TxFate) => void)[]>();
  private count = 0;
  private readonly listener: (event: CommittedBlockEvent) => void;
  private readonly producer: ApiModules["producer"];
  private readonly stopRefusals: () => void;

  constructor(producer: ApiModules["producer"], mempool: Mempool) {
    this.producer = producer;
    this.listener = (event) => {
      for (const hash of event.txHashes) this.settle(hash, { height: event.height });
    };
    producer.on("committed", this.listener);
    this.stopRefusals = mempool.refusals.onRecorded((hash, refusal) => this.settle(hash, { refusal }));
  }

  private settle(txHashHex: string, fate: TxFate): void {
    const list = this.waiters.get(txHashHex);
    if (!list) return;
    this.waiters.delete(txHashHex);
    this.count -= list.length;
    for (const resolve of list) resolve(fate);
  }

  get full(): boolean {
    return this.count >= TX_WAITERS_MAX;
  }

  /** Resolves with the transaction's fate, or undefined after `timeoutMs`. */
  wait(txHashHex: string, timeoutMs: number): Promise<TxFate | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(txHashHex);
        const i = list?.indexOf(done) ?? -1;
        if (list && i >= 0) {
          list.splice(i, 1);
          this.count -= 1;
          if (list.length === 0) this.waiters.delete(txHashHex);
        }
        resolve(undefined);
      }, timeoutMs);
      const done = (fate: TxFate) => {
        clearTimeout(timer);
        resolve(fate);
      };
      const list = this.waiters.get(txHashHex);
      if (list) list.push(done);
      else this.waiters.set(txHashHex, [done]);
      this.count += 1;
    });
  }

  close(): void {
    this.producer.off("committed", this.listener);
    this.stopRefusals();
  }
}
