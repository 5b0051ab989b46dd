/**
 * Block sync by range for a validator far behind (decision 0503): the engine catches up by
 * fetching ancestors of the blocks it sees, 32 per request and at most 4,096; a validator
 * that was down longer cannot. Before its consensus starts, a validator asks a connected
 * validator for its committed head; when that is at least `startLagBlocksMin` ahead (any lag,
 * for an empty chain: validator.ts), it fetches
 * committed blocks with their QCs in ranges and commits each one that checks out: height and
 * parent follow the local head, the QC certifies exactly this block with a quorum of valid
 * signatures of its epoch's validator set, and the block re-executes to the same header
 * (validateBlock). A range never crosses an epoch boundary (decision 0605): the set of the
 * next epoch is known only once the last block of this one is applied. Then consensus
 * starts on the new head and fetches the few blocks committed meanwhile itself.
 * Every validator serves the protocol. A running validator asks again every
 * `lagCheckIntervalMs` (`peerHeadHeight`): when it has fallen lagBlocksMin behind, or is behind
 * at all with no commit for `stalledBehindMs`, it leaves consensus and syncs by range again
 * (validator.ts, decision 0504).
 */
import type { PeerId } from "@libp2p/interface";
import { blockHashOf, defaultConsensusLimits, faultsTolerated } from "../../consensus/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import { PeerAction, RequestProtocol, p2pError, type P2pHost } from "../../p2p/index.ts";
import { errorMessage, isGhostmeshError } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import type { LedgerApplication } from "../consensus/index.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import type { Logger } from "../types.ts";
import { SyncedBlockApplier, rangeCountMax, type BatchParent, type BlockProblem } from "./syncApply.ts";
import { RangePrefetch, type FetchedRange } from "./rangePrefetch.ts";
import { serveRange } from "./syncServe.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";
import {
  SYNC_RESPONSE_BYTES_MAX,
  decodeRangeBlock,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  resolveRangeBlocks,
  type SyncedBlock,
} from "./syncWire.ts";

export type BlockSyncOptions = {
  /** Sync by range only when a peer is at least this many blocks ahead; closer, consensus fetching is enough. */
  readonly lagBlocksMin: number;
  /** How long to wait at start for a first validator connection before leaving catch-up to consensus. */
  readonly connectWaitMs: number;
  /** How often a running validator asks its peers' heads to tell whether it fell lagBlocksMin behind. */
  readonly lagCheckIntervalMs: number;
  /**
   * A running validator whose head has not moved for this long while f+1 validator peers are
   * ahead of it syncs the missing blocks by range, however few: consensus fetches missing
   * blocks only when a message names them, and an idle chain without empty blocks sends none.
   */
  readonly stalledBehindMs: number;
};

export const defaultBlockSyncOptions: BlockSyncOptions = {
  // A quarter of the engine's 4,096-block window: well before fetching would fail, and past the
  // point where 32-block fetches (one per round trip, re-validated in the engine) are slow.
  lagBlocksMin: 1_024,
  // Bootstrap dials on loopback or a LAN take well under a second; a lone validator waits no longer.
  connectWaitMs: 5_000,
  // Falling 1,024 blocks behind takes minutes at any block rate the engine keeps up with; a
  // probe (one small request per validator peer) every 10 s notices it long before the window ends.
  lagCheckIntervalMs: 10_000,
  // Far longer than any block interval or view timeout of a live chain: only a validator that
  // is stuck behind, not one a block behind for a moment, waits this long without a commit.
  stalledBehindMs: 30_000,
};

const SYNC_REQUEST_TIMEOUT_MS = 20_000;
/** A head probe is one tiny request: a peer that takes longer is left out of this probe. */
const PROBE_TIMEOUT_MS = 2_000;
const CONNECT_POLL_MS = 100;
/**
 * Ranges requested ahead of the one being applied. With one, the syncing node idled ~13 % of a
 * 10,000-block catch-up whenever its serving peer answered late (a GC pause, its own commits);
 * a second absorbs that for ~2 MB more in memory (decision 0504, "Ranges in flight").
 */
const RANGES_IN_FLIGHT = 2;
/** A long catch-up says how far it got this often (its blocks' own lines are debug). */
const PROGRESS_LOG_MS = 2_000;

/** A round of ranges, for its progress lines: when it started and last logged (monotonic ms), `blocksSynced` before it. */
type SyncProgress = { readonly startedMs: number; loggedMs: number; readonly blocksSyncedBefore: number };

export type BlockSyncModules = { readonly host: P2pHost; readonly peers: ValidatorPeers; readonly genesis: Genesis; readonly logger: Logger };

export class BlockSync {
  private readonly opts: BlockSyncOptions;
  private readonly modules: BlockSyncModules;
  /** The chain served; null while none is open (a validator re-syncing between two chains). */
  private served: Chain | null = null;
  private handling = false;
  blocksSynced = 0;
  /** QCs whose signatures sync verified, and QCs accepted as the justify of the authenticated block above. */
  qcsVerified = 0;
  qcsAuthenticatedByLink = 0;
  /** Bytes of blocksByRange responses received (benchmarks: wire bytes per block). */
  rangeBytesReceived = 0;
  /** Time spent applying ranges (re-execution and SQLite, on the event loop): benchmarks, against the whole sync. */
  applyMs = 0;

  constructor(opts: BlockSyncOptions, modules: BlockSyncModules) {
    this.opts = opts;
    this.modules = modules;
  }

  get options(): BlockSyncOptions {
    return this.opts;
  }

  /** Serves committed blocks of `chain` from now on (a later call switches to another chain object). */
  async serve(chain: Chain): Promise<void> {
    this.served = chain;
    if (this.handling) return;
    this.handling = true;
    await this.modules.host.handle(
      RequestProtocol.blocksByRange,
      (request) => {
        let range;
        try {
          range = decodeSyncRequest(request);
        } catch (err) {
          return Promise.reject(p2pError("P2P_REQUEST_INVALID", `malformed blocksByRange request: ${errorMessage(err)}`, {}));
        }
        if (this.served === null) return Promise.reject(p2pError("P2P_RESOURCE_UNAVAILABLE", "this validator is re-syncing; ask another", {}));
        return Promise.resolve(serveRange(this.served, range.fromHeight, range.countMax));
      },
      { responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024 },
    );
  }

  /** Stops serving the current chain (its store is about to close); requests are refused until `serve` again. */
  stopServing(): void {
    this.served = null;
  }

  /**
   * The highest head that f+1 validator peers report at least (so at least one honest
   * validator holds it), or undefined when fewer than f+1 answer. One lying peer can neither
   * trigger a re-sync nor hide a real lag. Asks for the one block at localHeight + lagBlocksMin:
   * a peer that is not that far ahead answers with its head and no block.
   */
  async peerHeadHeight(localHeight: number): Promise<number | undefined> {
    const request = encodeSyncRequest({ fromHeight: localHeight + this.opts.lagBlocksMin, countMax: 1 });
    const asked = this.validatorPeerIds().map(async (peerId) => {
      try {
        const bytes = await this.modules.host.request(peerId, RequestProtocol.blocksByRange, request, {
          timeoutMs: PROBE_TIMEOUT_MS,
          responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024,
          // A probe goes to every validator every lagCheckIntervalMs: a slow answer only leaves the peer out of this one.
          penalizeTimeout: false,
        });
        return decodeSyncResponse(bytes).headHeight;
      } catch (err) {
        if (!isGhostmeshError(err)) throw err;
        return undefined;
      }
    });
    const heads = (await Promise.all(asked)).filter((head) => head !== undefined).sort((a, b) => b - a);
    // How many answers may be lies: the faults tolerated by the set validators form now, the
    // set of the local head's epoch (the newest this node knows; BFT assumes at most f of it
    // faulty), not the genesis set, which may be long gone.
    const current = this.served?.validatorSets.forHeight(localHeight).set.validators.length ?? this.modules.genesis.validators.length;
    return heads[faultsTolerated(current)];
  }

  /**
   * The lag from which a validator about to start consensus syncs by range: one consensus
   * fetch (`retrievalBlocksMax`, 32 blocks), or lagBlocksMin if lower. Consensus fetches what
   * it misses 32 blocks per round trip, and only once a proposal names them; by range the same
   * lag is made up several times faster. A running validator keeps lagBlocksMin: leaving
   * consensus costs it views, while fetching goes on beside them.
   */
  get startLagBlocksMin(): number {
    return Math.min(this.opts.lagBlocksMin, defaultConsensusLimits.retrievalBlocksMax);
  }

  /**
   * Commits blocks from peers while one is at least lagBlocksMin ahead, then returns;
   * `onCommitted` hears of each applied range. A round of ranges ends when no peer answers
   * the next request or a range fails its checks; while a peer is still lagBlocksMin ahead
   * after it, another round starts (from another peer if one failed), so one stalled request
   * or one bad range does not hand thousands of blocks to consensus, which cannot fetch them.
   * A round that applies nothing ends the catch-up (consensus and the lag checks take over).
   * `lagBlocksMin` overrides the option's (at start: startLagBlocksMin; a stalled validator
   * syncs any lag: 1).
   */
  async catchUp(chain: Chain, app: LedgerApplication, onCommitted?: (events: readonly CommittedBlockEvent[]) => void, lagBlocksMin = this.opts.lagBlocksMin): Promise<void> {
    const deadline = Date.now() + this.opts.connectWaitMs;
    while (this.validatorPeerIds().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, CONNECT_POLL_MS));
    const epochBlocks = chain.validatorSets.epochBlocks;
    const applier = new SyncedBlockApplier(chain, app, onCommitted);
    let round = 0;
    /** The peer whose range failed its checks in the round before: asked last. */
    let refused: PeerId | undefined;
    try {
      for (; ; round++) {
        const fromHeight = chain.head.height + 1;
        const first = await this.fetchFromAnyPeer(fromHeight, rangeCountMax(fromHeight, epochBlocks), { avoided: refused });
        if (first === undefined || first.headHeight - chain.head.height < lagBlocksMin) break;
        const message = round === 0 ? "Far behind: syncing blocks by range before consensus" : "Still far behind after a round of ranges: syncing again";
        this.modules.logger.info({ height: chain.head.height, peerHeight: first.headHeight, round }, message);
        const heightBefore = chain.head.height;
        refused = await this.syncRanges(chain, applier, first);
        if (chain.head.height === heightBefore) {
          this.modules.logger.warn({ height: heightBefore, peerHeight: first.headHeight }, "A round of block sync applied nothing; leaving the rest to consensus and the lag checks");
          break;
        }
      }
    } finally {
      this.qcsVerified += applier.qcsVerified;
      this.qcsAuthenticatedByLink += applier.qcsAuthenticatedByLink;
    }
    if (round > 0) this.modules.logger.info({ height: chain.head.height, blocksSynced: this.blocksSynced, qcsVerified: applier.qcsVerified }, "Block sync done; starting consensus");
  }

  /**
   * Applies fetched ranges until a peer has no more, as a pipeline: while range k is applied
   * (event loop, one SQLite transaction), ranges k+1 to k+RANGES_IN_FLIGHT are requested or
   * already here (`RangePrefetch`), and k+1's QC is verified on the threadpool when its set is
   * known. Ranges end at epoch boundaries; a range that starts an epoch is checked only after
   * the range before it is applied (its set comes from that range's last block). Returns the
   * peer whose range failed its checks, if that ended the round.
   */
  private async syncRanges(chain: Chain, applier: SyncedBlockApplier, first: FetchedRange): Promise<PeerId | undefined> {
    if (first.blocks.length === 0) return undefined;
    const epochBlocks = chain.validatorSets.epochBlocks;
    const ahead = new RangePrefetch({ epochBlocks, inFlightMax: RANGES_IN_FLIGHT }, (fromHeight, countMax, preferred) => this.fetchFromAnyPeer(fromHeight, countMax, { preferred }));
    let current: FetchedRange = first;
    let check = applier.precheck(current.blocks, chain.head);
    ahead.startAfter(current);
    const startedMs = performance.now();
    const progress: SyncProgress = { startedMs, loggedMs: startedMs, blocksSyncedBefore: this.blocksSynced };
    try {
      for (;;) {
        const problem = await check;
        if (problem !== null) return await this.refuse(current, problem, ahead.stop());
        const following = await ahead.next();
        const hasFollowing = following !== undefined && following.blocks.length > 0;
        let checkedEarly = false;
        if (hasFollowing && applier.setOf((following.blocks[0] as SyncedBlock).block.header.height) !== null) {
          check = applier.precheck(following.blocks, lastOf(current));
          checkedEarly = true;
        }
        const applyProblem = this.applyCounted(applier, current.blocks);
        this.logProgress(progress, chain.head.height, current.headHeight);
        if (applyProblem !== null) return await this.refuse(current, applyProblem, ahead.stop());
        if (!hasFollowing) return undefined;
        if (!checkedEarly) check = applier.precheck(following.blocks, lastOf(current));
        current = following;
      }
    } finally {
      await ahead.stop();
    }
  }

  private async refuse(range: FetchedRange, problem: BlockProblem, pending: Promise<unknown>): Promise<PeerId> {
    await pending.catch(() => undefined);
    this.modules.host.penalize(range.peerId, PeerAction.malformedFrame, `blocksByRange: block ${problem.height}: ${problem.message}`);
    this.modules.logger.warn({ peerId: range.peerId.toString(), height: problem.height, problem: problem.message }, "A synced block failed its checks; asking the other peers");
    return range.peerId;
  }

  private applyCounted(applier: SyncedBlockApplier, blocks: readonly SyncedBlock[]): BlockProblem | null {
    const startedMs = performance.now();
    const { applied, problem } = applier.apply(blocks, { durable: false });
    this.applyMs += performance.now() - startedMs;
    this.blocksSynced += applied;
    return problem;
  }

  /** One "Syncing blocks by range" line per PROGRESS_LOG_MS of a round. */
  private logProgress(progress: SyncProgress, height: number, peerHeight: number): void {
    const nowMs = performance.now();
    if (nowMs - progress.loggedMs < PROGRESS_LOG_MS) return;
    const blocksSynced = this.blocksSynced - progress.blocksSyncedBefore;
    const blocksPerSecond = Math.round((blocksSynced * 1000) / (nowMs - progress.startedMs));
    this.modules.logger.info({ height, peerHeight, blocksSynced, blocksPerSecond }, "Syncing blocks by range");
    progress.loggedMs = nowMs;
  }

  private validatorPeerIds() {
    const { host, peers } = this.modules;
    return host.peers().filter((peer) => peers.indexOf(peer.identity.address) !== undefined).map((peer) => peer.peerId);
  }

  /**
   * Up to `countMax` blocks from `fromHeight` (callers ask to the end of its epoch at most:
   * `rangeCountMax`), from the first validator peer that answers (`preferred` first, `avoided` last). Blocks past what was asked are dropped.
   */
  private async fetchFromAnyPeer(fromHeight: number, countMax: number, order: { readonly preferred?: PeerId | undefined; readonly avoided?: PeerId | undefined } = {}): Promise<FetchedRange | undefined> {
    const rank = (peerId: PeerId): number => (order.preferred?.equals(peerId) === true ? 0 : order.avoided?.equals(peerId) === true ? 2 : 1);
    const peerIds = this.validatorPeerIds().sort((a, b) => rank(a) - rank(b));
    for (const peerId of peerIds) {
      try {
        const bytes = await this.modules.host.request(peerId, RequestProtocol.blocksByRange, encodeSyncRequest({ fromHeight, countMax }), {
          timeoutMs: SYNC_REQUEST_TIMEOUT_MS,
          responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024,
        });
        this.rangeBytesReceived += bytes.byteLength;
        const response = decodeSyncResponse(bytes);
        return { peerId, headHeight: response.headHeight, blocks: resolveRangeBlocks(response.blocks.map(decodeRangeBlock)).slice(0, countMax) };
      } catch (err) {
        if (!isGhostmeshError(err)) throw err;
        this.modules.logger.debug({ peerId: peerId.toString(), code: err.code, err: err.message }, "blocksByRange request failed");
      }
    }
    return undefined;
  }
}

/** The last block of a non-empty range, as the parent of the range after it. */
function lastOf(range: FetchedRange): BatchParent {
  const last = range.blocks[range.blocks.length - 1] as SyncedBlock;
  return { height: last.block.header.height, hash: blockHashOf(last.block) };
}
