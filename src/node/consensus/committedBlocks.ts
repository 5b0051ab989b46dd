/**
 * Committed blocks read back from the chain store as consensus needs them: the root a
 * (re)started engine builds on, and whole blocks for peers that fetch ancestors they miss.
 * A batch's records are stored once, as log entries, so they are read back from there.
 */
import type { BlockSource, ConsensusRoot } from "../../consensus/index.ts";
import {
  decodeStoredEntry,
  decodeStoredEvidence,
  decodeStoredHeader,
  decodeStoredTx,
  type AuditRecord,
  type Block,
  type ChainStore,
  type SignedTx,
  type StoredBlockRow,
} from "../../ledger/index.ts";
import { assert, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";

export function loadCommittedBlock(store: ChainStore, row: StoredBlockRow): Block {
  const header = decodeStoredHeader(row.header, row.height);
  const evidence = decodeStoredEvidence(row.evidence, row.height);
  const txs = store.txsOfBlock(row.height).map((txRow): SignedTx => {
    const signedTx = decodeStoredTx(txRow.bytes, toHex(txRow.hash));
    if (signedTx.tx.type !== "audit.batch") return signedTx;
    const records = store
      .entriesInRange(txRow.firstLeaf, txRow.firstLeaf + txRow.leafCount)
      .map((entry) => decodeStoredEntry(entry.bytes, entry.leafIndex).record as AuditRecord);
    return { ...signedTx, records };
  });
  assert(txs.length === header.txCount, "loadCommittedBlock: the store holds every transaction of the block");
  return { header, txs, evidence };
}

/** The committed head as the root of a new engine. */
export function consensusRootOf(chain: Chain): ConsensusRoot {
  const head = chain.head;
  if (head.height === 0) return { hash: chain.genesisHash, height: 0, view: 0, block: null, qc: null };
  const row = chain.store.getBlock(head.height);
  assert(row !== undefined, "consensusRootOf: the head block is stored");
  const block = loadCommittedBlock(chain.store, row);
  return { hash: row.hash, height: head.height, view: block.header.view, block, qc: chain.store.certificate(head.height) };
}

export function createStoreBlockSource(store: ChainStore): BlockSource {
  return {
    getBlock(blockHash: Uint8Array): Block | undefined {
      const row = store.getBlockByHash(blockHash);
      return row === undefined ? undefined : loadCommittedBlock(store, row);
    },
  };
}
