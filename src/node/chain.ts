/**
 * The chain as one node holds it: the store, the Merkle log over its entries, the
 * authenticated state tree (state/, versioned by height, in the same database) and the
 * committed head. Builds blocks by executing transactions on top of the head, and commits
 * each block with its state version in one transaction. One writer; consensus decides what
 * gets committed.
 */
import { encodeCanonical } from "../codec/index.ts";
import { emptyRoot, leafHash, openMerkleLog, openMerkleLogAtEdge, type MerkleLog, type PreparedAppend } from "../merkle/index.ts";
import {
  ChainStore,
  encodeBlockHeader,
  encodeQuorumCertificate,
  hashBlockHeader,
  hashEvidenceList,
  hashGenesis,
  txRoot,
  type Block,
  type BlockHeader,
  type Evidence,
  type Genesis,
  type QuorumCertificate,
  decodeStoredHeader,
} from "../ledger/index.ts";
import { blockContext, createAccountReader, epochBlocksOf, genesisStateWrites, stateStoreHistory, entryAction, executeBlock, type AccountReader, type BlockExecution, type ExecutionTx } from "../app/index.ts";
import { openStateStore, type StateMigrationProgress, type StateStore } from "../state/index.ts";
import { GhostmeshError, assert, bytesEqual, toHex } from "../util/index.ts";
import { CommittedAccountCache } from "./accountCache.ts";
import { EpochValidatorSets } from "./validatorSets.ts";
import type { Logger } from "./types.ts";


export type ChainHead = {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly header: BlockHeader | null;
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly timestamp: number;
};

export type BlockProposal = {
  /** Executed in order; `recordBytes` (from admission) spares re-encoding batch records. */
  readonly txs: readonly ExecutionTx[];
  readonly proposer: Uint8Array;
  readonly view: number;
  readonly timestampMs: number;
  readonly justify: QuorumCertificate | null;
  readonly evidence: readonly Evidence[];
};

export type BuiltBlock = {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly execution: BlockExecution;
  readonly logAppend: PreparedAppend;
};

const META_GENESIS = "genesis";

export class Chain {
  readonly genesis: Genesis;
  readonly genesisHash: Uint8Array;
  /** The consensus validator set of each epoch (decision 0605), read from committed state. */
  readonly validatorSets: EpochValidatorSets;
  readonly store: ChainStore;
  /** The state tree: version h is the state after block h (version 0: the genesis state). */
  readonly state: StateStore;
  /** Committed accounts (cached in memory, refreshed on every commit). */
  readonly accounts: AccountReader;
  private readonly accountCache: CommittedAccountCache;
  /** The log at the head. */
  private log: MerkleLog;
  private headState: ChainHead;

  /** `onStateMigration`: progress of an in-place migration of older state tables (a large store takes minutes). */
  constructor(genesis: Genesis, store: ChainStore, opts: { readonly onStateMigration?: StateMigrationProgress } = {}) {
    this.genesis = genesis;
    this.genesisHash = hashGenesis(genesis);
    this.store = store;
    const stored = createAccountReader((key) => store.getState(key));
    // Module state reads the state tree's latest version: it holds the genesis state (version 0) too.
    this.accountCache = new CommittedAccountCache({ getAccount: (address) => stored.getAccount(address), readState: (key) => this.state.get(key) ?? undefined });
    // The state tables live in chain.db, so a block and its state version commit in one transaction.
    this.state = openStateStore(store.unsafeDatabase(), {}, opts.onStateMigration);
    // Past versions of the state tree, for an emergency rollback (decision 0603).
    const cache = this.accountCache;
    this.accounts = { getAccount: (address) => cache.getAccount(address), readState: (key) => cache.readState(key), stateHistory: stateStoreHistory(this.state) };
    this.bindGenesis();
    const state = this.state;
    this.validatorSets = new EpochValidatorSets(genesis, epochBlocksOf((key) => state.get(key, 0) ?? undefined), (height) => createAccountReader((key) => state.get(key, height) ?? undefined));
    this.headState = this.loadHead();
    this.checkStateAtHead();
    this.log = openMerkleLog(store, this.headState.logSize);
    if (!bytesEqual(this.log.root(), this.headState.logRoot)) {
      throw new GhostmeshError("NODE_STORE_CORRUPT", `stored log tiles give root ${toHex(this.log.root())} but block ${this.headState.height} commits to ${toHex(this.headState.logRoot)}; run ghostmesh verify`, {
        height: this.headState.height,
      });
    }
  }

  get head(): ChainHead {
    return this.headState;
  }

  get merkleLog(): MerkleLog {
    return this.log;
  }

  /** A store belongs to one chain: refuse to open it with another genesis. */
  private bindGenesis(): void {
    const stored = this.store.getMeta(META_GENESIS);
    if (stored === undefined) {
      this.store.setMeta(META_GENESIS, this.genesisHash);
    } else if (!bytesEqual(stored, this.genesisHash)) {
      throw new GhostmeshError("NODE_GENESIS_MISMATCH", `the database in ${this.store.path} belongs to another genesis (${toHex(stored)}), not ${toHex(this.genesisHash)}`, {});
    }
    this.initGenesisState();
  }

  /**
   * State version 0 is the genesis state (empty: genesis holds no accounts), written with the
   * genesis binding. A store with blocks but no state versions was written before state roots
   * were tree roots (decision 0003, superseded) and cannot be carried over.
   */
  private initGenesisState(): void {
    if (this.state.latestVersion !== null) return;
    if (this.store.headHeight() > 0) {
      throw new GhostmeshError("NODE_STORE_STATE_MISSING", `the database in ${this.store.path} holds ${this.store.headHeight()} blocks but no state tree: it was written by an older ghostmesh whose state roots were a hash chain; recreate this node's data directory`, {
        height: this.store.headHeight(),
      });
    }
    this.store.transaction(() => this.state.apply(this.state.prepare(0, genesisStateWrites(this.genesis))));
  }

  /** The latest state version must be the head's block, with the root its header commits to. */
  private checkStateAtHead(): void {
    const version = this.state.latestVersion;
    const root = this.state.root();
    if (version !== this.headState.height || !bytesEqual(root, this.headState.stateRoot)) {
      throw new GhostmeshError("NODE_STORE_CORRUPT", `the state tree is at version ${version} (root ${toHex(root)}) but the head is block ${this.headState.height} with state root ${toHex(this.headState.stateRoot)}; run ghostmesh verify`, {
        height: this.headState.height,
        stateVersion: version,
      });
    }
  }

  private loadHead(): ChainHead {
    const height = this.store.headHeight();
    if (height === 0) {
      return {
        height: 0,
        hash: this.genesisHash,
        header: null,
        logSize: 0,
        logRoot: emptyRoot(),
        stateRoot: this.state.root(0),
        timestamp: this.genesis.genesisTime,
      };
    }
    const row = this.store.getBlock(height);
    assert(row !== undefined, "loadHead: head block row exists");
    const header = decodeStoredHeader(row.header, height);
    return { height, hash: row.hash, header, logSize: header.logSize, logRoot: header.logRoot, stateRoot: header.stateRoot, timestamp: header.timestamp };
  }

  /** Executes the transactions on top of the head and assembles the block (not yet committed). */
  buildBlock(proposal: BlockProposal): BuiltBlock {
    const head = this.headState;
    const height = head.height + 1;
    const execution = executeBlock(this.accounts, {
      height,
      logSize: head.logSize,
      txs: proposal.txs,
      prepareState: (writes) => this.state.prepare(height, writes),
      context: blockContext(this.validatorSets.forHeight(head.height).set.validators, proposal),
    });
    const logAppend = this.log.prepareAppend(execution.entryBytes.map((bytes) => leafHash(bytes)));
    const header: BlockHeader = {
      chainId: this.genesis.chainId,
      height,
      view: proposal.view,
      parentHash: head.hash,
      proposer: proposal.proposer,
      timestamp: Math.max(proposal.timestampMs, head.timestamp),
      txRoot: txRoot(execution.executed),
      txCount: execution.executed.length,
      stateRoot: execution.stateRoot,
      logSize: logAppend.size,
      logRoot: logAppend.root,
      validatorSetHash: this.validatorSets.forHeight(height).hash,
      evidenceHash: hashEvidenceList(proposal.evidence),
      justify: proposal.justify,
    };
    const block: Block = { header, txs: execution.executed.map((tx) => tx.signedTx), evidence: proposal.evidence };
    return { block, hash: hashBlockHeader(header), execution, logAppend };
  }

  /** Writes the block with its certificate in one transaction, then advances the head. */
  commitBlock(built: BuiltBlock, qc: QuorumCertificate): void {
    this.writeBlock(built, qc, []);
    this.log.commit(built.logAppend);
    this.advanceHead(built);
  }

  /**
   * Commits a block executed elsewhere (consensus executes blocks speculatively, on top of
   * uncommitted parents, before voting): same writes as commitBlock, with the block's log
   * tiles from its own PreparedAppend. The PreparedAppend did not come from this chain's log,
   * so the log is reopened on its edge (no reads: its tiles are in the store now).
   */
  commitExecutedBlock(executed: BuiltBlock, qc: QuorumCertificate, evidenceKeysCommitted: readonly string[]): void {
    const { header } = executed.block;
    assert(executed.logAppend.fromSize === this.headState.logSize, "commitExecutedBlock: the block's log append starts at the head's log size");
    assert(executed.logAppend.size === header.logSize && bytesEqual(executed.logAppend.root, header.logRoot), "commitExecutedBlock: the block's log append gives the header's log size and root");
    this.writeBlock(executed, qc, evidenceKeysCommitted);
    this.log = openMerkleLogAtEdge(this.store, executed.logAppend.edge);
    this.advanceHead(executed);
  }

  private writeBlock(built: BuiltBlock, qc: QuorumCertificate, evidenceKeysCommitted: readonly string[]): void {
    const { header } = built.block;
    assert(header.height === this.headState.height + 1, "commitBlock: block extends the head");
    assert(bytesEqual(header.parentHash, this.headState.hash), "commitBlock: block links to the head");
    assert(bytesEqual(qc.blockHash, built.hash), "commitBlock: QC certifies this block");
    const { execution } = built;
    const entryRows = execution.entries.map((entry, i) => ({
      leafIndex: this.headState.logSize + i,
      height: header.height,
      sender: entry.from,
      action: entryAction(entry),
      bytes: execution.entryBytes[i] as Uint8Array,
    }));
    const commit = {
      block: {
        height: header.height,
        hash: built.hash,
        header: encodeBlockHeader(header),
        logSize: header.logSize,
        evidence: encodeCanonical(built.block.evidence),
        qc: encodeQuorumCertificate(qc),
      },
      txs: execution.executed.map((tx, position) => ({
        hash: tx.txHash,
        height: header.height,
        position,
        firstLeaf: tx.firstLeaf,
        leafCount: tx.leafCount,
        bytes: tx.signedTxBytes ?? encodeCanonical({ tx: tx.signedTx.tx, sig: tx.signedTx.sig }),
      })),
      entries: entryRows,
      tiles: built.logAppend.tiles,
      stateWrites: execution.stateWrites,
      stateDeletes: execution.stateDeletes,
      evidenceKeysCommitted,
    };
    assert(execution.stateUpdate.version === header.height && bytesEqual(execution.stateUpdate.root, header.stateRoot), "commitBlock: the state version is the block's, with its root");
    // One transaction (or part of the caller's): the block and its state version, or neither.
    this.store.transaction(() => {
      this.store.commitBlock(commit);
      this.state.apply(execution.stateUpdate, { callerTransactionIsAtomic: this.store.atomicTransactionOpen });
    });
    this.accountCache.applyCommitted(execution.accountWrites, execution.stateWrites, execution.stateDeletes);
  }

  private advanceHead(built: BuiltBlock): void {
    const { header } = built.block;
    this.headState = {
      height: header.height,
      hash: built.hash,
      header,
      logSize: header.logSize,
      logRoot: header.logRoot,
      stateRoot: header.stateRoot,
      timestamp: header.timestamp,
    };
  }
}

/** Logs an in-place migration of the state tables as Chain opens them (`onStateMigration`). */
export function logStateMigration(logger: Logger): StateMigrationProgress {
  return ({ fromSchema, rowsDone, rowsTotal, finished }) => {
    if (finished) logger.info({ fromSchema, rows: rowsTotal }, "Migrated the state tables");
    else if (rowsDone === 0) logger.info({ fromSchema, rows: rowsTotal }, "Migrating the state tables in place, once after an upgrade; a large store takes minutes");
    else logger.info({ rowsDone, rowsTotal }, "Migrating the state tables");
  };
}
