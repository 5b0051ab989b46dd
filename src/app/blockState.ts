/**
 * The key-value state a block's module transactions read and write (balances, roles,
 * policies; accounts keep their own overlay in execute.ts). Writes of the transaction being
 * applied are staged and merged only when it succeeds, so a rejected transaction changes no
 * state whatever step refused it.
 */
import type { StateWrite } from "../ledger/index.ts";
import { compareBytes, toHex } from "../util/index.ts";

export type StateGetter = (key: Uint8Array) => Uint8Array | undefined;

export class BlockState {
  private readonly read: StateGetter;
  private readonly block = new Map<string, StateWrite>();
  private readonly staged = new Map<string, StateWrite>();

  constructor(read: StateGetter) {
    this.read = read;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const hex = toHex(key);
    return (this.staged.get(hex) ?? this.block.get(hex))?.value ?? this.read(key);
  }

  /** Stages a write of the current transaction. */
  set(key: Uint8Array, value: Uint8Array): void {
    this.staged.set(toHex(key), { key, value });
  }

  /** The current transaction succeeded: its writes join the block's. */
  commitTx(): void {
    for (const [hex, write] of this.staged) this.block.set(hex, write);
    this.staged.clear();
  }

  /** The current transaction was rejected: its writes are dropped. */
  discardTx(): void {
    this.staged.clear();
  }

  /** The block's writes, one per key, sorted by key (the order does not affect the root, but stays reproducible). */
  writes(): StateWrite[] {
    return [...this.block.values()].sort((a, b) => compareBytes(a.key, b.key));
  }
}
