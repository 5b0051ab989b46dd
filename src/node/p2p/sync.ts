/**
 * Block sync by range for a validator far behind (decision 0503): the engine catches up by
 * fetching ancestors of the blocks it sees, 32 per request and at most 4,096; a validator
 * that was down longer cannot. Before its consensus starts, a validator asks a connected
 * validator for its committed head; when that is at least `lagBlocksMin` ahead, it fetches
 * committed blocks with their QCs in ranges and commits each one that checks out: height and
 * parent follow the local head, the QC certifies exactly this block with a quorum of valid
 * genesis signatures, and the block re-executes to the same header (validateBlock). Then
 * consensus starts on the new head and fetches the few blocks committed meanwhile itself.
 * Every validator serves the protocol.
 */
import { blockHashOf, createCommittee, createCommitteeVerifier, verifyQc } from "../../consensus/index.ts";
import { decodeStoredQc, type Genesis } from "../../ledger/index.ts";
import { PeerAction, RequestProtocol, p2pError, type P2pHost } from "../../p2p/index.ts";
import { bytesEqual, errorMessage, isGhostmeshError } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import { loadCommittedBlock, verifyBlockTxsAhead, type LedgerApplication } from "../consensus/index.ts";
import type { Logger } from "../types.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";
import {
  SYNC_BLOCKS_PER_REQUEST_MAX,
  SYNC_RESPONSE_BYTES_MAX,
  SYNC_RESPONSE_BYTES_TARGET,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeSyncedBlock,
  encodeSyncRequest,
  encodeSyncResponse,
  encodeSyncedBlock,
  type SyncedBlock,
} from "./syncWire.ts";

export type BlockSyncOptions = {
  /** Sync by range only when a peer is at least this many blocks ahead; closer, consensus fetching is enough. */
  readonly lagBlocksMin: number;
  /** How long to wait at start for a first validator connection before leaving catch-up to consensus. */
  readonly connectWaitMs: number;
};

export const defaultBlockSyncOptions: BlockSyncOptions = {
  // A quarter of the engine's 4,096-block window: well before fetching would fail, and past the
  // point where 32-block fetches (one per round trip, re-validated in the engine) are slow.
  lagBlocksMin: 1_024,
  // Bootstrap dials on loopback or a LAN take well under a second; a lone validator waits no longer.
  connectWaitMs: 5_000,
};

const SYNC_REQUEST_TIMEOUT_MS = 20_000;
const CONNECT_POLL_MS = 100;

export type BlockSyncModules = { readonly host: P2pHost; readonly peers: ValidatorPeers; readonly genesis: Genesis; readonly logger: Logger };

export class BlockSync {
  private readonly opts: BlockSyncOptions;
  private readonly modules: BlockSyncModules;
  blocksSynced = 0;

  constructor(opts: BlockSyncOptions, modules: BlockSyncModules) {
    this.opts = opts;
    this.modules = modules;
  }

  /** Serves committed blocks of `chain` from now on. */
  async serve(chain: Chain): Promise<void> {
    await this.modules.host.handle(
      RequestProtocol.blocksByRange,
      (request) => {
        let range;
        try {
          range = decodeSyncRequest(request);
        } catch (err) {
          return Promise.reject(p2pError("P2P_REQUEST_INVALID", `malformed blocksByRange request: ${errorMessage(err)}`, {}));
        }
        return Promise.resolve(serveRange(chain, range.fromHeight, range.countMax));
      },
      { responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024 },
    );
  }

  /** Commits blocks from peers while one is at least lagBlocksMin ahead, then returns. */
  async catchUp(chain: Chain, app: LedgerApplication): Promise<void> {
    const { host, logger } = this.modules;
    const deadline = Date.now() + this.opts.connectWaitMs;
    while (this.validatorPeerIds().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, CONNECT_POLL_MS));
    let syncing = false;
    for (;;) {
      const fetched = await this.fetchFromAnyPeer(chain.head.height + 1);
      if (fetched === undefined) return;
      const { peerId, headHeight, blocks } = fetched;
      if (!syncing && headHeight - chain.head.height < this.opts.lagBlocksMin) return;
      if (!syncing) logger.info({ height: chain.head.height, peerHeight: headHeight }, "Far behind: syncing blocks by range before consensus");
      syncing = true;
      if (blocks.length === 0) break;
      const problem = await this.commitAll(chain, app, blocks);
      if (problem !== null) {
        host.penalize(peerId, PeerAction.malformedFrame, `blocksByRange: ${problem}`);
        logger.warn({ peerId: peerId.toString(), problem }, "A synced block failed its checks; trying another peer");
        return;
      }
    }
    logger.info({ height: chain.head.height, blocksSynced: this.blocksSynced }, "Block sync done; starting consensus");
  }

  private validatorPeerIds() {
    const { host, peers } = this.modules;
    return host.peers().filter((peer) => peers.indexOf(peer.identity.address) !== undefined).map((peer) => peer.peerId);
  }

  private async fetchFromAnyPeer(fromHeight: number) {
    for (const peerId of this.validatorPeerIds()) {
      try {
        const bytes = await this.modules.host.request(peerId, RequestProtocol.blocksByRange, encodeSyncRequest({ fromHeight, countMax: SYNC_BLOCKS_PER_REQUEST_MAX }), {
          timeoutMs: SYNC_REQUEST_TIMEOUT_MS,
          responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024,
        });
        const response = decodeSyncResponse(bytes);
        return { peerId, headHeight: response.headHeight, blocks: response.blocks.map(decodeSyncedBlock) };
      } catch (err) {
        if (!isGhostmeshError(err)) throw err;
        this.modules.logger.debug({ peerId: peerId.toString(), code: err.code, err: err.message }, "blocksByRange request failed");
      }
    }
    return undefined;
  }

  /** Commits the blocks in order; the first problem stops it (blocks before it stay committed: each was fully checked). */
  private async commitAll(chain: Chain, app: LedgerApplication, blocks: readonly SyncedBlock[]): Promise<string | null> {
    const { genesis } = this.modules;
    const ctx = { chainId: genesis.chainId, epoch: 0, committee: createCommittee({ validators: genesis.validators }), verifier: createCommitteeVerifier({ validators: genesis.validators }) };
    for (const { block, qc } of blocks) {
      const { header } = block;
      const hash = blockHashOf(block);
      if (header.height !== chain.head.height + 1) return `block at height ${header.height}, expected ${chain.head.height + 1}`;
      if (qc.height !== header.height || qc.view !== header.view || !bytesEqual(qc.blockHash, hash)) return `the QC of height ${header.height} does not certify the block`;
      const rejection = verifyQc(qc, ctx);
      if (rejection !== null) return `QC of height ${header.height}: ${rejection.message}`;
      await verifyBlockTxsAhead(block, { chain, app });
      const validation = app.validateBlock(block, hash);
      if (!validation.ok) return `block ${header.height}: ${validation.reason}`;
      app.commit([{ block, hash, qc }]);
      this.blocksSynced++;
    }
    return null;
  }
}

function serveRange(chain: Chain, fromHeight: number, countMax: number): Uint8Array {
  const headHeight = chain.head.height;
  const blocks: Uint8Array[] = [];
  let sizeBytes = 0;
  for (let height = fromHeight; height <= headHeight && blocks.length < countMax; height++) {
    const row = chain.store.getBlock(height);
    if (row === undefined) break;
    const encoded = encodeSyncedBlock({ block: loadCommittedBlock(chain.store, row), qc: decodeStoredQc(row.qc, height) });
    if (blocks.length > 0 && sizeBytes + encoded.byteLength > SYNC_RESPONSE_BYTES_TARGET) break;
    blocks.push(encoded);
    sizeBytes += encoded.byteLength;
  }
  return encodeSyncResponse({ headHeight, blocks });
}
