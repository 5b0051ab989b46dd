/**
 * Transactions this validator's own clients submitted, oldest first: perhaps only it has them,
 * so view timeouts of a stalled chain send them again (host.ts, regossip.ts). It belongs to the
 * validator, not to one consensus host: a re-sync replaces the host, and the transactions its
 * clients submitted before, or while it was out of consensus, are still its own.
 */
/** Own transactions remembered for resending; far above what a pool holds pending from one validator's clients. */
export const OWN_TX_HASHES_MAX = 65_536;

export class OwnTxHashes {
  private readonly hashes = new Set<string>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.hashes.size;
  }

  has(txHashHex: string): boolean {
    return this.hashes.has(txHashHex);
  }

  /** Remembers one; when full, first forgets what `isPending` no longer holds, then the oldest (it has had the longest to spread). */
  remember(txHashHex: string, isPending: (txHashHex: string) => boolean): void {
    if (this.hashes.size >= this.capacity) {
      this.prune(isPending);
      if (this.hashes.size >= this.capacity) this.hashes.delete(this.hashes.values().next().value as string);
    }
    this.hashes.add(txHashHex);
  }

  /** Forgets those the pool no longer holds (committed, rejected or evicted). */
  prune(isPending: (txHashHex: string) => boolean): void {
    for (const txHashHex of this.hashes) if (!isPending(txHashHex)) this.hashes.delete(txHashHex);
  }
}
