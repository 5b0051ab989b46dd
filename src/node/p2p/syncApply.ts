/**
 * Verify-and-apply of committed blocks that arrive from outside consensus: block sync by
 * range (sync.ts) and offline bundles (node/bundle) share it, so a block is accepted by
 * exactly the same checks either way: it follows the local head, its QC certifies exactly
 * this block with a quorum of valid genesis signatures, and it re-executes to the same
 * header (LedgerApplication.validateBlock). Then it is committed.
 *
 * Speed (decision 0504): signatures dominate (DESIGN §6), so `precheck` verifies a whole
 * batch's QC signatures and transaction signatures on the threadpool (verifyAsync), all in
 * flight at once, before anything is applied; the synchronous checks in `apply` are then
 * cache hits (no signature is verified twice). `apply` writes the batch in one SQLite
 * transaction: one fsync per batch instead of one per block. A crash therefore leaves the
 * store at the end of some earlier batch, a prefix of whole blocks.
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
import { hashEvidenceList, txRoot } from "../../ledger/index.ts";
import { bytesEqual, errorMessage, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import { verifyBlockTxsAhead, type LedgerApplication } from "../consensus/index.ts";
import type { SyncedBlock } from "./syncWire.ts";

/** What is wrong with the first block that failed, by height. */
export type BlockProblem = { readonly height: number; readonly message: string };

export type ApplyResult = { readonly applied: number; readonly problem: BlockProblem | null };

/** The block a batch must extend: its height and hash. */
export type BatchParent = { readonly height: number; readonly hash: Uint8Array };

export class SyncedBlockApplier {
  private readonly chain: Chain;
  private readonly app: LedgerApplication;
  private readonly verifier: CachingVerifier;
  private readonly ctx: CertificateContext;

  constructor(chain: Chain, app: LedgerApplication) {
    this.chain = chain;
    this.app = app;
    const { genesis } = chain;
    this.verifier = createCachingVerifier(createCommitteeVerifier({ validators: genesis.validators }));
    this.ctx = { chainId: genesis.chainId, epoch: 0, committee: createCommittee({ validators: genesis.validators }), verifier: this.verifier };
  }

  /**
   * The checks that need no state, for a whole batch, with every signature verified on the
   * threadpool at once: heights and parent hashes chain from `parent`, each QC certifies its
   * block with a quorum of valid signatures, and chain id, txRoot, txCount and evidenceHash
   * match the block's contents. Transaction signatures are verified ahead into the
   * application's cache (apply decides on them, with the parent state's keys).
   */
  async precheck(blocks: readonly SyncedBlock[], parent: BatchParent): Promise<BlockProblem | null> {
    const verifications: Promise<void>[] = [];
    let expected = parent;
    for (const synced of blocks) {
      const problem = this.checkShape(synced, expected);
      if (problem !== null) {
        await Promise.all(verifications);
        return problem;
      }
      verifications.push(this.primeQc(synced), verifyBlockTxsAhead(synced.block, { chain: this.chain, app: this.app }));
      expected = { height: synced.block.header.height, hash: blockHashOf(synced.block) };
    }
    await Promise.all(verifications);
    for (const { block, qc } of blocks) {
      const rejection = verifyQc(qc, this.ctx);
      if (rejection !== null) return { height: block.header.height, message: `its QC does not verify: ${rejection.message}` };
    }
    return null;
  }

  /**
   * Applies the blocks in order in one SQLite transaction, each checked against the local
   * head and re-executed first; stops at the first that fails (the blocks before it, all
   * valid, stay committed). Call after `precheck` so signature checks are cache hits.
   * @throws on a store failure: the transaction is rolled back but the in-memory head has
   *   moved, so the caller must stop this node (as consensus does when a commit fails).
   */
  apply(blocks: readonly SyncedBlock[]): ApplyResult {
    let applied = 0;
    let problem: BlockProblem | null = null;
    this.chain.store.transaction(() => {
      for (const synced of blocks) {
        problem = this.applyOne(synced);
        if (problem !== null) return;
        applied++;
      }
    });
    return { applied, problem };
  }

  private applyOne({ block, qc }: SyncedBlock): BlockProblem | null {
    const { header } = block;
    const head = this.chain.head;
    const hash = blockHashOf(block);
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== head.height + 1) return fail(`block at height ${header.height} does not follow the local head ${head.height}`);
    if (!bytesEqual(header.parentHash, head.hash)) return fail(`its parent hash is not the local head's (${toHex(head.hash)})`);
    if (qc.height !== header.height || qc.view !== header.view || !bytesEqual(qc.blockHash, hash)) return fail("its QC does not certify this block");
    const rejection = verifyQc(qc, this.ctx);
    if (rejection !== null) return fail(`its QC does not verify: ${rejection.message}`);
    const validation = this.app.validateBlock(block, hash);
    if (!validation.ok) return fail(`it does not re-execute to its header: ${validation.reason}`);
    this.app.commit([{ block, hash, qc }]);
    return null;
  }

  private checkShape({ block, qc }: SyncedBlock, expected: BatchParent): BlockProblem | null {
    const { header } = block;
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== expected.height + 1) return fail(`block at height ${header.height}, expected ${expected.height + 1}`);
    if (!bytesEqual(header.parentHash, expected.hash)) return fail("its parent hash is not the hash of the block before it");
    if (header.chainId !== this.chain.genesis.chainId) return fail(`chain id "${header.chainId}" is not "${this.chain.genesis.chainId}"`);
    if (qc.height !== header.height || qc.view !== header.view || !bytesEqual(qc.blockHash, blockHashOf(block))) return fail("its QC does not certify this block");
    if (header.txCount !== block.txs.length) return fail(`txCount ${header.txCount} but ${block.txs.length} transactions`);
    if (!bytesEqual(header.evidenceHash, hashEvidenceList(block.evidence))) return fail("evidenceHash does not match the evidence carried");
    try {
      if (!bytesEqual(header.txRoot, txRoot(block.txs.map((tx) => this.app.preparer.prepare(tx).txHash)))) return fail("txRoot does not match the transactions");
    } catch (err) {
      return fail(`a transaction is invalid: ${errorMessage(err)}`);
    }
    return null;
  }

  /** Verifies the QC's signatures on the threadpool and records the verdicts for verifyQc. */
  private primeQc({ qc }: SyncedBlock): Promise<void> {
    const validators = this.chain.genesis.validators;
    const signers = bitmapIndices(qc.signers, validators.length);
    if (signers === undefined || !Array.isArray(qc.signatures)) return Promise.resolve();
    const message = voteMessage(this.chain.genesis.chainId, qc.view, qc.height, qc.blockHash);
    const checks = signers.map(async (index, k) => {
      const validator = validators[index];
      const signature = qc.signatures[k];
      if (validator === undefined || signature === undefined) return;
      this.verifier.prime(index, message, signature, await verifyAsync(validator.alg, validator.publicKey, message, signature));
    });
    return Promise.all(checks).then(() => undefined);
  }
}
