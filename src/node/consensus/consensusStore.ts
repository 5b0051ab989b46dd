/**
 * A validator's consensus state in its chain database: the safety state (written, durably,
 * before any vote, timeout or proposal that depends on it leaves), validated blocks not yet
 * committed, and evidence not yet committed. Everything is canonical CBOR decoded through
 * schemas: a row that does not decode means a damaged store, and the node stops naming it.
 */
import { decodeWith, encodeCanonical, s, type Schema } from "../../codec/index.ts";
import { blockHashOf, blockSchema, evidenceKey, timeoutCertificateSchema, type SafetyState } from "../../consensus/index.ts";
import { HASH_SIZE_BYTES } from "../../crypto/index.ts";
import { encodeBlock, evidenceSchema, quorumCertificateSchema, type Block, type ChainStore, type Evidence } from "../../ledger/index.ts";
import { GhostmeshError, assert, bytesEqual, errorMessage, toHex } from "../../util/index.ts";
import type { EpochLabelMemo } from "../validatorSets.ts";

const safetyStateSchema: Schema<SafetyState> = s.object({
  epoch: s.uint(),
  lastVotedView: s.uint(),
  epochVotedView: s.optional(s.uint()),
  highestQcView: s.uint(),
  lastProposedView: s.uint(),
  highQc: s.nullable(quorumCertificateSchema),
  lastTc: s.nullable(timeoutCertificateSchema),
});

const epochLabelSchema: Schema<EpochLabelMemo> = s.object({
  epoch: s.uint(),
  label: s.uint(),
  setHash: s.bytes({ size: HASH_SIZE_BYTES }),
});

const META_EPOCH_LABEL = "consensus_epoch_label";

function decodeStored<T>(schema: Schema<T>, bytes: Uint8Array, what: string): T {
  try {
    return decodeWith(schema, bytes, what, { maxBytes: bytes.byteLength });
  } catch (err) {
    throw new GhostmeshError("NODE_STORE_CORRUPT", `stored ${what} does not decode: ${errorMessage(err)}; run ghostmesh verify`, { object: what }, { cause: err });
  }
}

export class ConsensusStore {
  private readonly store: ChainStore;

  constructor(store: ChainStore) {
    this.store = store;
  }

  /** Writes made inside `write` commit together; durable when it returns unless `durable: false` (ChainStore.transaction). */
  transaction<T>(write: () => T, opts: { durable?: boolean } = {}): T {
    return this.store.transaction(write, opts);
  }

  loadSafety(): SafetyState | null {
    const bytes = this.store.loadSafetyState();
    return bytes === undefined ? null : decodeStored(safetyStateSchema, bytes, "consensus safety state");
  }

  /** Durable with the transaction it is written in (the host's step: before any of the step's actions). */
  saveSafety(state: SafetyState): void {
    const bytes = encodeCanonical(state);
    this.store.saveSafetyState(bytes);
    // Paired with loadSafety: what was written reads back as the same state.
    assert(bytesEqual(this.store.loadSafetyState() ?? new Uint8Array(), bytes), "saveSafety: the stored state reads back");
  }

  /** The epoch label found at the last start or set switch (`setEpochLabel`), or null before the first. */
  loadEpochLabel(): EpochLabelMemo | null {
    const bytes = this.store.getMeta(META_EPOCH_LABEL);
    if (bytes === undefined) return null;
    const memo = decodeStored(epochLabelSchema, bytes, "consensus epoch label");
    if (memo.label > memo.epoch) throw new GhostmeshError("NODE_STORE_CORRUPT", `stored consensus epoch label ${memo.label} is after its epoch ${memo.epoch}; run ghostmesh verify`, { object: "consensus epoch label" });
    return memo;
  }

  saveEpochLabel(memo: EpochLabelMemo): void {
    this.store.setMeta(META_EPOCH_LABEL, encodeCanonical(memo));
  }

  saveBlock(block: Block, hash: Uint8Array): void {
    this.store.savePendingBlock({ hash, height: block.header.height, block: encodeBlock(block) });
  }

  /** Saved blocks above the committed height, lowest first; each must hash to its row's key. */
  loadBlocks(heightAbove: number): Block[] {
    return this.store.pendingBlocks(heightAbove).map((row) => {
      const block = decodeStored(blockSchema, row.block, `pending block ${toHex(row.hash)}`);
      if (!bytesEqual(blockHashOf(block), row.hash)) {
        throw new GhostmeshError("NODE_STORE_CORRUPT", `stored pending block ${toHex(row.hash)} hashes to another block; run ghostmesh verify`, { height: row.height });
      }
      return block;
    });
  }

  saveEvidence(evidence: Evidence): void {
    this.store.savePendingEvidence({ key: evidenceKey(evidence), evidence: encodeCanonical(evidence) });
  }

  dropEvidence(evidence: Evidence): void {
    this.store.deletePendingEvidence(evidenceKey(evidence));
  }

  loadEvidence(): Evidence[] {
    return this.store.pendingEvidence().map((row) => decodeStored(evidenceSchema, row.evidence, `pending evidence ${row.key}`));
  }
}
