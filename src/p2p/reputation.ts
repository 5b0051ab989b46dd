import { assert } from "../util/index.ts";
import type { P2pMetrics } from "./metrics.ts";
import type { ReputationOptions } from "./options.ts";
import { PEER_RECORDS_MAX, type PeerTable } from "./peerTable.ts";
import type { P2pClock, P2pLogger, PeerAction, PeerRecord } from "./types.ts";

type Entry = { -readonly [K in keyof PeerRecord]: PeerRecord[K] };

const COUNTER_OF_ACTION = {
  gossipReject: "gossipRejects",
  malformedFrame: "malformedFrames",
  oversizedMessage: "oversizedMessages",
  timeout: "timeouts",
} as const satisfies Record<PeerAction, keyof Entry>;

/** Below this magnitude a score is noise; an unbanned entry that decays under it is forgotten. */
const SCORE_FORGET_MAGNITUDE = 1;

export type PeerReputationModules = {
  readonly table: PeerTable | null;
  readonly clock: P2pClock;
  readonly logger: P2pLogger;
  readonly metrics: P2pMetrics | null;
  /** Called once when an identity gets banned; the host closes its connections. */
  readonly onBan: (record: PeerRecord) => void;
};

/**
 * Our own peer reputation, per ML-DSA identity (the PeerId is only remembered to refuse it
 * early). Scores start at 0, penalties subtract, and scores decay back toward 0 with a
 * half-life. Below `banScoreThreshold` the identity is banned for `banDurationMs`. Bans are
 * written to p2p_peers at once; scores in batches (every flushIntervalMs and at stop).
 */
export class PeerReputation {
  readonly #opts: ReputationOptions;
  readonly #modules: PeerReputationModules;
  readonly #entries = new Map<string, Entry>();
  readonly #addressByPeerId = new Map<string, string>();
  readonly #dirty = new Set<string>();
  readonly #forgotten = new Set<string>();

  constructor(opts: ReputationOptions, modules: PeerReputationModules) {
    this.#opts = opts;
    this.#modules = modules;
    for (const record of modules.table?.loadAll() ?? []) {
      this.#entries.set(record.address, { ...record });
      this.#addressByPeerId.set(record.peerId, record.address);
    }
    this.#updateBannedGauge();
  }

  /** Lowers the score of `address` (seen as `peerId`); bans it when the score crosses the threshold. */
  penalize(peerId: string, address: string, action: PeerAction, reason: string): PeerRecord {
    const penalty = this.#opts.penalties[action];
    const entry = this.#entry(peerId, address);
    // A timeout lowers the score only down to the floor, and never raises one already below it.
    entry.score = action === "timeout" ? Math.min(entry.score, Math.max(entry.score - penalty, this.#opts.timeoutScoreFloor)) : entry.score - penalty;
    entry[COUNTER_OF_ACTION[action]] += 1;
    this.#dirty.add(address);
    this.#modules.metrics?.penaltiesTotal.inc({ action });
    this.#modules.logger.debug({ peerId, address, action, penalty, score: entry.score, reason }, "peer penalised");
    if (entry.bannedUntilMs === 0 && entry.score < this.#opts.banScoreThreshold) this.#ban(entry, `${action}: ${reason}`);
    return { ...entry };
  }

  /** Current (decayed) score of the identity behind `peerId`, 0 when unknown; for gossipsub's P5. */
  scoreOfPeer(peerId: string): number {
    const address = this.#addressByPeerId.get(peerId);
    return address === undefined ? 0 : (this.record(address)?.score ?? 0);
  }

  record(address: string): PeerRecord | undefined {
    const entry = this.#entries.get(address);
    if (entry === undefined) return undefined;
    this.#refresh(entry);
    return { ...entry };
  }

  isBannedAddress(address: string): boolean {
    return this.bannedUntilMs(address) !== 0;
  }

  isBannedPeer(peerId: string): boolean {
    const address = this.#addressByPeerId.get(peerId);
    return address !== undefined && this.isBannedAddress(address);
  }

  /** End of the ban of `address` (ms), or 0. */
  bannedUntilMs(address: string): number {
    const entry = this.#entries.get(address);
    if (entry === undefined) return 0;
    this.#refresh(entry);
    return entry.bannedUntilMs;
  }

  bannedUntilMsOfPeer(peerId: string): number {
    const address = this.#addressByPeerId.get(peerId);
    return address === undefined ? 0 : this.bannedUntilMs(address);
  }

  /** Writes changed scores, drops entries that decayed to nothing. */
  flush(): void {
    for (const entry of this.#entries.values()) {
      this.#refresh(entry);
      if (entry.bannedUntilMs === 0 && Math.abs(entry.score) < SCORE_FORGET_MAGNITUDE) this.#forget(entry);
    }
    const records = [...this.#dirty].flatMap((address) => {
      const entry = this.#entries.get(address);
      return entry === undefined ? [] : [{ ...entry }];
    });
    this.#modules.table?.save(records, [...this.#forgotten]);
    this.#dirty.clear();
    this.#forgotten.clear();
    this.#updateBannedGauge();
  }

  #entry(peerId: string, address: string): Entry {
    let entry = this.#entries.get(address);
    if (entry === undefined) {
      if (this.#entries.size >= PEER_RECORDS_MAX) this.#evictOne();
      entry = { address, peerId, score: 0, scoreUpdatedMs: this.#modules.clock.nowMs(), bannedUntilMs: 0, banReason: null, gossipRejects: 0, malformedFrames: 0, oversizedMessages: 0, timeouts: 0 };
      this.#entries.set(address, entry);
    }
    this.#refresh(entry);
    if (entry.peerId !== peerId) this.#addressByPeerId.delete(entry.peerId);
    entry.peerId = peerId;
    this.#addressByPeerId.set(peerId, address);
    return entry;
  }

  /** Applies decay since the last update and ends an expired ban. */
  #refresh(entry: Entry): void {
    const nowMs = this.#modules.clock.nowMs();
    const elapsedMs = nowMs - entry.scoreUpdatedMs;
    if (elapsedMs > 0) {
      entry.score *= 0.5 ** (elapsedMs / this.#opts.scoreHalfLifeMs);
      entry.scoreUpdatedMs = nowMs;
    }
    if (entry.bannedUntilMs !== 0 && nowMs >= entry.bannedUntilMs) {
      // A peer back from a ban starts halfway to the threshold: one more offence is not yet a ban.
      entry.bannedUntilMs = 0;
      entry.banReason = null;
      entry.score = Math.max(entry.score, this.#opts.banScoreThreshold / 2);
      this.#dirty.add(entry.address);
      this.#modules.logger.info({ peerId: entry.peerId, address: entry.address }, "peer ban expired");
    }
  }

  #ban(entry: Entry, reason: string): void {
    entry.bannedUntilMs = this.#modules.clock.nowMs() + this.#opts.banDurationMs;
    entry.banReason = reason.slice(0, 256);
    // Written at once: a crash right after a ban must not forgive the peer.
    this.#modules.table?.save([{ ...entry }]);
    this.#dirty.delete(entry.address);
    this.#modules.metrics?.bansTotal.inc();
    this.#updateBannedGauge();
    this.#modules.logger.warn({ peerId: entry.peerId, address: entry.address, score: entry.score, bannedUntilMs: entry.bannedUntilMs, reason }, "peer banned");
    this.#modules.onBan({ ...entry });
  }

  #forget(entry: Entry): void {
    this.#entries.delete(entry.address);
    if (this.#addressByPeerId.get(entry.peerId) === entry.address) this.#addressByPeerId.delete(entry.peerId);
    this.#dirty.delete(entry.address);
    this.#forgotten.add(entry.address);
  }

  /** Makes room: forgets the unbanned entry closest to neutral (or, if all are banned, the ban ending first). */
  #evictOne(): void {
    let victim: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (victim === undefined) victim = entry;
      else if (victim.bannedUntilMs !== 0 && entry.bannedUntilMs === 0) victim = entry;
      else if ((victim.bannedUntilMs === 0) === (entry.bannedUntilMs === 0) && (entry.bannedUntilMs < victim.bannedUntilMs || entry.score > victim.score)) victim = entry;
    }
    assert(victim !== undefined, "PeerReputation: evicting from a full map");
    this.#forget(victim);
  }

  #updateBannedGauge(): void {
    const metrics = this.#modules.metrics;
    if (metrics === null) return;
    let banned = 0;
    for (const entry of this.#entries.values()) if (entry.bannedUntilMs !== 0) banned += 1;
    metrics.bannedPeers.set(banned);
  }
}
