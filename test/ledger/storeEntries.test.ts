import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChainStore, type BlockCommit, type StoredEntryRow } from "../../src/ledger/index.ts";

/** More than two multi-row chunks (64 rows each) plus a remainder inserted row by row. */
const ENTRY_COUNT = 64 * 2 + 5;

function blockCommit(height: number, leafIndexFirst: number): BlockCommit {
  const entries: StoredEntryRow[] = Array.from({ length: ENTRY_COUNT }, (_, i) => ({
    leafIndex: leafIndexFirst + i,
    height,
    sender: new Uint8Array(20).fill(i % 3),
    action: i % 4 === 0 ? null : `action-${i % 5}`,
    bytes: Uint8Array.of(height, i & 0xff, i >> 8),
  }));
  const hash = new Uint8Array(32).fill(height);
  return {
    block: { height, hash, header: Uint8Array.of(height), logSize: leafIndexFirst + ENTRY_COUNT, evidence: Uint8Array.of(0x80), qc: Uint8Array.of(1) },
    txs: [],
    entries,
    tiles: [],
    stateWrites: [],
  };
}

function withStore(run: (store: ChainStore) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "gm-store-entries-"));
  const store = new ChainStore(join(dir, "chain.db"));
  try {
    run(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("chain store: entry rows", () => {
  it("stores every entry of a block, chunked or not, with all its columns", () => {
    withStore((store) => {
      const first = blockCommit(1, 0);
      const second = blockCommit(2, ENTRY_COUNT);
      store.commitBlock(first);
      store.commitBlock(second);
      const stored = store.entriesInRange(0, 2 * ENTRY_COUNT);
      assert.deepEqual(stored, [...first.entries, ...second.entries]);
    });
  });

  it("rolls the whole block back when a row of a later chunk fails", () => {
    withStore((store) => {
      store.commitBlock(blockCommit(1, 0));
      const bad = blockCommit(2, ENTRY_COUNT);
      const entries = [...bad.entries];
      entries[100] = { ...(entries[100] as StoredEntryRow), leafIndex: 5 }; // already taken by block 1
      assert.throws(() => store.commitBlock({ ...bad, entries }));
      assert.equal(store.headHeight(), 1);
      assert.equal(store.entriesInRange(ENTRY_COUNT, 2 * ENTRY_COUNT).length, 0);
      store.commitBlock(bad);
      assert.equal(store.entriesInRange(0, 2 * ENTRY_COUNT).length, 2 * ENTRY_COUNT);
    });
  });
});
