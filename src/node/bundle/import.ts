/**
 * Commits the blocks of a bundle file to a stopped node's store, each verified exactly as
 * block sync verifies it (node/p2p SyncedBlockApplier: follows the head, QC of a quorum of
 * valid signatures of the block's epoch's validator set for exactly this block, re-executes
 * to the same header). Batches end at epoch boundaries, as sync ranges do: the set of an
 * epoch is derived from the state after the last block of the one before (decision 0605).
 *
 * All or nothing: the whole import is one SQLite transaction, so a bad block (or a crash)
 * leaves the store as it was. The store is locked exclusively for the whole import: a
 * running node's store is refused, and a node cannot start while an import runs. Blocks the
 * store already holds are skipped when their hash matches (importing twice is harmless).
 */
import { createReadStream, existsSync, mkdirSync } from "node:fs";
import { pino } from "pino";
import { verifyAsync } from "../../crypto/index.ts";
import { blockHashOf } from "../../consensus/index.ts";
import { ChainStore, holdExclusiveLock } from "../../ledger/index.ts";
import { Mempool, defaultMempoolOptions } from "../../mempool/index.ts";
import { GhostmeshError, bytesEqual, errorMessage, toHex } from "../../util/index.ts";
import { Chain, logStateMigration } from "../chain.ts";
import { defaultNodeConfig } from "../config.ts";
import { BLOCK_TIMESTAMP_AHEAD_MS_MAX, LedgerApplication } from "../consensus/index.ts";
import { homePaths, loadGenesis } from "../home.ts";
import { SYNC_BLOCKS_PER_REQUEST_MAX, SyncedBlockApplier, type SyncedBlock } from "../p2p/index.ts";
import { endsEpoch } from "../../app/index.ts";
import { systemClock, type Logger } from "../types.ts";
import { readBundle, type BundleHeader } from "./format.ts";

export type ImportBundleOptions = { readonly home: string; readonly file: string; readonly logger?: Logger };
export type ImportResult = { readonly imported: number; readonly alreadyPresent: number; readonly fromHeight: number; readonly toHeight: number };

/** Blocks verified and applied together (at most; a batch also ends with its epoch): as block sync does per range. */
const BATCH_BLOCKS = SYNC_BLOCKS_PER_REQUEST_MAX;

/**
 * @throws GhostmeshError NODE_BUNDLE_STORE_IN_USE (node running), NODE_BUNDLE_MALFORMED, NODE_BUNDLE_UNREADABLE,
 *   NODE_BUNDLE_WRONG_CHAIN, NODE_BUNDLE_GAP, NODE_BUNDLE_CONFLICT, NODE_BUNDLE_BLOCK_INVALID
 *   (meta.height: the first bad block); the store is then unchanged.
 */
export async function importBundle(opts: ImportBundleOptions): Promise<ImportResult> {
  if (!existsSync(opts.file)) throw new GhostmeshError("NODE_BUNDLE_MALFORMED", `${opts.file} not found`, {});
  const genesis = loadGenesis(opts.home);
  const paths = homePaths(opts.home);
  mkdirSync(paths.data, { recursive: true });
  const store = new ChainStore(paths.chainDb);
  try {
    lockExclusively(store, paths.chainDb);
    const chain = new Chain(genesis, store, opts.logger === undefined ? {} : { onStateMigration: logStateMigration(opts.logger) });
    const db = store.unsafeDatabase();
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = await importInto(chain, opts);
      db.exec("COMMIT");
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec("ROLLBACK");
      // The bundle is read as a stream, so a file that cannot be read (a directory, no
      // permission, an I/O error) fails mid-import; the store's own errors carry no syscall.
      if (err instanceof Error && "syscall" in err) throw new GhostmeshError("NODE_BUNDLE_UNREADABLE", `${opts.file}: cannot read it (${errorMessage(err)})`, { file: opts.file });
      throw err;
    }
  } finally {
    store.close();
  }
}

/** Held until the store closes; refused exactly when another process has it open (holdExclusiveLock). */
function lockExclusively(store: ChainStore, path: string): void {
  try {
    holdExclusiveLock(store.unsafeDatabase());
  } catch (err) {
    throw new GhostmeshError("NODE_BUNDLE_STORE_IN_USE", `${path} is in use (${errorMessage(err)}): stop the node before importing a bundle`, {});
  }
}

async function importInto(chain: Chain, opts: ImportBundleOptions): Promise<ImportResult> {
  const logger = opts.logger ?? (pino({ level: "silent" }) as unknown as Logger);
  const applier = new SyncedBlockApplier(chain, offlineApplication(chain, logger));
  let header: BundleHeader | undefined;
  let alreadyPresent = 0;
  let imported = 0;
  let batch: SyncedBlock[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const problem = (await applier.precheck(batch, chain.head)) ?? applier.apply(batch).problem;
    if (problem !== null) throw new GhostmeshError("NODE_BUNDLE_BLOCK_INVALID", `block ${problem.height} of the bundle is refused: ${problem.message}`, { height: problem.height });
    imported += batch.length;
    batch = [];
  };
  for await (const item of readBundle(createReadStream(opts.file, { highWaterMark: 1024 * 1024 }))) {
    if ("header" in item) {
      header = item.header;
      checkHeader(chain, header);
      continue;
    }
    if (item.block.block.header.height <= chain.head.height && batch.length === 0) {
      checkPresent(chain, item.block);
      alreadyPresent++;
      continue;
    }
    batch.push(item.block);
    // The next epoch's blocks can only be checked once this epoch's last block is applied.
    if (batch.length >= BATCH_BLOCKS || endsEpoch(item.block.block.header.height, chain.validatorSets.epochBlocks)) await flush();
  }
  await flush();
  if (header === undefined) throw new GhostmeshError("NODE_BUNDLE_MALFORMED", "not a valid bundle: no header", {});
  return { imported, alreadyPresent, fromHeight: header.fromHeight, toHeight: header.toHeight };
}

function checkHeader(chain: Chain, header: BundleHeader): void {
  if (header.chainId !== chain.genesis.chainId || !bytesEqual(header.genesisHash, chain.genesisHash)) {
    throw new GhostmeshError("NODE_BUNDLE_WRONG_CHAIN", `the bundle is of chain "${header.chainId}" (genesis ${toHex(header.genesisHash)}), not this node's "${chain.genesis.chainId}" (genesis ${toHex(chain.genesisHash)})`, {});
  }
  if (header.fromHeight > chain.head.height + 1) {
    throw new GhostmeshError("NODE_BUNDLE_GAP", `the bundle starts at block ${header.fromHeight} but this node's head is ${chain.head.height}: import blocks ${chain.head.height + 1}..${header.fromHeight - 1} first`, {
      fromHeight: header.fromHeight,
      headHeight: chain.head.height,
    });
  }
}

/** A block the store already holds must be the very same block. */
function checkPresent(chain: Chain, { block }: SyncedBlock): void {
  const { height } = block.header;
  const stored = chain.store.getBlock(height);
  if (stored === undefined || !bytesEqual(stored.hash, blockHashOf(block))) {
    throw new GhostmeshError("NODE_BUNDLE_CONFLICT", `block ${height} of the bundle differs from the block ${height} this node committed`, { height });
  }
}

/** The ledger application without a network: validation and commit only (the mempool stays empty). */
function offlineApplication(chain: Chain, logger: Logger): LedgerApplication {
  const mempool = new Mempool({ ...defaultMempoolOptions, chainId: chain.genesis.chainId }, { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: null });
  return new LedgerApplication(
    { txsMax: defaultNodeConfig.block.txsMax, entriesMax: defaultNodeConfig.block.entriesMax, bytesMax: 64 * 1024 * 1024, timestampAheadMsMax: BLOCK_TIMESTAMP_AHEAD_MS_MAX },
    { chain, mempool, clock: systemClock, logger, metrics: null },
  );
}
