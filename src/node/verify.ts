/**
 * Offline verification of a node's store: replays the whole chain from genesis and checks
 * every block link, certificate, transaction signature, evidence signature, tx root, log entry, log root, state
 * root and stored Merkle tile, and the stored state tree against the replayed one. Stops at
 * the first problem and names it.
 *
 * Validator sets (decision 0605): blocks of epoch e are signed by the set of epoch e, which the
 * replay derives from its own state right after replaying block e·epochBlocks − 1, the last
 * block of epoch e − 1. Headers must name that set's hash, QCs must be its quorums, proposers
 * its leaders; each block executes with the set that signed its parent's QC.
 */
import { DatabaseSync } from "node:sqlite";
import { verifyAsync } from "../crypto/index.ts";
import { MERKLE_HASH_SIZE_BYTES, TILE_WIDTH, createMemoryTileStore, emptyRoot, leafHash, openMerkleLog } from "../merkle/index.ts";
import {
  ChainStore,
  decodeStoredEntry,
  decodeStoredEvidence,
  decodeStoredHeader,
  decodeStoredQc,
  decodeStoredTx,
  hashBlockHeader,
  hashEvidenceList,
  hashGenesis,
  hashTx,
  recordsRoot,
  txRoot,
  verifyQuorumCertificate,
  type AuditRecord,
  type BlockHeader,
  type Evidence,
  type Genesis,
  type SignedTx,
  type QuorumCertificate,
  type StoredBlockRow,
} from "../ledger/index.ts";
import {
  accountStateWrites,
  blockContext,
  createAccountReader,
  genesisStateWrites,
  isAccountStateKey,
  entryAction,
  executeBlock,
  stateStoreHistory,
  type Account,
  type AccountReader,
  type BlockExecution,
  endsEpoch,
  epochBlocksOf,
  type ValidatorSetReader,
} from "../app/index.ts";
import { openStateStore, verifyStateProof, type StateMigrationProgress, type StateProofResult, type StateStore } from "../state/index.ts";
import { createCommittee, createCommitteeVerifier, decodeEvidenceRecord, leaderOf, verifyEvidence, type CertificateContext } from "../consensus/index.ts";
import { GhostmeshError, bytesEqual, errorMessage, isGhostmeshError, toHex } from "../util/index.ts";
import { EpochValidatorSets, type EpochValidatorSet } from "./validatorSets.ts";

export type VerifyReport = { readonly height: number; readonly txs: number; readonly logSize: number; readonly logRoot: string };
export type VerifyProgress = (height: number, heightMax: number) => void;

export class VerifyFailure extends GhostmeshError<"VERIFY_FAILED", { height: number | null; object: string }> {
  constructor(height: number | null, object: string, problem: string) {
    super("VERIFY_FAILED", `${height === null ? "" : `height ${height}: `}${object}: ${problem}`, { height, object });
  }
}

function check(condition: boolean, height: number | null, object: string, problem: string): asserts condition {
  if (!condition) throw new VerifyFailure(height, object, problem);
}

function attempt<T>(height: number | null, object: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof VerifyFailure) throw err;
    throw new VerifyFailure(height, object, errorMessage(err));
  }
}

export type VerifyOptions = {
  /** How long one read snapshot is held while the replay is below the head verify started at. */
  readonly snapshotHoldMsMax: number;
  /** Progress of an in-place migration of older state tables, which opening them for the check does first. */
  readonly onStateMigration?: StateMigrationProgress;
};

/** A second per snapshot: a writer's WAL grows by at most a second of its commits at a time. */
export const defaultVerifyOptions: VerifyOptions = { snapshotHoldMsMax: 1_000 };

/**
 * Replays the whole store from genesis in a series of short read snapshots: a node running on
 * the same store may go on committing meanwhile, and its write-ahead log can be checkpointed
 * between them. The replay ends at the head of its last snapshot (at or above the head when it
 * started), which it checks as a whole: nothing beyond that head, every tile and state row.
 */
export async function verifyStore(store: ChainStore, genesis: Genesis, progress?: VerifyProgress, options: VerifyOptions = defaultVerifyOptions): Promise<VerifyReport> {
  const accounts = new Map<string, Account>();
  const moduleState = new Map<string, Uint8Array>();
  const getAccount = (address: Uint8Array): Account | undefined => accounts.get(toHex(address));
  const readState = (key: Uint8Array): Uint8Array | undefined => replayed.get(key) ?? undefined;
  const reader: { -readonly [K in keyof AccountReader]: AccountReader[K] } = { getAccount, readState };
  const tiles = createMemoryTileStore();
  const log = openMerkleLog(tiles, 0);
  // The replayed state tree: an in-memory store holding the latest version only.
  const replayed = openStateStore(new DatabaseSync(":memory:"));
  replayed.apply(replayed.prepare(0, genesisStateWrites(genesis)));
  const stored = attempt(null, "state tables", () => openStateStore(store.unsafeDatabase(), {}, options.onStateMigration));
  /** The last block replayed (0: genesis): `reader` holds the state after it. */
  let replayedHeight = 0;
  const epochBlocks = attempt(0, "genesis state", () => epochBlocksOf(readState));
  const sets = new EpochValidatorSets(genesis, epochBlocks, (height) => (height === replayedHeight ? { readState, getAccount } : provenReaderAt(stored, height)));
  // An emergency rollback reads past states. The replay keeps only its latest version, so
  // history comes from the stored tree, bounded to the replayed block's parent: every version
  // read was checked against its header's stateRoot, and a wrong row would give the rollback
  // block a state root other than its header's.
  let parentHeight = 0;
  reader.stateHistory = stateStoreHistory(stored, () => parentHeight);
  checkStoredRoot(stored, 0, replayed.root(), "the genesis state");
  let parentHash = hashGenesis(genesis);
  let timestamp = genesis.genesisTime;
  let parentView = 0;
  let txTotal = 0;
  let expectedHeight = 1;

  /** Replays one block on the state after the one before; `headHeight` is the snapshot's head. */
  const replayBlock = async (row: StoredBlockRow, headHeight: number): Promise<void> => {
    const height = row.height;
    check(height === expectedHeight, height, "block", `expected height ${expectedHeight} next; the store skips to ${height}`);
    const header = attempt(height, "block header", () => decodeStoredHeader(row.header, height));
    check(bytesEqual(hashBlockHeader(header), row.hash), height, "block header", "hash of the stored header differs from the stored block hash");
    check(header.height === height, height, "block header", `header says height ${header.height}`);
    check(header.chainId === genesis.chainId, height, "block header", `chain id "${header.chainId}" is not the genesis chain id`);
    check(bytesEqual(header.parentHash, parentHash), height, "block header", "parentHash does not link to the previous block");
    const epochSet = attempt(height, "validator set", () => sets.forHeight(height));
    checkSetHash(header, height, epochSet, sets);
    check(header.timestamp >= timestamp, height, "block header", "timestamp goes backwards");
    check(row.logSize === header.logSize, height, "block row", "stored log size differs from the header");
    const evidence = attempt(height, "block evidence", () => decodeStoredEvidence(row.evidence, height));
    check(bytesEqual(hashEvidenceList(evidence), header.evidenceHash), height, "block evidence", "does not match the header's evidenceHash");
    // Evidence slashes a validator: each item must be two conflicting messages its key signed.
    evidence.forEach((item, i) => {
      const rejection = verifyEvidence(item, evidenceContextOf(item, height, `block evidence ${i}`, sets, genesis.chainId));
      check(rejection === null, height, `block evidence ${i}`, rejection?.message ?? "");
    });
    // A certificate has a row only for the head, or where it differs from the next header's
    // justify (schema 5). Otherwise it is that justify, checked at the next height with this
    // block's set, so damage to it is named in the header that holds it.
    const storedQc = store.storedCertificateBytes(height);
    if (storedQc !== undefined) {
      const qc = attempt(height, "block certificate", () => decodeStoredQc(storedQc, height));
      check(bytesEqual(qc.blockHash, row.hash) && qc.height === height && qc.view === header.view, height, "block certificate", "certifies another block");
      verifyQuorumOf(qc, epochSet, height, "block certificate", genesis.chainId);
    } else check(height < headHeight, height, "block certificate", "missing: the head's certificate is not stored");
    const parentSet = attempt(height, "validator set", () => sets.forHeight(height - 1));
    verifyLeaderAndJustify(header, height, parentView, epochSet, parentSet, genesis.chainId);

    const txs = await verifyBlockTxs(store, height, header.logSize, log.size, reader);
    check(txs.length === header.txCount, height, "block", `header says ${header.txCount} transactions; the store has ${txs.length}`);
    check(bytesEqual(txRoot(txs), header.txRoot), height, "block", "txRoot does not match the stored transactions");

    parentHeight = height - 1;
    // In attempt: a rollback reads the stored tree's history, which a damaged store can fail.
    const execution = attempt(height, "block execution", () =>
      executeBlock(reader, { height, logSize: log.size, txs, prepareState: (writes) => replayed.prepare(height, writes),
        context: blockContext(parentSet.set.validators, { evidence, justify: header.justify, proposer: header.proposer }),
      }),
    );
    const firstRejected = execution.rejected[0];
    check(firstRejected === undefined, height, `transaction ${toHex(txs[firstRejected?.index ?? 0]?.txHash ?? new Uint8Array())}`, `does not apply: ${firstRejected?.message}`);
    check(bytesEqual(execution.stateRoot, header.stateRoot), height, "block header", `stateRoot ${toHex(header.stateRoot)} differs from the root of the replayed state tree ${toHex(execution.stateRoot)}`);
    replayed.apply(execution.stateUpdate);
    replayed.pruneBefore(height);
    verifyStoredState(stored, height, header.stateRoot, execution);
    verifyEntries(store, height, log.size, execution.entryBytes);
    const prepared = log.prepareAppend(execution.entryBytes.map(leafHash));
    check(prepared.size === header.logSize, height, "block header", `logSize ${header.logSize} but the block adds up to ${prepared.size}`);
    check(bytesEqual(prepared.root, header.logRoot), height, "block header", "logRoot differs from the root over the stored entries");
    tiles.write(prepared.tiles);
    log.commit(prepared);
    for (const write of execution.accountWrites) accounts.set(toHex(write.address), write.account);
    // Module state (balances, roles, policies: decision 0600) as the store's state table should
    // hold it: upserted by stateWrites, removed by a rollback's stateDeletes.
    for (const write of execution.stateWrites) if (!isAccountStateKey(write.key)) moduleState.set(toHex(write.key), write.value);
    for (const key of execution.stateDeletes) moduleState.delete(toHex(key));
    replayedHeight = height;
    // The next epoch's set comes from the state after this block: derive it now, while the
    // replay holds exactly that state (the replay keeps no older versions).
    if (endsEpoch(height, epochBlocks)) attempt(height, `validator set of epoch ${sets.epochOf(height) + 1}`, () => sets.forEpoch(sets.epochOf(height) + 1));

    parentHash = row.hash;
    parentView = header.view;
    timestamp = header.timestamp;
    txTotal += txs.length;
    expectedHeight += 1;
    progress?.(height, headHeight);
  };

  // The head when verify started: until the replay passes it, each snapshot is released after
  // snapshotHoldMsMax, so a running node's WAL can be checkpointed meanwhile. Blocks below the
  // head never change, and each state version, once written, neither; only what the head
  // moves (the state table, partial tiles, the head's certificate row, the latest state
  // version) does, and the final checks read those in the same snapshot as the replay's last
  // block. Past that head the last snapshot is kept to its own head, so verify ends however
  // fast the node commits.
  const heightAtStart = store.headHeight();
  for (;;) {
    const finished = await store.readSnapshot(async () => {
      const headHeight = store.headHeight();
      const heldSinceMs = performance.now();
      for (const row of store.iterateBlocks(expectedHeight)) {
        await replayBlock(row, headHeight);
        if (row.height < heightAtStart && performance.now() - heldSinceMs >= options.snapshotHoldMsMax) return false;
      }
      verifyLeftovers(store, accounts, moduleState, log.size, tiles.tiles());
      verifyStoredStateLeftovers(stored, expectedHeight - 1, accounts);
      return true;
    });
    if (finished) break;
  }
  return { height: expectedHeight - 1, txs: txTotal, logSize: log.size, logRoot: toHex(log.size === 0 ? emptyRoot() : log.root()) };
}

/**
 * Consensus links of a block: its view follows its parent's, its proposer leads that view
 * (by the leader schedule of the set of the block's epoch, as consensus elects leaders), and its
 * justify is a valid QC for exactly the parent from the set of the parent's epoch. A
 * one-validator chain's producer links blocks without justify; with several validators only
 * the first block may lack it.
 */
function verifyLeaderAndJustify(header: BlockHeader, height: number, parentView: number, epochSet: EpochValidatorSet, parentSet: EpochValidatorSet, chainId: string): void {
  const validators = epochSet.set.validators;
  check(header.view > parentView, height, "block header", `view ${header.view} does not follow the parent's view ${parentView}`);
  const leader = validators[leaderOf({ validators }, header.view)];
  check(leader !== undefined && bytesEqual(header.proposer, leader.address), height, "block header", `proposer is not ${leader?.name}, the leader of view ${header.view} in the validator set of epoch ${epochSet.epoch}`);
  const justify = header.justify;
  if (justify === null) {
    check(parentSet.set.validators.length === 1 || height === 1, height, "block justify", "missing: only the first block of a multi-validator chain has no QC of its parent");
    return;
  }
  check(bytesEqual(justify.blockHash, header.parentHash), height, "block justify", "QC is not for the parent block");
  check(justify.height === height - 1 && justify.view === parentView, height, "block justify", `QC is for height ${justify.height} view ${justify.view}, not the parent's height ${height - 1} view ${parentView}`);
  verifyQuorumOf(justify, parentSet, height, "block justify", chainId);
}

/** The header names the set of its epoch; says so when it names the previous epoch's set instead (a missed set change). */
function checkSetHash(header: BlockHeader, height: number, epochSet: EpochValidatorSet, sets: EpochValidatorSets): void {
  if (bytesEqual(header.validatorSetHash, epochSet.hash)) return;
  const { epoch } = epochSet;
  const previous = epoch > 0 && bytesEqual(header.validatorSetHash, sets.forEpoch(epoch - 1).hash) ? `: it is the set of epoch ${epoch - 1}, which epoch ${epoch} replaced` : "";
  check(false, height, "block header", `validatorSetHash ${toHex(header.validatorSetHash)} is not the hash of the validator set of epoch ${epoch} (${toHex(epochSet.hash)})${previous}`);
}

/** A QC at `height` must be a quorum of the set of that height's epoch (vote messages name no epoch). */
function verifyQuorumOf(qc: QuorumCertificate, epochSet: EpochValidatorSet, height: number, object: string, chainId: string): void {
  const { epoch, set } = epochSet;
  try {
    verifyQuorumCertificate(qc, set.validators, chainId);
  } catch (err) {
    throw new VerifyFailure(height, object, `is not a quorum of the validator set of epoch ${epoch} (${set.validators.length} validators) for height ${qc.height}: ${errorMessage(err)}`);
  }
}

/**
 * Evidence records are signed under the set of the epoch they name: an earlier epoch's or
 * this block's, never a later one (its set is not known yet).
 */
function evidenceContextOf(item: Evidence, height: number, object: string, sets: EpochValidatorSets, chainId: string): CertificateContext {
  const blockEpoch = sets.epochOf(height);
  // A record that does not decode fails verifyEvidence whichever context it gets.
  const epoch = decodeEvidenceRecord(item.first)?.epoch ?? blockEpoch;
  check(epoch <= blockEpoch, height, object, `is for epoch ${epoch}, after this block's epoch ${blockEpoch}`);
  const { set } = attempt(height, object, () => sets.forEpoch(epoch));
  return { chainId, epoch, committee: createCommittee(set), verifier: createCommitteeVerifier(set) };
}

/**
 * The state after an earlier block, from the stored tree: every value is read with its proof
 * and checked against the root the replay already matched to that block's header. Only
 * needed for a set no longer cached (evidence of an old epoch).
 */
function provenReaderAt(stored: StateStore, height: number): ValidatorSetReader {
  const root = stored.root(height);
  const readState = (key: Uint8Array): Uint8Array | undefined => {
    const label = `state key ${toHex(key)}`;
    const proven = storedProofOrPruned(stored, height, label, key);
    // Pruned proofs: the value rows stay, and the replay checked this height's against it.
    if (proven === null) return attempt(height, label, () => stored.get(key, height)) ?? undefined;
    check(verifyStateProof(root, key, proven.value, proven.proof), height, label, "does not prove against the stored state root of this height");
    return proven.value ?? undefined;
  };
  return createAccountReader(readState);
}

/** The stored tree's proof of `key` at `height`, or null where the node pruned it (below its proofs' bound: decision 0400, "Pruning proofs"). */
function storedProofOrPruned(stored: StateStore, height: number, label: string, key: Uint8Array): StateProofResult | null {
  try {
    return stored.prove(key, height);
  } catch (err) {
    if (isGhostmeshError(err) && err.code === "STATE_VERSION_PRUNED") return null;
    throw new VerifyFailure(height, label, errorMessage(err));
  }
}

type ReplayTx = { signedTx: SignedTx; txHash: Uint8Array };

/** Decodes and signature-checks a block's transactions; batch records come from their log entries. */
async function verifyBlockTxs(store: ChainStore, height: number, logSizeAfter: number, logSizeBefore: number, reader: { getAccount(a: Uint8Array): Account | undefined }): Promise<ReplayTx[]> {
  const rows = store.txsOfBlock(height);
  const pendingKeys = new Map<string, Account>();
  const checks: Promise<void>[] = [];
  const txs: ReplayTx[] = [];
  let nextLeaf = logSizeBefore;
  rows.forEach((row, position) => {
    const label = `transaction ${toHex(row.hash)}`;
    check(row.position === position, height, label, `stored at position ${row.position}, expected ${position}`);
    check(row.firstLeaf === nextLeaf, height, label, `first log entry ${row.firstLeaf}, expected ${nextLeaf}`);
    nextLeaf += row.leafCount;
    let signedTx = attempt(height, label, () => decodeStoredTx(row.bytes, toHex(row.hash)));
    const txHash = hashTx(signedTx.tx);
    check(bytesEqual(txHash, row.hash), height, label, "stored bytes hash to another transaction");
    const { tx } = signedTx;
    if (tx.type === "audit.batch") {
      const records: AuditRecord[] = [];
      for (const entry of store.entriesInRange(row.firstLeaf, row.firstLeaf + row.leafCount)) {
        records.push(attempt(height, `log entry ${entry.leafIndex}`, () => decodeStoredEntry(entry.bytes, entry.leafIndex)).record as AuditRecord);
      }
      check(records.length === tx.body.recordCount, height, label, `batch of ${tx.body.recordCount} records has ${records.length} log entries`);
      if (!bytesEqual(recordsRoot(records), tx.body.recordsRoot)) {
        // Name the changed entry when the stored tiles still hold its original leaf hash.
        const changed = firstEntryDifferingFromTiles(store, row.firstLeaf, row.leafCount);
        check(changed === undefined, height, `log entry ${changed}`, "was changed: it no longer hashes to its stored leaf, and the batch's signed recordsRoot no longer matches");
        check(false, height, label, "batch records in the log do not match the signed recordsRoot");
      }
      signedTx = { ...signedTx, records };
    }
    const key = tx.type === "account.register" ? { alg: tx.body.alg, publicKey: tx.body.publicKey, nonce: 0 } : (reader.getAccount(tx.from) ?? pendingKeys.get(toHex(tx.from)));
    check(key !== undefined, height, label, "sender has no registered key");
    if (tx.type === "account.register") pendingKeys.set(toHex(tx.from), key);
    checks.push(
      verifyAsync(key.alg, key.publicKey, txHash, signedTx.sig).then((ok) => {
        check(ok, height, label, "signature does not verify");
      }),
    );
    txs.push({ signedTx, txHash });
  });
  check(nextLeaf === logSizeAfter, height, "block", `transactions cover log entries up to ${nextLeaf}; the header says ${logSizeAfter}`);
  const results = await Promise.allSettled(checks);
  for (const result of results) if (result.status === "rejected") throw result.reason;
  return txs;
}

function firstEntryDifferingFromTiles(store: ChainStore, firstLeaf: number, count: number): number | undefined {
  for (const entry of store.entriesInRange(firstLeaf, firstLeaf + count)) {
    const tile = store.readTile(0, Math.floor(entry.leafIndex / TILE_WIDTH));
    const offset = (entry.leafIndex % TILE_WIDTH) * MERKLE_HASH_SIZE_BYTES;
    const stored = tile?.subarray(offset, offset + MERKLE_HASH_SIZE_BYTES);
    if (!stored || stored.length !== MERKLE_HASH_SIZE_BYTES || !bytesEqual(stored, leafHash(entry.bytes))) return entry.leafIndex;
  }
  return undefined;
}

/** Stored entries must be exactly the canonical entries the replay produces. */
function verifyEntries(store: ChainStore, height: number, logSizeBefore: number, expected: readonly Uint8Array[]): void {
  const rows = store.entriesInRange(logSizeBefore, logSizeBefore + expected.length);
  check(rows.length === expected.length, height, "log entries", `expected ${expected.length} entries from ${logSizeBefore}, found ${rows.length}`);
  rows.forEach((row, i) => {
    const label = `log entry ${row.leafIndex}`;
    check(row.leafIndex === logSizeBefore + i, height, label, "is missing");
    check(bytesEqual(row.bytes, expected[i] as Uint8Array), height, label, "bytes differ from the committed transaction's entry");
    const entry = decodeStoredEntry(row.bytes, row.leafIndex);
    const action = entryAction(entry);
    check(row.height === height && bytesEqual(row.sender, entry.from) && row.action === action, height, label, "index columns (height, sender, action) differ from the entry");
  });
}

function verifyLeftovers(store: ChainStore, accounts: Map<string, Account>, moduleState: ReadonlyMap<string, Uint8Array>, logSize: number, expectedTiles: readonly { tileLevel: number; tileIndex: number; hashes: Uint8Array }[]): void {
  const extra = store.entriesInRange(logSize, Number.MAX_SAFE_INTEGER);
  check(extra.length === 0, null, `log entry ${extra[0]?.leafIndex}`, "exists beyond the last committed block");
  const expected = new Map(expectedTiles.map((t) => [`${t.tileLevel}/${t.tileIndex}`, t.hashes]));
  let stored = 0;
  for (const tile of store.iterateTiles()) {
    const name = `Merkle tile level ${tile.tileLevel} index ${tile.tileIndex}`;
    const hashes = expected.get(`${tile.tileLevel}/${tile.tileIndex}`);
    check(hashes !== undefined, null, name, "is stored but not part of the tree");
    check(bytesEqual(hashes, tile.hashes), null, name, "stored proof nodes differ from the nodes recomputed from the entries");
    stored += 1;
  }
  check(stored === expected.size, null, "Merkle tiles", `${expected.size - stored} tiles are missing`);
  const writes = accountStateWrites([...accounts.entries()].map(([hex, account]) => ({ address: new Uint8Array(Buffer.from(hex, "hex")), account, created: true })));
  const expectedState = new Map([...writes.map((w) => [toHex(w.key), w.value] as const), ...moduleState]);
  let stateRows = 0;
  for (const row of store.iterateState()) {
    const value = expectedState.get(toHex(row.key));
    check(value !== undefined && bytesEqual(value, row.value), null, `state key ${toHex(row.key)}`, "differs from the replayed state");
    stateRows += 1;
  }
  check(stateRows === expectedState.size, null, "state", `${expectedState.size - stateRows} accounts are missing`);
}

function checkStoredRoot(stored: StateStore, height: number, root: Uint8Array, what: string): void {
  const latest = stored.latestVersion;
  check(latest !== null && latest >= height, height, `state version ${height}`, `is missing from the state tree (latest version ${latest}${latest === null ? ": a store written before state roots were tree roots; recreate it" : ""})`);
  const storedRoot = attempt(height, `state version ${height}`, () => stored.root(height));
  check(bytesEqual(storedRoot, root), height, `state version ${height}`, `stored root ${toHex(storedRoot)} is not the root of ${what} ${toHex(root)}`);
}

/**
 * The stored state tree at `height`: its root is the header's, and every key the block wrote
 * proves there with the replayed value. Each node on those paths is checked against its
 * parent's hash as it is read, so a damaged node row fails naming its path, and a damaged value
 * row naming its key.
 */
function verifyStoredState(stored: StateStore, height: number, root: Uint8Array, execution: BlockExecution): void {
  checkStoredRoot(stored, height, root, "the block header's stateRoot");
  for (const write of execution.stateWrites) {
    const label = `state key ${toHex(write.key)}`;
    const proven = storedProofOrPruned(stored, height, label, write.key);
    // A pruned version's nodes are gone; its values stay, and an emergency rollback reads them.
    const value = proven === null ? attempt(height, label, () => stored.get(write.key, height)) : proven.value;
    check(value !== null && bytesEqual(value, write.value), height, label, "stored value differs from the replayed state");
    if (proven !== null) check(verifyStateProof(root, write.key, proven.value, proven.proof), height, label, "proof from the stored tree does not verify against the header's stateRoot");
  }
  for (const key of execution.stateDeletes) {
    const label = `state key ${toHex(key)}`;
    const proven = storedProofOrPruned(stored, height, label, key);
    if (proven === null) check(attempt(height, label, () => stored.get(key, height)) === null, height, label, "was deleted by the replayed block but the stored state still holds a value");
    else check(proven.value === null && verifyStateProof(root, key, null, proven.proof), height, label, "was deleted by the replayed block but the stored tree does not prove it absent");
  }
}

/** No state version beyond the head, and every replayed account proves in the stored tree at the head. */
function verifyStoredStateLeftovers(stored: StateStore, height: number, accounts: Map<string, Account>): void {
  check(stored.latestVersion === height, null, `state version ${stored.latestVersion}`, `exists beyond the last committed block ${height}`);
  const root = stored.root(height);
  const writes = accountStateWrites([...accounts.entries()].map(([hex, account]) => ({ address: new Uint8Array(Buffer.from(hex, "hex")), account, created: true })));
  for (const write of writes) {
    const label = `state key ${toHex(write.key)}`;
    const proven = attempt(height, label, () => stored.prove(write.key, height));
    check(proven.value !== null && bytesEqual(proven.value, write.value) && verifyStateProof(root, write.key, proven.value, proven.proof), height, label, "does not prove the replayed value in the stored tree at the head");
  }
}
