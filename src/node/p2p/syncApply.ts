/**
 * Verify-and-apply of committed blocks that arrive from outside consensus: block sync by
 * range (sync.ts) and offline bundles (node/bundle) share it, so a block is accepted by
 * exactly the same checks either way: it follows the local head, it is certified by a quorum
 * of the genesis validators, and it re-executes to the same header
 * (LedgerApplication.validateBlock). Then it is committed.
 *
 * Trust (decision 0504, "Which signatures sync verifies"): a batch is a hash-linked run of
 * blocks (each header names its parent's hash), so the one QC that certifies the batch's
 * highest block authenticates every block below it. That QC's signatures are verified; a
 * lower block's QC is accepted without its signatures when it is exactly the `justify` QC
 * carried in the (authenticated) header of the block above it, which the quorum that voted
 * for that block checked; any other QC is verified in full. This holds within one validator
 * set, and only the genesis set exists (no set change is wired): every header must name it.
 * Transaction signatures are still all verified: a block's hash does not cover them (txRoot
 * is over hashTx, which leaves the signature out), so a peer could swap them undetected.
 *
 * Speed: `precheck` verifies the batch's signatures on the threadpool (verifyAsync), all in
 * flight at once, before anything is applied; the synchronous checks in `apply` are then
 * cache hits. `apply` writes the batch in one SQLite transaction: one fsync per batch. A
 * crash therefore leaves the store at the end of some earlier batch, a prefix of whole blocks.
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
import { hashEvidenceList, hashValidatorSet, txRoot, type Block, type QuorumCertificate } from "../../ledger/index.ts";
import { assert, bytesEqual, errorMessage, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import type { LedgerApplication, TxKey } from "../consensus/index.ts";
import type { SyncedBlock } from "./syncWire.ts";

/** Registration hints kept (~2 KB each); past this the map starts over (hints only cost a sync verify when missing). */
const SYNC_KEY_HINTS_MAX = 16_384;

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
  /** Blocks `precheck` passed, with their hashes: `apply` takes no other (their QCs were authenticated there). */
  private readonly prechecked = new WeakMap<SyncedBlock, Uint8Array>();
  /** QC signature checks skipped because a QC is the justify of the authenticated block above (metrics, bench). */
  qcsAuthenticatedByLink = 0;
  /** QCs whose signatures were verified. */
  qcsVerified = 0;
  /** Keys registered by blocks this applier checked, by hex address: hints for verifying ahead. */
  private readonly keysRegistered = new Map<string, TxKey>();

  constructor(chain: Chain, app: LedgerApplication) {
    this.chain = chain;
    this.app = app;
    const { genesis } = chain;
    // Only the genesis set exists (no set change is wired, decision 0504): a set change must
    // give this applier the set of each height before the justify shortcut can hold.
    assert(bytesEqual(chain.validatorSetHash, hashValidatorSet({ validators: genesis.validators })), "SyncedBlockApplier: the chain's validator set is the genesis set");
    this.verifier = createCachingVerifier(createCommitteeVerifier({ validators: genesis.validators }));
    this.ctx = { chainId: genesis.chainId, epoch: 0, committee: createCommittee({ validators: genesis.validators }), verifier: this.verifier };
  }

  /**
   * The checks that need no state, for a whole batch: heights and parent hashes chain from
   * `parent`; chain id, validator set, txRoot, txCount and evidenceHash match each block's
   * contents; each QC certifies its block; and the batch is certified by a quorum (the top
   * block's QC verified, each lower QC either the justify of the block above or verified).
   * Transaction signatures are verified ahead into the application's cache (apply decides
   * on them, with the parent state's keys). Signatures are verified on the threadpool at once.
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
      if (above !== undefined && above.block.header.justify !== null && sameQc(above.block.header.justify, synced.qc)) this.qcsAuthenticatedByLink++;
      else {
        toVerify.push(synced);
        verifications.push(this.primeQc(synced));
      }
      verifications.push(...this.verifyTxsAhead(synced.block));
      expected = { height: synced.block.header.height, hash };
    }
    await Promise.all(verifications);
    // Top down: a bad QC names the highest height it leaves uncertified.
    for (const { block, qc } of toVerify.reverse()) {
      const rejection = verifyQc(qc, this.ctx);
      if (rejection !== null) return { height: block.header.height, message: `its QC does not verify: ${rejection.message}` };
      this.qcsVerified++;
    }
    blocks.forEach((synced, i) => this.prechecked.set(synced, hashes[i] as Uint8Array));
    return null;
  }

  /**
   * Applies the blocks in order in one SQLite transaction, each checked against the local
   * head and re-executed first; stops at the first that fails (the blocks before it, all
   * valid, stay committed). Only blocks that passed `precheck` (which authenticated them).
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

  private applyOne(synced: SyncedBlock): BlockProblem | null {
    const hash = this.prechecked.get(synced);
    assert(hash !== undefined, "SyncedBlockApplier.apply: the block passed precheck");
    const { block, qc } = synced;
    const { header } = block;
    const head = this.chain.head;
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== head.height + 1) return fail(`block at height ${header.height} does not follow the local head ${head.height}`);
    if (!bytesEqual(header.parentHash, head.hash)) return fail(`its parent hash is not the local head's (${toHex(head.hash)})`);
    const validation = this.app.validateBlock(block, hash);
    if (!validation.ok) return fail(`it does not re-execute to its header: ${validation.reason}`);
    this.app.commit([{ block, hash, qc }]);
    return null;
  }

  private checkShape({ block, qc }: SyncedBlock, hash: Uint8Array, expected: BatchParent): BlockProblem | null {
    const { header } = block;
    const fail = (message: string): BlockProblem => ({ height: header.height, message });
    if (header.height !== expected.height + 1) return fail(`block at height ${header.height}, expected ${expected.height + 1}`);
    if (!bytesEqual(header.parentHash, expected.hash)) return fail("its parent hash is not the hash of the block before it");
    if (header.chainId !== this.chain.genesis.chainId) return fail(`chain id "${header.chainId}" is not "${this.chain.genesis.chainId}"`);
    if (!bytesEqual(header.validatorSetHash, this.chain.validatorSetHash)) return fail("validatorSetHash is not the genesis validator set (the only set this node knows)");
    if (qc.height !== header.height || qc.view !== header.view || !bytesEqual(qc.blockHash, hash)) return fail("its QC does not certify this block");
    if (header.txCount !== block.txs.length) return fail(`txCount ${header.txCount} but ${block.txs.length} transactions`);
    if (!bytesEqual(header.evidenceHash, hashEvidenceList(block.evidence))) return fail("evidenceHash does not match the evidence carried");
    try {
      if (!bytesEqual(header.txRoot, txRoot(block.txs.map((tx) => this.app.preparer.prepare(tx).txHash)))) return fail("txRoot does not match the transactions");
    } catch (err) {
      return fail(`a transaction is invalid: ${errorMessage(err)}`);
    }
    return null;
  }

  /**
   * Starts verifying a block's transaction signatures on the threadpool into the
   * application's cache, under the key each sender most likely has: committed, or registered
   * earlier in this sync (a batch is checked before the one below it is applied, so the
   * committed accounts lag). Only a cache: validateBlock decides with the parent state's keys.
   */
  private verifyTxsAhead(block: Block): Promise<void>[] {
    const { chain, app } = this;
    const checks: Promise<void>[] = [];
    for (const signedTx of block.txs) {
      const prepared = app.preparer.prepare(signedTx); // checkShape prepared it already (memoised)
      const { tx, sig } = signedTx;
      const fromHex = toHex(tx.from);
      if (tx.type === "account.register") {
        if (this.keysRegistered.size >= SYNC_KEY_HINTS_MAX) this.keysRegistered.clear();
        this.keysRegistered.set(fromHex, { alg: tx.body.alg, publicKey: tx.body.publicKey });
      }
      const key = tx.type === "account.register" ? this.keysRegistered.get(fromHex) : (chain.accounts.getAccount(tx.from) ?? this.keysRegistered.get(fromHex));
      if (key === undefined || app.signatures.isVerified(prepared.txHashHex, sig, key)) continue;
      checks.push(
        verifyAsync(key.alg, key.publicKey, prepared.txHash, sig).then((valid) => {
          if (valid) app.signatures.remember(prepared.txHashHex, { sig, alg: key.alg, publicKey: key.publicKey });
        }),
      );
    }
    return checks;
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

/** Field-by-field equality of two QCs (the same certificate, signatures included). */
function sameQc(a: QuorumCertificate, b: QuorumCertificate): boolean {
  if (a.view !== b.view || a.height !== b.height || !bytesEqual(a.blockHash, b.blockHash) || !bytesEqual(a.signers, b.signers)) return false;
  return a.signatures.length === b.signatures.length && a.signatures.every((signature, k) => bytesEqual(signature, b.signatures[k] as Uint8Array));
}
