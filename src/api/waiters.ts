/**
 * Clients waiting for their transaction to commit. One listener on the producer resolves
 * waiters by hash, so the cost per block is its transaction count, not the waiter count.
 */
import type { CommittedBlockEvent } from "../node/producer.ts";
import type { ApiModules } from "./types.ts";

/** A bound on held waiters: each is a small closure, but a flood must not grow without limit. */
export const TX_WAITERS_MAX = 100_000;

export class TxWaiters {
  private readonly waiters = new Map<string, ((height: number) => void)[]>();
  private count = 0;
  private readonly listener: (event: CommittedBlockEvent) => void;
  private readonly producer: ApiModules["producer"];

  constructor(producer: ApiModules["producer"]) {
    this.producer = producer;
    this.listener = (event) => {
      for (const hash of event.txHashes) {
        const list = this.waiters.get(hash);
        if (!list) continue;
        this.waiters.delete(hash);
        this.count -= list.length;
        for (const resolve of list) resolve(event.height);
      }
    };
    producer.on("committed", this.listener);
  }

  get full(): boolean {
    return this.count >= TX_WAITERS_MAX;
  }

  /** Resolves with the commit height, or undefined after `timeoutMs`. */
  wait(txHashHex: string, timeoutMs: number): Promise<number | undefined> {
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
      const done = (height: number) => {
        clearTimeout(timer);
        resolve(height);
      };
      const list = this.waiters.get(txHashHex);
      if (list) list.push(done);
      else this.waiters.set(txHashHex, [done]);
      this.count += 1;
    });
  }

  close(): void {
    this.producer.off("committed", this.listener);
  }
}
