/**
 * Writes a range of committed blocks, with their QCs and transactions, to a bundle file,
 * streaming: one block is read, encoded and written at a time, so any range fits in memory.
 * Reading is safe while the node runs (SQLite WAL readers do not block its writer).
 */
import { existsSync } from "node:fs";
import { ChainStore, hashGenesis } from "../../ledger/index.ts";
import { GhostmeshError, bytesEqual, toHex } from "../../util/index.ts";
import { loadCommittedBlock } from "../consensus/index.ts";
import { homePaths, loadGenesis } from "../home.ts";
import { openOutputFile } from "../outputFile.ts";
import { BUNDLE_FORMAT, BUNDLE_VERSION, encodeBundleBlock, encodeBundleHeader } from "./format.ts";

export type ExportBundleOptions = { readonly home: string; readonly fromHeight: number; readonly toHeight: number; readonly out: string };
export type BundleRange = { readonly fromHeight: number; readonly toHeight: number; readonly blocks: number };

/** @throws GhostmeshError NODE_BUNDLE_RANGE when the store does not hold the whole range, NODE_OUTPUT_UNWRITABLE when `out` cannot be written. */
export async function exportBundle(opts: ExportBundleOptions): Promise<BundleRange> {
  const { fromHeight, toHeight } = opts;
  const genesis = loadGenesis(opts.home);
  const genesisHash = hashGenesis(genesis);
  const dbPath = homePaths(opts.home).chainDb;
  if (!existsSync(dbPath)) throw new GhostmeshError("NODE_BUNDLE_RANGE", `${dbPath} not found: this home holds no blocks`, {});
  const store = new ChainStore(dbPath);
  try {
    const bound = store.getMeta("genesis");
    if (bound !== undefined && !bytesEqual(bound, genesisHash)) {
      throw new GhostmeshError("NODE_GENESIS_MISMATCH", `the database in ${dbPath} belongs to genesis ${toHex(bound)}, not this home's ${toHex(genesisHash)}`, {});
    }
    const head = store.headHeight();
    if (fromHeight < 1 || toHeight < fromHeight || toHeight > head) {
      throw new GhostmeshError("NODE_BUNDLE_RANGE", `cannot export blocks ${fromHeight}..${toHeight}: this node holds blocks 1..${head}`, { fromHeight, toHeight, headHeight: head });
    }
    const out = openOutputFile(opts.out);
    try {
      await out.write(encodeBundleHeader({ format: BUNDLE_FORMAT, version: BUNDLE_VERSION, chainId: genesis.chainId, genesisHash, fromHeight, toHeight }));
      for (let height = fromHeight; height <= toHeight; height++) {
        const row = store.getBlock(height);
        if (row === undefined) throw new GhostmeshError("NODE_BUNDLE_RANGE", `block ${height} is missing from the store; run ghostmesh verify`, { height });
        await out.write(encodeBundleBlock({ block: loadCommittedBlock(store, row), qc: store.certificate(height) }));
      }
    } catch (err) {
      await out.close().catch(() => undefined);
      throw err;
    }
    await out.close();
    return { fromHeight, toHeight, blocks: toHeight - fromHeight + 1 };
  } finally {
    store.close();
  }
}
