/**
 * Admission and ordering of pending transactions.
 *
 * Admission decodes and statelessly validates, checks the sender's key and nonce, then
 * verifies the signature on the threadpool (never on the event loop), so many admissions run
 * in parallel across cores. A held transaction remembers the key its signature verified under,
 * so block validation can skip a second check of the same bytes (`verifiedSignature`); nothing
 * is kept once it leaves the pool, so that knowledge costs no memory beyond the pool's own
 * (a cache of signatures by hash would hold 3.3 KB per ML-DSA-65 signature). Ready transactions
 * (the sender's next nonce) are reaped in arrival order; a transaction that arrives ahead of
 * its predecessor waits, within `nonceWindow`, until the gap fills, for at most
 * `waitingBlocksMax` committed blocks (`expireWaiting`); at most `waitingTxsMax` wait at once.
 *
 * Two ways to use it. A single producer `reap`s transactions (they leave the pool) and
 * reports their fate with `onCommitted` / `onRejected`. Under consensus, a leader `select`s
 * transactions without removing them (a proposal may never commit, and every validator's
 * pool holds the same gossiped transactions); `onBlockCommitted` then removes what any
 * validator's block committed and what those commits made invalid.
 */
import { assert, bytesEqual, GhostmeshError, toHex } from "../util/index.ts";
import { decodeSignedTx, type DecodedTx } from "../ledger/index.ts";
import type { MempoolOptions } from "./options.ts";
import { RefusalLog } from "./refusals.ts";
import type { MempoolMetrics } from "./metrics.ts";
import type { MempoolAccount, MempoolAccountReader, PendingVerdict, PoolTx, SignatureVerifier, VerifiedKey, VerifiedSignature } from "./types.ts";

type SenderState = {
  /** The nonce the next ready transaction must carry. */
  nextNonce: number;
  /** Ready or reaped-but-uncommitted transactions of this sender. */
  pending: number;
  readonly waiting: Map<number, PoolTx>;
  /** Key registered by a pending account.register, before it commits. */
  pendingKey?: MempoolAccount;
  /** This sender's ready transactions still in the pool, by nonce. */
  readonly readyByNonce: Map<number, PoolTx>;
};

export type MempoolModules = {
  readonly accounts: MempoolAccountReader;
  readonly verifier: SignatureVerifier;
  readonly metrics: MempoolMetrics | null;
};

export type ReapLimits = { readonly txsMax: number; readonly entriesMax: number; readonly bytesMax: number };

/** Whether `known` is this exact signature under `key` (null: under whichever key it was checked). */
export function verifiedAs(known: VerifiedSignature | undefined, sig: Uint8Array, key: VerifiedKey | null): boolean {
  if (known === undefined || !bytesEqual(known.sig, sig)) return false;
  return key === null || (known.alg === key.alg && bytesEqual(known.publicKey, key.publicKey));
}

export class Mempool {
  private readonly opts: MempoolOptions;
  private readonly modules: MempoolModules;
  private readonly byHash = new Map<string, PoolTx>();
  /** Reaped and not yet reported committed or rejected: still pending to a client that asks. */
  private readonly reaped = new Set<string>();
  /** Signature checks `admit` is waiting for, by transaction hash (see pendingVerdict). */
  private readonly verifying = new Map<string, PendingVerdict>();
  /** Why execution refused transactions that left this pool (RefusalLog). */
  readonly refusals = new RefusalLog();
  private readonly senders = new Map<string, SenderState>();
  /**
   * Ready transactions in arrival order; `readyHead` skips the reaped prefix without shifting.
   * An entry is live while `readyLive` maps its hash to that very object: removal leaves a
   * hole that reaping and selection skip, and compaction drops.
   */
  private ready: PoolTx[] = [];
  private readyHead = 0;
  private readonly readyLive = new Map<string, PoolTx>();
  /** Log entries of the ready transactions, so a producer can cut a block by entries too. */
  private readyEntries = 0;
  private sizeBytesTotal = 0;
  /**
   * Transactions in the order they began to wait for an earlier nonce, with the last height
   * `expireWaiting` had seen then; `waitingHead` skips the expired prefix. Entries of
   * transactions that have since become ready or left are skipped when they reach the head.
   */
  private waitingSince: { readonly poolTx: PoolTx; readonly height: number }[] = [];
  private waitingHead = 0;
  private heightSeen = 0;

  constructor(opts: MempoolOptions, modules: MempoolModules) {
    this.opts = opts;
    this.modules = modules;
  }

  get size(): number {
    return this.byHash.size;
  }

  get readyCount(): number {
    return this.readyLive.size;
  }

  /** Log entries the ready transactions would add (a batch counts its records). */
  get readyEntryCount(): number {
    return this.readyEntries;
  }

  /** The nonce the sender's next transaction should carry, counting pending ones. */
  nextNonce(address: Uint8Array): number {
    return this.senders.get(toHex(address))?.nextNonce ?? this.modules.accounts.getAccount(address)?.nonce ?? 0;
  }

  /**
   * For a held transaction that cannot be reaped because its sender's transaction with a lower
   * nonce has not arrived (or was refused at execution, after a client had counted on it):
   * the nonce it carries and the nonce its sender's next transaction must carry.
   */
  nonceGapOf(txHashHex: string): { readonly nonce: number; readonly nonceExpected: number } | undefined {
    const poolTx = this.byHash.get(txHashHex);
    if (poolTx === undefined) return undefined;
    const sender = this.senderWaitedOn(poolTx);
    if (sender === undefined) return undefined;
    return { nonce: poolTx.signedTx.tx.nonce, nonceExpected: sender.nextNonce };
  }

  /** The sender state of a transaction that waits for an earlier nonce; undefined when it is ready or gone. */
  private senderWaitedOn(poolTx: PoolTx): SenderState | undefined {
    const { tx } = poolTx.signedTx;
    const sender = this.senders.get(toHex(tx.from));
    return sender?.waiting.get(tx.nonce) === poolTx ? sender : undefined;
  }

  /** Transactions held waiting for an earlier nonce: every held one that is not ready. */
  get waitingCount(): number {
    return this.byHash.size - this.readyLive.size;
  }

  /** Held, or reaped into a block that is not committed yet. */
  has(txHashHex: string): boolean {
    return this.byHash.has(txHashHex) || this.reaped.has(txHashHex);
  }

  /**
   * The signature this pool verified for the transaction and the key it verified under,
   * while the transaction is held: a block carrying the same transaction with these signature
   * bytes, from a sender whose key in the block's state is this key, needs no second check.
   */
  verifiedSignature(txHashHex: string): VerifiedSignature | undefined {
    const poolTx = this.byHash.get(txHashHex);
    if (poolTx === undefined) return undefined;
    return { sig: poolTx.signedTx.sig, alg: poolTx.verifiedKey.alg, publicKey: poolTx.verifiedKey.publicKey };
  }

  /**
   * The check `admit` is running on this transaction's signature, if any: under a flood a
   * proposal can carry a transaction while its gossiped copy is being admitted, and the host
   * waits for this verdict instead of checking the signature a second time.
   */
  pendingVerdict(txHashHex: string): PendingVerdict | undefined {
    return this.verifying.get(txHashHex);
  }

  /** One check per (transaction, signature, key) at a time: a copy admitted meanwhile shares it. */
  private verifyOnce(txHashHex: string, txHash: Uint8Array, sig: Uint8Array, key: VerifiedKey): Promise<boolean> {
    const pending = this.verifying.get(txHashHex);
    if (pending !== undefined && verifiedAs(pending, sig, key)) return pending.valid;
    const entry: PendingVerdict = { sig, alg: key.alg, publicKey: key.publicKey, valid: this.modules.verifier.verify(key.alg, key.publicKey, txHash, sig).catch(() => false) };
    this.verifying.set(txHashHex, entry);
    const forget = (): void => {
      if (this.verifying.get(txHashHex) === entry) this.verifying.delete(txHashHex);
    };
    void entry.valid.then(forget);
    return entry.valid;
  }

  /**
   * Decodes, checks and verifies the transaction, then holds it. Every signature is verified
   * on the threadpool: a held transaction is refused as a duplicate before any verify.
   * The held transaction's byte fields are views into `bytes` (ledger decodeSignedTx), so the
   * caller must not modify `bytes` afterwards.
   * @throws GhostmeshError LEDGER_*, CODEC_* or MEMPOOL_*; the pool is unchanged when it throws.
   */
  async admit(bytes: Uint8Array): Promise<PoolTx> {
    try {
      const decoded = decodeSignedTx(bytes, this.opts.chainId);
      const { signedTx, txHash } = decoded;
      const { tx } = signedTx;
      const txHashHex = toHex(txHash);
      const fromHex = toHex(tx.from);
      const committed = this.modules.accounts.getAccount(tx.from);
      this.checkAdmissible(decoded, txHashHex, fromHex, committed);
      const key = this.senderKey(decoded, fromHex, committed);
      const ok = await this.verifyOnce(txHashHex, txHash, signedTx.sig, key);
      if (!ok) throw new GhostmeshError("MEMPOOL_BAD_SIGNATURE", "signature does not verify for the sender's registered key", { txHash: txHashHex });
      // The pool, and committed state, may have changed while the signature was being checked: check again.
      const committedNow = this.senders.has(fromHex) ? undefined : this.modules.accounts.getAccount(tx.from);
      this.checkAdmissible(decoded, txHashHex, fromHex, committedNow);
      const entryCount = tx.type === "audit.batch" ? tx.body.recordCount : 1;
      const poolTx: PoolTx = decoded.recordBytes === undefined
        ? { signedTx, txHash, txHashHex, sizeBytes: decoded.sizeBytes, entryCount, verifiedKey: key }
        : { signedTx, txHash, txHashHex, sizeBytes: decoded.sizeBytes, entryCount, verifiedKey: key, recordBytes: decoded.recordBytes };
      this.insert(poolTx, key, fromHex, committedNow);
      this.refusals.forget(txHashHex);
      this.modules.metrics?.admittedTotal.inc();
      return poolTx;
    } catch (err) {
      if (err instanceof GhostmeshError) this.modules.metrics?.rejectedTotal.inc({ code: err.code });
      throw err;
    }
  }

  /**
   * @param committed the sender's committed account as read for this check; only consulted
   *   when the pool holds no state for the sender (then it is the sender's whole story).
   */
  private checkAdmissible(decoded: DecodedTx, txHashHex: string, fromHex: string, committed: MempoolAccount | undefined): void {
    if (this.has(txHashHex)) {
      throw new GhostmeshError("MEMPOOL_DUPLICATE", `transaction ${txHashHex} is already pending`, { txHash: txHashHex });
    }
    if (this.byHash.size >= this.opts.txsMax || this.sizeBytesTotal + decoded.sizeBytes > this.opts.bytesMax) {
      throw new GhostmeshError("MEMPOOL_FULL", "the mempool is full; retry later", {
        txs: this.byHash.size,
        txsMax: this.opts.txsMax,
        sizeBytes: this.sizeBytesTotal,
        sizeBytesMax: this.opts.bytesMax,
      });
    }
    const { tx } = decoded.signedTx;
    // Peek without creating sender state, so refused transactions leave nothing behind.
    const sender = this.senders.get(fromHex);
    const nextNonce = sender === undefined ? (committed?.nonce ?? 0) : sender.nextNonce;
    // A pending transaction, not a committed one, may hold the nonce: name it, so the client can
    // look it up (a refusal elsewhere may free the nonce) instead of hearing "used" for good.
    const holder = sender?.readyByNonce.get(tx.nonce) ?? sender?.waiting.get(tx.nonce);
    if (holder !== undefined) {
      throw new GhostmeshError("MEMPOOL_NONCE_TAKEN", `another pending transaction, ${holder.txHashHex}, already uses nonce ${tx.nonce}`, {
        nonce: tx.nonce,
        txHashPending: holder.txHashHex,
      });
    }
    if (tx.nonce < nextNonce) {
      throw new GhostmeshError("MEMPOOL_NONCE_TOO_LOW", `nonce ${tx.nonce} is already used; the next nonce of this account is ${nextNonce}`, {
        nonce: tx.nonce,
        nonceExpected: nextNonce,
      });
    }
    if (tx.nonce >= nextNonce + this.opts.nonceWindow) {
      throw new GhostmeshError("MEMPOOL_NONCE_TOO_HIGH", `nonce ${tx.nonce} is too far ahead; the next nonce of this account is ${nextNonce}`, {
        nonce: tx.nonce,
        nonceExpected: nextNonce,
        nonceWindow: this.opts.nonceWindow,
      });
    }
    if (tx.nonce > nextNonce && this.waitingCount >= this.opts.waitingTxsMax) {
      throw new GhostmeshError("MEMPOOL_FULL", `the mempool holds its most transactions waiting for an earlier nonce (${this.opts.waitingTxsMax}); this one waits for nonce ${nextNonce}: send that first`, {
        nonce: tx.nonce,
        nonceExpected: nextNonce,
        waitingTxsMax: this.opts.waitingTxsMax,
      });
    }
  }

  /** The key that must have signed: the registered one, or the one a registration carries. */
  private senderKey(decoded: DecodedTx, fromHex: string, committed: MempoolAccount | undefined): MempoolAccount {
    const { tx } = decoded.signedTx;
    if (tx.type === "account.register") {
      if (committed || this.senders.get(fromHex)?.pendingKey) {
        throw new GhostmeshError("MEMPOOL_ACCOUNT_EXISTS", "this account is already registered (a public key is registered once)", {});
      }
      return { alg: tx.body.alg, publicKey: tx.body.publicKey, nonce: 0 };
    }
    const key = committed ?? this.senders.get(fromHex)?.pendingKey;
    if (!key) {
      throw new GhostmeshError("MEMPOOL_UNKNOWN_ACCOUNT", `account ${fromHex} is not registered; send account.register first`, {});
    }
    return key;
  }

  private static freshSenderState(committed: MempoolAccount | undefined): SenderState {
    return { nextNonce: committed?.nonce ?? 0, pending: 0, waiting: new Map(), readyByNonce: new Map() };
  }

  /** @param committed as for checkAdmissible: read just now when the pool holds no state for the sender. */
  private insert(poolTx: PoolTx, key: MempoolAccount, fromHex: string, committed: MempoolAccount | undefined): void {
    const { tx } = poolTx.signedTx;
    let sender = this.senders.get(fromHex);
    if (sender === undefined) {
      sender = Mempool.freshSenderState(committed);
      this.senders.set(fromHex, sender);
    }
    if (tx.type === "account.register") sender.pendingKey = key;
    this.byHash.set(poolTx.txHashHex, poolTx);
    this.sizeBytesTotal += poolTx.sizeBytes;
    sender.waiting.set(tx.nonce, poolTx);
    this.promote(sender);
    if (sender.waiting.get(tx.nonce) === poolTx) this.waitingSince.push({ poolTx, height: this.heightSeen });
    this.updateGauges();
  }

  /**
   * A block at `height` committed: transactions that have waited for an earlier nonce of their
   * sender for more than `waitingBlocksMax` blocks leave the pool, refused with
   * MEMPOOL_NONCE_GAP_EXPIRED (so a client waiting for one hears why). Returns them.
   */
  expireWaiting(committedHeight: number): PoolTx[] {
    // Heights only grow; a caller that repeats one changes nothing.
    const height = Math.max(this.heightSeen, committedHeight);
    this.heightSeen = height;
    const expired: PoolTx[] = [];
    while (this.waitingHead < this.waitingSince.length) {
      const { poolTx, height: since } = this.waitingSince[this.waitingHead] as (typeof this.waitingSince)[number];
      if (height - since <= this.opts.waitingBlocksMax) break;
      this.waitingHead += 1;
      const sender = this.senderWaitedOn(poolTx);
      if (sender === undefined) continue;
      const nonceExpected = sender.nextNonce;
      if (!this.removeHeld(poolTx, false)) continue;
      expired.push(poolTx);
      this.refusals.record(poolTx.txHashHex, {
        code: "MEMPOOL_NONCE_GAP_EXPIRED",
        message: `it waited more than ${this.opts.waitingBlocksMax} blocks for its sender's transaction with nonce ${nonceExpected}, which never came; send that nonce first, then this transaction again`,
        height,
      });
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waitingSince.length) {
      this.waitingSince = this.waitingSince.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    if (expired.length > 0) {
      this.modules.metrics?.expiredTotal.inc(expired.length);
      this.updateGauges();
    }
    return expired;
  }

  /** Promotes the contiguous run of waiting transactions starting at the sender's next nonce. */
  private promote(sender: SenderState): void {
    for (let next = sender.waiting.get(sender.nextNonce); next; next = sender.waiting.get(sender.nextNonce)) {
      sender.waiting.delete(sender.nextNonce);
      sender.readyByNonce.set(sender.nextNonce, next);
      sender.nextNonce += 1;
      sender.pending += 1;
      this.ready.push(next);
      this.readyLive.set(next.txHashHex, next);
      this.readyEntries += next.entryCount;
    }
  }

  /**
   * Takes ready transactions, oldest first, within the limits. They stay counted against
   * their sender until `onCommitted` or `onRejected` reports their fate.
   */
  reap(limits: ReapLimits): PoolTx[] {
    const taken: PoolTx[] = [];
    let entries = 0;
    let bytes = 0;
    while (this.readyHead < this.ready.length && taken.length < limits.txsMax) {
      const next = this.ready[this.readyHead] as PoolTx;
      if (!this.isLive(next)) {
        this.readyHead += 1;
        continue;
      }
      if (taken.length > 0 && (entries + next.entryCount > limits.entriesMax || bytes + next.sizeBytes > limits.bytesMax)) break;
      taken.push(next);
      entries += next.entryCount;
      bytes += next.sizeBytes;
      this.readyHead += 1;
      this.readyEntries -= next.entryCount;
      this.readyLive.delete(next.txHashHex);
      this.senders.get(toHex(next.signedTx.tx.from))?.readyByNonce.delete(next.signedTx.tx.nonce);
      this.byHash.delete(next.txHashHex);
      this.reaped.add(next.txHashHex);
      this.sizeBytesTotal -= next.sizeBytes;
    }
    this.compactReady();
    this.updateGauges();
    return taken;
  }

  private isLive(poolTx: PoolTx): boolean {
    return this.readyLive.get(poolTx.txHashHex) === poolTx;
  }

  /** Drops the reaped prefix and removal holes once they are most of the array. */
  private compactReady(): void {
    const slots = this.ready.length - this.readyHead;
    const holes = slots - this.readyLive.size;
    if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    if (holes > 1024 && holes * 2 > slots) {
      this.ready = this.ready.slice(this.readyHead).filter((poolTx) => this.isLive(poolTx));
      this.readyHead = 0;
    }
    assert(this.ready.length - this.readyHead >= this.readyLive.size, "compactReady: every live ready transaction keeps its slot");
  }

  /**
   * Ready transactions, oldest first, within the limits, skipping those `exclude` names
   * (a leader excludes what its parent's uncommitted ancestors already carry). Nothing is
   * removed: the transactions stay until a commit (or `remove`) settles them.
   */
  select(limits: ReapLimits, exclude: (txHashHex: string) => boolean): PoolTx[] {
    const taken: PoolTx[] = [];
    let entries = 0;
    let bytes = 0;
    for (let i = this.readyHead; i < this.ready.length && taken.length < limits.txsMax; i++) {
      const next = this.ready[i] as PoolTx;
      if (!this.isLive(next) || exclude(next.txHashHex)) continue;
      if (taken.length > 0 && (entries + next.entryCount > limits.entriesMax || bytes + next.sizeBytes > limits.bytesMax)) break;
      taken.push(next);
      entries += next.entryCount;
      bytes += next.sizeBytes;
    }
    return taken;
  }

  /**
   * Transactions a leader's execution refused leave the pool, and with them their senders'
   * held transactions of later nonces, which assume them; earlier ones stay (they may be in
   * the proposal, or an uncommitted ancestor, about to commit). Each sender's next nonce goes
   * back to its lowest refused one, so a corrected transaction with that nonce is admitted.
   * Returns the later transactions dropped.
   */
  removeRefused(txHashesHex: Iterable<string>): PoolTx[] {
    const refusedNonces = new Map<string, number>();
    for (const txHashHex of txHashesHex) {
      const poolTx = this.byHash.get(txHashHex);
      if (poolTx === undefined || !this.removeHeld(poolTx, false)) continue;
      const { from, nonce } = poolTx.signedTx.tx;
      const fromHex = toHex(from);
      refusedNonces.set(fromHex, Math.min(nonce, refusedNonces.get(fromHex) ?? nonce));
    }
    const dropped: PoolTx[] = [];
    for (const [fromHex, refusedNonce] of refusedNonces) {
      const sender = this.senders.get(fromHex);
      if (sender === undefined) continue;
      dropped.push(...this.removeSenderTxs(sender, (nonce) => nonce > refusedNonce));
      const current = this.senders.get(fromHex);
      if (current !== undefined) current.nextNonce = Math.min(current.nextNonce, refusedNonce);
    }
    this.compactReady();
    this.updateGauges();
    return dropped;
  }

  /**
   * A block committed (by any validator): its transactions leave the pool, and for each of
   * their senders the committed nonce (read from the accounts reader, which the chain has
   * already advanced) settles the rest: held transactions below it can never apply and are
   * dropped, and the next expected nonce moves up to it (a block may commit transactions
   * this pool never saw). Returns the dropped transactions that did not commit.
   */
  onBlockCommitted(committed: readonly { readonly from: Uint8Array; readonly txHashHex: string }[]): PoolTx[] {
    const senders = new Map<string, Uint8Array>();
    for (const tx of committed) {
      const held = this.byHash.get(tx.txHashHex);
      if (held !== undefined) this.removeHeld(held, true);
      senders.set(toHex(tx.from), tx.from);
    }
    const dropped: PoolTx[] = [];
    for (const [fromHex, from] of senders) {
      const sender = this.senders.get(fromHex);
      if (sender === undefined) continue;
      const committedNonce = this.modules.accounts.getAccount(from)?.nonce ?? 0;
      dropped.push(...this.removeSenderTxs(sender, (nonce) => nonce < committedNonce));
      const current = this.senders.get(fromHex);
      if (current !== undefined && current.nextNonce < committedNonce) {
        current.nextNonce = committedNonce;
        this.promote(current);
      }
    }
    this.compactReady();
    this.updateGauges();
    return dropped;
  }

  /** Takes the sender's held transactions (ready or waiting) whose nonce `leaves` names out of the pool; returns them. */
  private removeSenderTxs(sender: SenderState, leaves: (nonce: number) => boolean): PoolTx[] {
    const removed: PoolTx[] = [];
    for (const poolTx of [...sender.readyByNonce.values(), ...sender.waiting.values()]) {
      if (leaves(poolTx.signedTx.tx.nonce) && this.removeHeld(poolTx, false)) removed.push(poolTx);
    }
    return removed;
  }

  /** Takes one held transaction out of every index; forgets a sender left with nothing held. */
  private removeHeld(poolTx: PoolTx, committed: boolean): boolean {
    if (this.byHash.get(poolTx.txHashHex) !== poolTx) return false;
    const { tx } = poolTx.signedTx;
    const fromHex = toHex(tx.from);
    const sender = this.senders.get(fromHex);
    assert(sender !== undefined, "removeHeld: a held transaction has sender state");
    this.byHash.delete(poolTx.txHashHex);
    this.sizeBytesTotal -= poolTx.sizeBytes;
    if (this.isLive(poolTx)) {
      this.readyLive.delete(poolTx.txHashHex);
      this.readyEntries -= poolTx.entryCount;
      sender.readyByNonce.delete(tx.nonce);
      sender.pending -= 1;
    } else if (sender.waiting.get(tx.nonce) === poolTx) {
      sender.waiting.delete(tx.nonce);
    }
    // A registration that leaves without committing no longer vouches for the sender's key.
    if (tx.type === "account.register" && !committed) delete sender.pendingKey;
    if (sender.pending <= 0 && sender.waiting.size === 0) this.senders.delete(fromHex);
    return true;
  }

  /** Reaped transactions that are now committed. */
  onCommitted(txs: readonly PoolTx[]): void {
    for (const poolTx of txs) {
      this.reaped.delete(poolTx.txHashHex);
      const fromHex = toHex(poolTx.signedTx.tx.from);
      const sender = this.senders.get(fromHex);
      if (!sender) continue;
      sender.pending -= 1;
      if (sender.pending === 0 && sender.waiting.size === 0) this.senders.delete(fromHex);
    }
  }

  /**
   * Reaped transactions that execution refused. Later transactions of the same senders can
   * no longer apply (their nonces assume the refused one), so they are dropped as well and
   * the senders' state is reloaded from committed state on their next admission.
   */
  onRejected(txs: readonly PoolTx[]): PoolTx[] {
    for (const poolTx of txs) this.reaped.delete(poolTx.txHashHex);
    const dropped: PoolTx[] = [];
    const senders = new Set(txs.map((poolTx) => toHex(poolTx.signedTx.tx.from)));
    for (const fromHex of senders) {
      const sender = this.senders.get(fromHex);
      if (!sender) continue;
      for (const waiting of sender.waiting.values()) dropped.push(waiting);
      this.senders.delete(fromHex);
    }
    const keep: PoolTx[] = [];
    this.readyEntries = 0;
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const poolTx = this.ready[i] as PoolTx;
      if (!this.isLive(poolTx)) continue;
      if (senders.has(toHex(poolTx.signedTx.tx.from))) {
        dropped.push(poolTx);
        this.readyLive.delete(poolTx.txHashHex);
      } else {
        keep.push(poolTx);
        this.readyEntries += poolTx.entryCount;
      }
    }
    this.ready = keep;
    this.readyHead = 0;
    for (const poolTx of dropped) {
      if (this.byHash.delete(poolTx.txHashHex)) this.sizeBytesTotal -= poolTx.sizeBytes;
    }
    this.updateGauges();
    return dropped;
  }

  private updateGauges(): void {
    this.modules.metrics?.txs.set(this.byHash.size);
    this.modules.metrics?.sizeBytes.set(this.sizeBytesTotal);
  }
}
