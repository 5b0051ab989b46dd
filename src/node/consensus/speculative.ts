/**
 * Executed, uncommitted blocks (DiemBFT-style execution before voting). Each block keeps
 * only what it changed: the accounts it wrote, the Merkle log tiles its entries touched and
 * its prepared state-tree version. The state after a block is those overlays, newest first,
 * down to the committed head, over the committed state (accounts cache, store tiles, the
 * state store's latest version, which is the head's). Blocks that commit fall out of every
 * walk the moment the chain's head passes them, so a commit is consistent before and after
 * the host applies it; `prune` then forgets them and every fork that no longer extends the head.
 */
import { executeBlock, type BlockContext, type Account, type AccountReader, type BlockExecution, type ExecutionTx, type StateHistory, type ValidatorSetReader } from "../../app/index.ts";
import type { Block } from "../../ledger/index.ts";
import { leafHash, openMerkleLogAtEdge, type EdgeState, type PreparedAppend, type TileReader } from "../../merkle/index.ts";
import type { PreparedStateUpdate } from "../../state/index.ts";
import { assert, compareBytes, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";

export type SpeculativeBlock = {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly parentHex: string;
  readonly height: number;
  readonly block: Block;
  readonly execution: BlockExecution;
  readonly logAppend: PreparedAppend;
  /** Accounts this block wrote, by hex address. */
  readonly accounts: ReadonlyMap<string, Account>;
  /** Log tiles this block wrote (full content), by "level/index". */
  readonly tiles: ReadonlyMap<string, Uint8Array>;
  readonly txHashesHex: ReadonlySet<string>;
};

/** The post-state of a block to build on: the committed head, or an executed pending block. */
export type ParentState = {
  readonly hashHex: string;
  readonly height: number;
  readonly stateRoot: Uint8Array;
  readonly logSize: number;
  /** The log's right edge after this block. */
  readonly logEdge: EdgeState;
  readonly timestamp: number;
  /** Accounts and module state after the block; `readState` is always there, so it is also a ValidatorSetReader. */
  readonly accounts: AccountReader & ValidatorSetReader;
  readonly tiles: TileReader;
  /** Prepared state versions of the ancestry (newest first): the bases of a child's state version. */
  readonly stateBases: readonly PreparedStateUpdate[];
  /** Uncommitted blocks from this one down to the committed head, newest first. */
  readonly ancestry: readonly SpeculativeBlock[];
};

export type ExecutedOnParent = { readonly execution: BlockExecution; readonly logAppend: PreparedAppend };

/** Executes `txs` as block `height` on `parent`'s post-state: accounts, log and state tree, nothing written. */
export function executeOnParent(chain: Chain, parent: ParentState, height: number, txs: readonly ExecutionTx[], context: BlockContext): ExecutedOnParent {
  assert(height === parent.height + 1, "executeOnParent: the block follows its parent");
  const execution = executeBlock(parent.accounts, {
    height,
    logSize: parent.logSize,
    txs,
    prepareState: (writes) => chain.state.prepare(height, writes, { bases: parent.stateBases }),
    context,
  });
  // On the parent's edge: opening at a size would read and re-hash the edge tiles every block.
  const log = openMerkleLogAtEdge(parent.tiles, parent.logEdge);
  const logAppend = log.prepareAppend(execution.entryBytes.map((bytes) => leafHash(bytes)));
  return { execution, logAppend };
}

/** A block's state writes by hex key (null: deleted), built on first read (module state reads walk the ancestry). */
const stateWritesByBlock = new WeakMap<SpeculativeBlock, Map<string, Uint8Array | null>>();
function stateWritesOf(block: SpeculativeBlock): Map<string, Uint8Array | null> {
  let map = stateWritesByBlock.get(block);
  if (map === undefined) {
    map = new Map<string, Uint8Array | null>(block.execution.stateWrites.map((write) => [toHex(write.key), write.value] as const));
    for (const key of block.execution.stateDeletes) map.set(toHex(key), null);
    stateWritesByBlock.set(block, map);
  }
  return map;
}

/**
 * Past states as a block on top of `ancestry` sees them, for an emergency rollback: the
 * ancestry's writes (newest first) over the committed history. A height inside the
 * uncommitted ancestry is handled, not refused: whether a block is committed yet differs
 * between validators at the moment they execute, and the result must not. The committed
 * history is asked at min(height, committed head), read live: a block that commits during
 * the walk is then in both, with the same writes.
 */
function speculativeHistory(ancestry: readonly SpeculativeBlock[], committed: StateHistory, committedHeight: () => number): StateHistory {
  return {
    keysChangedSince(height, keysMax) {
      const keys = new Map<string, Uint8Array>();
      for (const block of ancestry) {
        if (block.height <= height) continue;
        for (const write of block.execution.stateWrites) keys.set(toHex(write.key), write.key);
        for (const key of block.execution.stateDeletes) keys.set(toHex(key), key);
        if (keys.size > keysMax) return undefined;
      }
      const older = committed.keysChangedSince(Math.min(height, committedHeight()), keysMax);
      if (older === undefined) return undefined;
      for (const key of older) keys.set(toHex(key), key);
      return keys.size > keysMax ? undefined : [...keys.values()].sort(compareBytes);
    },
    valueAt(key, height) {
      const keyHex = toHex(key);
      for (const block of ancestry) {
        if (block.height > height) continue;
        const written = stateWritesOf(block).get(keyHex);
        if (written !== undefined) return written ?? undefined;
      }
      return committed.valueAt(key, Math.min(height, committedHeight()));
    },
  };
}

/** The tree holds at most the engine's uncommitted blocks; a walk longer than this is a bug. */
const ANCESTRY_BLOCKS_MAX = 100_000;

export function tileKey(tileLevel: number, tileIndex: number): string {
  return `${tileLevel}/${tileIndex}`;
}

export class SpeculativeBlocks {
  private readonly chain: Chain;
  private readonly blocks = new Map<string, SpeculativeBlock>();

  constructor(chain: Chain) {
    this.chain = chain;
  }

  get size(): number {
    return this.blocks.size;
  }

  get(hashHex: string): SpeculativeBlock | undefined {
    return this.blocks.get(hashHex);
  }

  add(block: SpeculativeBlock): void {
    assert(this.stateAfter(block.parentHex) !== undefined, "SpeculativeBlocks.add: the parent's state is known");
    this.blocks.set(block.hashHex, block);
  }

  /** Uncommitted blocks from `hashHex` down to the committed head, newest first; undefined if it does not extend the head. */
  ancestry(hashHex: string): SpeculativeBlock[] | undefined {
    const head = this.chain.head;
    const headHex = toHex(head.hash);
    const path: SpeculativeBlock[] = [];
    for (let cursor = hashHex; cursor !== headHex; ) {
      const block = this.blocks.get(cursor);
      if (block === undefined || block.height <= head.height) return undefined;
      path.push(block);
      assert(path.length <= ANCESTRY_BLOCKS_MAX, "SpeculativeBlocks.ancestry: a walk ends at the head");
      cursor = block.parentHex;
    }
    return path;
  }

  /** The state after block `hashHex`, or undefined when it is neither the head nor an executed block extending it. */
  stateAfter(hashHex: string): ParentState | undefined {
    const ancestry = this.ancestry(hashHex);
    if (ancestry === undefined) return undefined;
    const head = this.chain.head;
    const accounts = this.chain.accounts;
    const store = this.chain.store;
    const newest = ancestry[0];
    const header = newest?.block.header;
    return {
      hashHex,
      height: header?.height ?? head.height,
      stateRoot: header?.stateRoot ?? head.stateRoot,
      logSize: header?.logSize ?? head.logSize,
      logEdge: newest?.logAppend.edge ?? this.chain.merkleLog.edge,
      timestamp: header?.timestamp ?? head.timestamp,
      ancestry,
      stateBases: ancestry.map((block) => block.execution.stateUpdate),
      accounts: {
        readState(key: Uint8Array): Uint8Array | undefined {
          for (const block of ancestry) {
            const written = stateWritesOf(block).get(toHex(key));
            if (written !== undefined) return written ?? undefined;
          }
          return accounts.readState?.(key);
        },
        ...(accounts.stateHistory === undefined ? {} : { stateHistory: speculativeHistory(ancestry, accounts.stateHistory, () => this.chain.head.height) }),
        getAccount(address: Uint8Array): Account | undefined {
          const addressHex = toHex(address);
          for (const block of ancestry) {
            const written = block.accounts.get(addressHex);
            if (written !== undefined) return written;
          }
          return accounts.getAccount(address);
        },
      },
      tiles: {
        readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined {
          const key = tileKey(tileLevel, tileIndex);
          for (const block of ancestry) {
            const written = block.tiles.get(key);
            if (written !== undefined) return written;
          }
          return store.readTile(tileLevel, tileIndex);
        },
      },
    };
  }

  /**
   * The newest block of the chain as this validator has it, the committed head or an uncommitted
   * block above it: its height and the newest timestamp, in one walk.
   */
  newest(): { readonly height: number; readonly timestampMs: number } {
    const head = this.chain.head;
    let height = head.height;
    let timestampMs = head.timestamp;
    for (const block of this.blocks.values()) {
      if (block.height <= head.height) continue;
      if (block.height > height) height = block.height;
      if (block.block.header.timestamp > timestampMs) timestampMs = block.block.header.timestamp;
    }
    return { height, timestampMs };
  }

  /** Whether any uncommitted block carries transactions (they still need blocks on top to commit). */
  hasUncommittedTxs(): boolean {
    const headHeight = this.chain.head.height;
    for (const block of this.blocks.values()) if (block.height > headHeight && block.block.txs.length > 0) return true;
    return false;
  }

  /** Hashes of the transactions every uncommitted block carries. */
  carriedTxHashes(): Set<string> {
    const headHeight = this.chain.head.height;
    const carried = new Set<string>();
    for (const block of this.blocks.values()) if (block.height > headHeight) for (const txHashHex of block.txHashesHex) carried.add(txHashHex);
    return carried;
  }

  /** A key an uncommitted block registered for `address` (a hint for verifying ahead of validation). */
  registeredKeyHint(address: Uint8Array): Account | undefined {
    const addressHex = toHex(address);
    for (const block of this.blocks.values()) {
      const account = block.accounts.get(addressHex);
      if (account !== undefined) return account;
    }
    return undefined;
  }

  /** Forgets committed blocks and forks that do not extend the committed head. */
  prune(): void {
    const head = this.chain.head;
    const keep = new Set<string>([toHex(head.hash)]);
    const byHeight = [...this.blocks.values()].sort((a, b) => a.height - b.height);
    for (const block of byHeight) {
      if (block.height > head.height && keep.has(block.parentHex)) keep.add(block.hashHex);
      else this.blocks.delete(block.hashHex);
    }
  }
}
