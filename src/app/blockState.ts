/**
 * The key-value state a block's module transactions read and write (balances, roles,
 * policies; accounts keep their own overlay in execute.ts). Writes of the transaction being
 * applied are staged and merged only when it succeeds, so a rejected transaction changes no
 * state whatever step refused it. A write of value null deletes the key (only an emergency
 * rollback deletes: decision 0603).
 */
import type { StateWrite } from "../ledger/index.ts";
import type { StateHistory } from "./types.ts";
import { compareBytes, toHex } from "../util/index.ts";

export type StateGetter = (key: Uint8Array) => Uint8Array | undefined;

type Write = { readonly key: Uint8Array; readonly value: Uint8Array | null };

export class BlockState {
  private readonly read: StateGetter;
  private readonly block = new Map<string, Write>();
  private readonly staged = new Map<string, Write>();
  /**
   * What the reader answered, per key: the state under the block does not change while it
   * executes, and some keys are read for every transaction (the circuit breaker's halted
   * list, the chain parameters), each read otherwise a walk down the ancestry to SQLite.
   */
  private readonly readCache = new Map<string, Uint8Array | null>();
  /** Past states of the chain this block extends, when the reader has them (emergency rollback). */
  readonly history: StateHistory | undefined;

  constructor(read: StateGetter, history?: StateHistory) {
    this.read = read;
    this.history = history;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const hex = toHex(key);
    const written = this.staged.get(hex) ?? this.block.get(hex);
    if (written !== undefined) return written.value ?? undefined;
    const cached = this.readCache.get(hex);
    if (cached !== undefined) return cached ?? undefined;
    const value = this.read(key);
    this.readCache.set(hex, value ?? null);
    return value;
  }

  /** Stages a write of the current transaction. */
  set(key: Uint8Array, value: Uint8Array): void {
    this.staged.set(toHex(key), { key, value });
  }

  /** Stages a deletion of the current transaction. */
  delete(key: Uint8Array): void {
    this.staged.set(toHex(key), { key, value: null });
  }

  /** Keys this block has written so far, the current transaction's staged writes included. */
  writtenKeys(): Uint8Array[] {
    const keys = new Map<string, Uint8Array>();
    for (const [hex, write] of this.block) keys.set(hex, write.key);
    for (const [hex, write] of this.staged) keys.set(hex, write.key);
    return [...keys.values()];
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

  /** The block's writes with a value, one per key, sorted by key (the order does not affect the root, but stays reproducible). */
  writes(): StateWrite[] {
    const out: StateWrite[] = [];
    for (const write of this.block.values()) if (write.value !== null) out.push({ key: write.key, value: write.value });
    return out.sort((a, b) => compareBytes(a.key, b.key));
  }

  /** The keys the block deleted, sorted. */
  deletions(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const write of this.block.values()) if (write.value === null) out.push(write.key);
    return out.sort(compareBytes);
  }
}
