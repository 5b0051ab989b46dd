/**
 * Verify-and-apply of committed blocks that arrive from outside consensus: block sync by
 * range (sync.ts) and offline bundles (node/bundle) share it, so a block is accepted by
 * exactly the same checks either way: it follows the local head, it is certified by a quorum
 * of the validator set of its epoch, and it re-executes to the same header
 * (LedgerApplication.validateBlock). Then it is committed.
 *
 * Trust (decision 0504, "Which signatures sync verifies"): a batch is a hash-linked run of
 * blocks (each header names its parent's hash), so the one QC that certifies the batch's
 * highest block authenticates every block below it. That QC's signatures are verified; a
 * lower block's QC is accepted without its signatures when it is exactly the `justify` QC
 * carried in the (authenticated) header of the block above it, which the quorum that voted
 * for that block checked; any other QC is verified in full. This holds within one validator
 * set, so a batch holds blocks of one epoch only (decision 0605): the set of epoch e comes
 * from the state after block e·epochBlocks − 1, so a batch of epoch e can only be checked once
 * every block of epoch e − 1 is applied, and callers end each batch at its epoch's last block
 * (`rangeCountMax`). Every header must name the hash of its epoch's set.
 * Transaction signatures are not verified again: a block's txRoot commits to each
 * transaction's hash and signature (decision 0005), so the quorum that certified the block
 * certified the exact signatures its honest members verified before voting, and a peer
 * cannot swap one without breaking the hash chain. Everything else is re-executed.
 * `ghostmesh verify` still checks every signature of a store.
 *
 * Speed: `precheck` verifies the batch's QC signatures on the threadpool (verifyAsync), all in
 * flight at once, before anything is applied. `apply` writes the batch in one SQLite
 * transaction: one fsync per batch. A crash therefore leaves the store at the end of some
 * earlier batch, a prefix of whole blocks.
 */
import { verifyAsync } from "../../crypto/index.ts";
import {
  bitmapIndices,
  blockHashOf,
  createCachingVerifier,
  createCommittee,
  createCommitteeVerifier,
  verifyQc,
  voteMessage,
  type CachingVerifier,
  type CertificateContext,
} from "../../consensus/index.ts";
import { hashEvidenceList, txRoot, type QuorumCertificate } from "../../ledger/index.ts";
import { assert, bytesEqual, errorMessage, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import type { LedgerApplication } from "../consensus/index.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import type { EpochValidatorSet } from "../validatorSets.ts";
import { SYNC_BLOCKS_PER_REQUEST_MAX, type SyncedBlock } from "./syncWire.ts";

/** Certificate contexts (one caching verifier each) kept by epoch: a pipeline checks at most two epochs at once. */
const SYNC_EPOCH_CONTEXTS_MAX = 4;

/**
 * How many blocks a batch starting at `fromHeight` may hold: at most `countMax`, and never past
 * the last block of the epoch of `fromHeight` (the next epoch's set is only known once that
 * block is applied).
 */
export function rangeCountMax(fromHeight: number, epochBlocks: number, countMax: number = SYNC_BLOCKS_PER_REQUEST_MAX): number {
  assert(fromHeight >= 1 && epochBlocks >= 1 && countMax >= 1, "rangeCountMax: positive heights and counts");
  return Math.min(countMax, epochBlocks - (fromHeight % epochBlocks));
}

/** What is wrong with the first block that failed, by height. */
export type BlockProblem = { readonly height: number; readonly message: string };

export type ApplyResult = { readonly applied: number; readonly problem: BlockProblem | null };

/** The block a batch must extend: its height and hash. */
export type BatchParent = { readonly height: number; readonly hash: Uint8Array };

export class SyncedBlockApplier {
  private readonly chain: Chain;
  private readonly app: LedgerApplication;
  /** A certificate context per epoch: verdicts are cached by signer index, which differs between sets. */
  private readonly contexts = new Map<number, CertificateContext & { readonly verifier: CachingVerifier }>();
  /** Blocks `precheck` passed, with their hashes: `apply` takes no other (their QCs were authenticated there). */
  private readonly prechecked = new WeakMap<SyncedBlock, Uint8Array>();
  /** QC signature checks skipped because a QC is the justify of the authenticated block above (metrics, bench). */
  qcsAuthenticatedByLink = 0;
  /** QCs whose signatures were verified. */
  qcsVerified = 0;

  private readonly onCommitted: ((events: readonly CommittedBlockEvent[]) => void) | undefined;

  /** `onCommitted` hears of each applied batch's blocks once its transaction committed (API waiters). */
  constructor(chain: Chain, app: LedgerApplication, onCommitted?: (events: readonly CommittedBlockEvent[]) => void) {
    this.chain = chain;
    this.app = app;
    this.onCommitted = onCommitted;
  }

  /**
   * The set that signs blocks at `height`, or null while it cannot be known: the set of epoch
   * e ≥ 1 is derived from the state after block e·epochBlocks − 1, which must be applied.
   */
  setOf(height: number): EpochValidatorSet | null {
    const sets = this.chain.validatorSets;
    const epoch = sets.epochOf(height);
    if (epoch > 0 && this.chain.head.height < epoch * sets.epochBlocks - 1) return null;
    return sets.forEpoch(epoch);
  }

  private contextOf({ epoch, set }: EpochValidatorSet): CertificateContext & { readonly verifier: CachingVerifier } {
    const known = this.contexts.get(epoch);
    if (known !== undefined) return known;
    if (this.contexts.size >= SYNC_EPOCH_CONTEXTS_MAX) this.contexts.delete(this.contexts.keys().next().value as number);
    const verifier = createCachingVerifier(createCommitteeVerifier(set));
    const ctx = { chainId: this.chain.genesis.chainId, epoch, committee: createCommittee(set), verifier };
    this.contexts.set(epoch, ctx);
    return ctx;
  }

  /**
   * The checks that need no state, for a whole batch: heights and parent hashes chain from
   * `parent`; chain id, validator set, txRoot, txCount and evidenceHash match each block's
   * contents; each QC certifies its block; and the batch is certified by a quorum of its
   * epoch's set (the top block's QC verified, each lower QC either the justify of the block
   * above or verified). Every block's epoch set must be known: the batch must not reach past
   * the last block of the epoch after the local head's (see `rangeCountMax`). QC signatures
   * are verified on the threadpool at once.
   */
  async precheck(blocks: readonly SyncedBlock[], parent: BatchParent): Promise<BlockProblem | null> {
    const verifications: Promise<void>[] = [];
    const toVerify: SyncedBlock[] = [];
    const hashes: Uint8Array[] = [];
    let expected = parent;
    for (let i = 0; i < blocks.length; i++) {
      const synced = blocks[i] as SyncedBlock;
      const hash = blockHashOf(synced.block);
      const problem = this.checkShape(synced, hash, expected);
      if (problem !== null) {
        await Promise.all(verifications);
        return problem;
      }
      hashes.push(hash);
      const above = blocks[i + 1];
      // Within one epoch (checkShape refuses a batch past one): the set that certified the block above checked its justify.
      if (above !== undefined && above.block.header.justify !== null && sameQc(above.block.header.justify, synced.qc)) this.qcsAuthenticatedByLink++;
      else {
        toVerify.push(synced);
        verifications.push(this.primeQc(synced, this.knownSetOf(synced)));
      }
      expected = { height: synced.block.header.height, hash };
    }
    await Promise.all(verifications);
    // Top down: a bad QC names the highest height it leaves uncertified.
    for (const synced of toVerify.reverse()) {
      const epochSet = this.knownSetOf(synced);
      const rejection = verifyQc(synced.qc, this.contextOf(epochSet));
      if (rejection !== null) {
        return { height: synced.block.header.height, message: `its QC is not a quorum of the validator set of epoch ${epochSet.epoch} (${epochSet.set.validators.length} validators): ${rejection.message}` };
      }
      this.qcsVerified++;
    }
    blocks.forEach((synced, i) => this.prechecked.set(synced, hashes[i] as Uint8Array));
    return null;
  }

  /**
   * Applies the blocks in order in one SQLite transaction, each checked against the local
   * head and re-executed first; stops at the first that fails (the blocks before it, all
   * valid, stay committed). Only blocks that passed `precheck` (which authenticated them).
   * `durable: false` commits without waiting for the disk (`ChainStore.transaction`): for
   * block sync, whose blocks a quorum certified and peers still hold. A machine crash may
   * take the last ranges back; the node re-syncs them. Consensus's next durable write (its
   * safety state, before any vote) syncs them first, since the WAL is synced in order.
   * @throws on a store failure: the transaction is rolled back but the in-memory head has
   *   moved, so the caller must stop this node (as consensus does when a commit fails).
   */
  apply(blocks: readonly SyncedBlock[], opts: { readonly durable?: boolean } = {}): ApplyResult {
    let applied = 0;
    let problem: BlockProblem | null = null;
    const events: CommittedBlockEvent[] = [];
    this.chain.store.transaction(() => {
      for (const synced of blocks) {
        problem = this.applyOne(synced, events);
        if (problem !== null) return;
        applied++;
      }
    }, opts);
    if (events.length > 0) this.onCommitted?.(events);
    return { applied, problem };
  }

  private applyOne(synced: SyncedBlock, events: CommittedBlockEvent[]): BlockProblem | null {
    const hash = this.prechecked.get(synced);
    assert(hash !== undefined, "SyncedBlockApplier.apply: the block passed precheck");
    const { block, qc } = synced;
    const { header } = block;
    const head = this.chain.head;
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== head.height + 1) return fail(`block at height ${header.height} does not follow the local head ${head.height}`);
    if (!bytesEqual(header.parentHash, head.hash)) return fail(`its parent hash is not the local head's (${toHex(head.hash)})`);
    // The application checks headers against the set it runs with: the block's epoch's here
    // (the consensus host sets its own before consensus starts).
    const epochSet = this.knownSetOf(synced);
    this.app.enterConsensusEpoch({ label: epochSet.epoch, set: epochSet });
    // precheck authenticated the block by a quorum, and its txRoot covers the signatures.
    const validation = this.app.validateBlock(block, hash, { txSignaturesCertified: true });
    if (!validation.ok) return fail(`it does not re-execute to its header: ${validation.reason}`);
    events.push(...this.app.commit([{ block, hash, qc }], { synced: true }));
    return null;
  }

  private checkShape({ block, qc }: SyncedBlock, hash: Uint8Array, expected: BatchParent): BlockProblem | null {
    const { header } = block;
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== expected.height + 1) return fail(`block at height ${header.height}, expected ${expected.height + 1}`);
    if (!bytesEqual(header.parentHash, expected.hash)) return fail("its parent hash is not the hash of the block before it");
    if (header.chainId !== this.chain.genesis.chainId) return fail(`chain id "${header.chainId}" is not "${this.chain.genesis.chainId}"`);
    const epochSet = this.setOf(header.height);
    const { epochBlocks } = this.chain.validatorSets;
    if (epochSet === null) {
      const epoch = this.chain.validatorSets.epochOf(header.height);
      return fail(`its epoch ${epoch} is signed by the set the state after block ${epoch * epochBlocks - 1} names, and this node's head is ${this.chain.head.height}: a range must end at the last block of its epoch`);
    }
    if (!bytesEqual(header.validatorSetHash, epochSet.hash)) return fail(`validatorSetHash ${toHex(header.validatorSetHash)} is not the hash of the validator set of epoch ${epochSet.epoch} (${toHex(epochSet.hash)})`);
    if (qc.height !== header.height || qc.view !== header.view || !bytesEqual(qc.blockHash, hash)) return fail("its QC does not certify this block");
    if (header.txCount !== block.txs.length) return fail(`txCount ${header.txCount} but ${block.txs.length} transactions`);
    if (!bytesEqual(header.evidenceHash, hashEvidenceList(block.evidence))) return fail("evidenceHash does not match the evidence carried");
    try {
      if (!bytesEqual(header.txRoot, txRoot(block.txs.map((tx) => this.app.preparer.prepare(tx))))) return fail("txRoot does not match the transactions");
    } catch (err) {
      return fail(`a transaction is invalid: ${errorMessage(err)}`);
    }
    return null;
  }

  /** The set of a block checkShape passed (so its set is known). */
  private knownSetOf({ block }: SyncedBlock): EpochValidatorSet {
    const epochSet = this.setOf(block.header.height);
    assert(epochSet !== null, "SyncedBlockApplier: checkShape passed only blocks whose epoch set is known");
    return epochSet;
  }

  /** Verifies the QC's signatures on the threadpool and records the verdicts for verifyQc in its epoch's context. */
  private primeQc({ qc }: SyncedBlock, epochSet: EpochValidatorSet): Promise<void> {
    const { validators } = epochSet.set;
    const { verifier } = this.contextOf(epochSet);
    const signers = bitmapIndices(qc.signers, validators.length);
    if (signers === undefined || !Array.isArray(qc.signatures)) return Promise.resolve();
    const message = voteMessage(this.chain.genesis.chainId, qc.view, qc.height, qc.blockHash);
    const checks = signers.map(async (index, k) => {
      const validator = validators[index];
      const signature = qc.signatures[k];
      if (validator === undefined || signature === undefined) return;
      verifier.prime(index, message, signature, await verifyAsync(validator.alg, validator.publicKey, message, signature));
    });
    return Promise.all(checks).then(() => undefined);
  }
}

/** Field-by-field equality of two QCs (the same certificate, signatures included). */
function sameQc(a: QuorumCertificate, b: QuorumCertificate): boolean {
  if (a.view !== b.view || a.height !== b.height || !bytesEqual(a.blockHash, b.blockHash) || !bytesEqual(a.signers, b.signers)) return false;
  return a.signatures.length === b.signatures.length && a.signatures.every((signature, k) => bytesEqual(signature, b.signatures[k] as Uint8Array));
}
