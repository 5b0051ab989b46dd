/**
 * Dandelion++ on the validator network (decision 0502, "Wiring"): the pure DandelionRouter
 * (p2p/dandelion) driven by this validator's host.
 * - Transactions this validator admitted from its own API (and re-gossips after view
 *   timeouts) come in through `submitLocal`: new ones go on the stem; ones already diffused
 *   are gossiped again at once (they are public).
 * - `sendStem` → a message on `/ghostmesh/<chainId>/msg/stem/1` (the signed tx) to the
 *   successor, over the stream kept open to it; to a validator of an earlier version, which
 *   serves only the request `/ghostmesh/<chainId>/req/stem/1`, a request (both are served here).
 *   `fluff` → the host's tx batcher, gossiped on the tx topic as without Dandelion.
 * - A stem must come from a genesis validator, decode as a signed transaction and pass
 *   mempool admission (signature included) before it is relayed: a malformed transaction or a
 *   bad signature penalises the sender. Admitted, it is also in this validator's mempool, so a
 *   leader among the stem's holders may order it before any fluff.
 * - Transactions seen on the tx topic end their stem here (`onFluffSeen`); a timer drives
 *   embargoes and epochs (`onTick` at `nextDeadlineMs`, and at least every PEERS_REFRESH_MS to
 *   follow the connected validator set, `setPeers`).
 * Liveness never depends on the stem: every holder fluffs at its embargo (fail-safe).
 */
import type { PeerId } from "@libp2p/interface";
import { decodeSignedTx } from "../../ledger/index.ts";
import {
  cryptoRandom,
  createDandelionRouter,
  isP2pHostError,
  p2pError,
  PeerAction,
  type DandelionAction,
  type DandelionOptions,
  type DandelionRouter,
  type DandelionStats,
  type DandelionTx,
  type P2pHost,
  type PeerContext,
} from "../../p2p/index.ts";
import { isGhostmeshError, toHex } from "../../util/index.ts";
import { monotonicClock, type Logger } from "../types.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";

export const STEM_PROTOCOL = "stem";
/** A stem carries one signed transaction: the ledger's wire limit plus nothing. */
const STEM_BYTES_MAX = 8 * 1024 * 1024 + 64 * 1024;
/** A hop by request (to a validator of an earlier version) waits this long; a lost stem is the embargo's to repair. */
const STEM_REQUEST_TIMEOUT_MS = 5_000;
/** Verifying is a threadpool signature check per stem; a few in flight per peer is plenty. */
const STEM_CONCURRENT_PER_PEER_MAX = 16;
/** The connected validator set is re-read at least this often (and before every input). */
const PEERS_REFRESH_MS = 1_000;

/** What the stem server needs of the validator once it runs. */
export type StemAdmission = {
  /**
   * Mempool admission (decode, stateless checks, signature, nonce); throws GhostmeshError.
   * Resolves to the announcement to the consensus host (which wakes an idle leader): run
   * after routing, it reaches `submitLocal`, which leaves this transaction alone.
   */
  readonly admit: (bytes: Uint8Array) => Promise<() => void>;
};

/** Observations for tests and logs, in the order they happen on this node. */
export type StemRelayEvent =
  | { readonly kind: "stemSent"; readonly hashHex: string; readonly peer: string }
  | { readonly kind: "stemAccepted"; readonly hashHex: string; readonly from: string }
  | { readonly kind: "fluff"; readonly hashHex: string }
  | { readonly kind: "fluffSeen"; readonly hashHex: string };

export type StemRelayStats = DandelionStats & {
  readonly stemAccepted: number;
  readonly stemRejected: number;
  readonly stemNotAdmitted: number;
  readonly stemSendFailed: number;
};

export type StemRelayModules = {
  readonly host: P2pHost;
  readonly peers: ValidatorPeers;
  readonly logger: Logger;
  readonly observer?: (event: StemRelayEvent) => void;
};

export class StemRelay {
  private readonly router: DandelionRouter;
  private readonly modules: StemRelayModules;
  private readonly chainId: string;
  private admission: StemAdmission | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The hash a stem is handing to the consensus host right now (see onStem). */
  private admittingHashHex: string | undefined;
  private counts = { stemAccepted: 0, stemRejected: 0, stemNotAdmitted: 0, stemSendFailed: 0 };

  constructor(opts: Partial<DandelionOptions>, modules: StemRelayModules) {
    this.modules = modules;
    this.chainId = modules.host.chainId;
    this.router = createDandelionRouter(opts, { clock: monotonicClock, random: cryptoRandom });
  }

  /** Serves stems (messages, and requests from earlier versions) and starts the timer; stems are refused until `setAdmission`. */
  async start(): Promise<void> {
    const { host } = this.modules;
    await host.handleMessages(STEM_PROTOCOL, async (message, from) => void (await this.onStem(message, from)), {
      messageSizeBytesMax: STEM_BYTES_MAX,
      concurrentPerPeerMax: STEM_CONCURRENT_PER_PEER_MAX,
    });
    await host.handle(STEM_PROTOCOL, (request, from) => this.onStem(request, from), {
      requestSizeBytesMax: STEM_BYTES_MAX,
      responseSizeBytesMax: 16,
      concurrentPerPeerMax: STEM_CONCURRENT_PER_PEER_MAX,
    });
    this.schedule();
  }

  setAdmission(admission: StemAdmission): void {
    this.admission = admission;
  }

  close(): void {
    this.closed = true;
    this.admission = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  stats(): StemRelayStats {
    return { ...this.router.stats(), ...this.counts };
  }

  /** A transaction the consensus host broadcasts (own API admission, or a re-gossip). */
  submitLocal(bytes: Uint8Array): void {
    if (this.closed) return;
    let hashHex: string;
    try {
      hashHex = toHex(decodeSignedTx(bytes, this.chainId).txHash);
    } catch {
      return; // The host only sends transactions its mempool admitted; nothing to route.
    }
    // A stem transaction this relay just admitted: the router has already routed it.
    if (hashHex === this.admittingHashHex) return;
    if (this.router.isFluffed(hashHex)) {
      this.modules.host.queueTx(bytes);
      return;
    }
    this.refreshPeers();
    this.perform(this.router.onLocalTx({ hashHex, bytes }));
  }

  /** Transactions seen on the tx gossip topic: their stem phase is over. */
  onFluffSeen(hashHex: string): void {
    if (this.closed) return;
    this.router.onFluffSeen(hashHex);
    this.modules.observer?.({ kind: "fluffSeen", hashHex });
  }

  /** One stem, by message or by request (answered with empty bytes; refusals throw, penalties are applied here). */
  private async onStem(request: Uint8Array, from: PeerContext): Promise<Uint8Array> {
    const { peers, host } = this.modules;
    if (peers.indexOf(from.identity.address) === undefined) throw p2pError("P2P_REQUEST_INVALID", "stem relaying is for validators only", {});
    const admission = this.admission;
    if (admission === null) throw p2pError("P2P_RESOURCE_UNAVAILABLE", "this validator is not running consensus yet", {});
    let tx: DandelionTx;
    try {
      tx = { hashHex: toHex(decodeSignedTx(request, this.chainId).txHash), bytes: request };
    } catch (err) {
      return this.rejectStem(from.peerId, PeerAction.malformedFrame, `stem transaction does not decode: ${(err as Error).message}`);
    }
    const verdict = await this.admit(admission, request);
    if (verdict === "bad") return this.rejectStem(from.peerId, PeerAction.gossipReject, "stem transaction signature does not verify");
    if (verdict === "refused" || this.closed) {
      // Valid perhaps, but not admissible here now (stale nonce, full pool): not relayed; the
      // holders upstream fluff it at their embargo.
      this.counts.stemNotAdmitted += 1;
      return new Uint8Array(0);
    }
    this.counts.stemAccepted += 1;
    this.modules.observer?.({ kind: "stemAccepted", hashHex: tx.hashHex, from: from.peerId.toString() });
    this.refreshPeers();
    this.perform(this.router.onStemTx(from.peerId.toString(), tx));
    if (typeof verdict === "function") {
      this.admittingHashHex = tx.hashHex;
      try {
        verdict();
      } finally {
        this.admittingHashHex = undefined;
      }
    }
    return new Uint8Array(0);
  }

  /**
   * The announcement when newly admitted; "held" when already pending here (a loop or a
   * gossiped copy: the router decides); "bad" when provably invalid; "refused" otherwise.
   */
  private async admit(admission: StemAdmission, bytes: Uint8Array): Promise<(() => void) | "held" | "bad" | "refused"> {
    try {
      return await admission.admit(bytes);
    } catch (err) {
      if (!isGhostmeshError(err)) throw err;
      if (err.code === "MEMPOOL_DUPLICATE") return "held";
      if (err.code === "MEMPOOL_BAD_SIGNATURE" || err.code.startsWith("LEDGER_") || err.code.startsWith("CODEC_")) return "bad";
      return "refused";
    }
  }

  private rejectStem(peerId: PeerId, action: PeerAction, reason: string): never {
    this.counts.stemRejected += 1;
    this.modules.host.penalize(peerId, action, reason);
    throw p2pError("P2P_REQUEST_INVALID", reason, {});
  }

  private perform(actions: readonly DandelionAction[]): void {
    for (const action of actions) {
      if (action.type === "fluff") {
        this.modules.observer?.({ kind: "fluff", hashHex: action.tx.hashHex });
        this.modules.host.queueTx(action.tx.bytes);
      } else this.sendStem(action.peer, action.tx);
    }
  }

  private sendStem(peer: string, tx: DandelionTx): void {
    const { host, logger } = this.modules;
    const peerId = host.peers().find((connected) => connected.peerId.toString() === peer)?.peerId;
    if (peerId === undefined) {
      this.counts.stemSendFailed += 1;
      return; // Disconnected since it was picked; the embargo gets the transaction out.
    }
    this.modules.observer?.({ kind: "stemSent", hashHex: tx.hashHex, peer });
    const failed = (err: unknown): void => {
      this.counts.stemSendFailed += 1;
      logger.debug({ peer, txHash: tx.hashHex, err: (err as Error).message }, "Stem relay failed; the embargo will diffuse the transaction");
    };
    host.sendMessage(peerId, STEM_PROTOCOL, tx.bytes, { messageSizeBytesMax: STEM_BYTES_MAX }).catch((err: unknown) => {
      // A validator of an earlier version serves stems only as requests.
      if (!isP2pHostError(err, "P2P_PROTOCOL_UNSUPPORTED")) return failed(err);
      host.request(peerId, STEM_PROTOCOL, tx.bytes, { timeoutMs: STEM_REQUEST_TIMEOUT_MS }).catch(failed);
    });
  }

  /** Stem successors come from the connected genesis validators. */
  private refreshPeers(): void {
    const { host, peers } = this.modules;
    const validators = host
      .peers()
      .filter((peer) => peers.indexOf(peer.identity.address) !== undefined)
      .map((peer) => peer.peerId.toString());
    this.router.setPeers(validators);
  }

  private schedule(): void {
    if (this.closed) return;
    const delayMs = Math.min(PEERS_REFRESH_MS, Math.max(0, this.router.nextDeadlineMs() - monotonicClock.nowMs()));
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    if (this.closed) return;
    try {
      this.refreshPeers();
      this.perform(this.router.onTick(monotonicClock.nowMs()));
    } catch (err) {
      this.modules.logger.error({ err: (err as Error).message }, "Dandelion tick failed");
    }
    this.schedule();
  }
}
