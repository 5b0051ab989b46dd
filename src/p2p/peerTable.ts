import type { DatabaseSync, StatementSync } from "node:sqlite";
import { assert } from "../util/index.ts";
import type { PeerRecord } from "./types.ts";

/** Rows kept and loaded; the reputation map holds the same bound (reputation.ts). */
export const PEER_RECORDS_MAX = 10_000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS p2p_peers (
  address TEXT PRIMARY KEY NOT NULL,
  peer_id TEXT NOT NULL,
  score REAL NOT NULL,
  score_updated_ms INTEGER NOT NULL,
  banned_until_ms INTEGER NOT NULL DEFAULT 0,
  ban_reason TEXT,
  gossip_rejects INTEGER NOT NULL DEFAULT 0,
  malformed_frames INTEGER NOT NULL DEFAULT 0,
  oversized_messages INTEGER NOT NULL DEFAULT 0,
  timeouts INTEGER NOT NULL DEFAULT 0
) STRICT`;

type Row = {
  address: string;
  peer_id: string;
  score: number;
  score_updated_ms: number;
  banned_until_ms: number;
  ban_reason: string | null;
  gossip_rejects: number;
  malformed_frames: number;
  oversized_messages: number;
  timeouts: number;
};

/**
 * The `p2p_peers` table on the caller's database: reputation and bans per ML-DSA identity,
 * so that a restart neither forgives a banned peer nor forgets a bad score.
 */
export class PeerTable {
  readonly #db: DatabaseSync;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  readonly #selectAll: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(SCHEMA);
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO p2p_peers (address, peer_id, score, score_updated_ms, banned_until_ms, ban_reason, gossip_rejects, malformed_frames, oversized_messages, timeouts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (address) DO UPDATE SET peer_id = excluded.peer_id, score = excluded.score, score_updated_ms = excluded.score_updated_ms,
         banned_until_ms = excluded.banned_until_ms, ban_reason = excluded.ban_reason, gossip_rejects = excluded.gossip_rejects,
         malformed_frames = excluded.malformed_frames, oversized_messages = excluded.oversized_messages, timeouts = excluded.timeouts`,
    );
    this.#delete = db.prepare("DELETE FROM p2p_peers WHERE address = ?");
    // Bans first, then the worst scores: what must survive if the table ever holds more than the bound.
    this.#selectAll = db.prepare(`SELECT * FROM p2p_peers ORDER BY banned_until_ms DESC, score ASC LIMIT ${PEER_RECORDS_MAX}`);
  }

  loadAll(): PeerRecord[] {
    return (this.#selectAll.all() as Row[]).map(fromRow);
  }

  /** Writes `records` and removes `forgotten` in one transaction (a savepoint inside the caller's, if any). */
  save(records: readonly PeerRecord[], forgotten: readonly string[] = []): void {
    if (records.length === 0 && forgotten.length === 0) return;
    this.#db.exec("SAVEPOINT p2p_peers_save");
    try {
      for (const r of records) {
        this.#upsert.run(r.address, r.peerId, r.score, r.scoreUpdatedMs, r.bannedUntilMs, r.banReason, r.gossipRejects, r.malformedFrames, r.oversizedMessages, r.timeouts);
      }
      for (const address of forgotten) this.#delete.run(address);
    } catch (err) {
      this.#db.exec("ROLLBACK TO p2p_peers_save");
      this.#db.exec("RELEASE p2p_peers_save");
      throw err;
    }
    this.#db.exec("RELEASE p2p_peers_save");
  }
}

function fromRow(row: Row): PeerRecord {
  assert(typeof row.address === "string" && typeof row.score === "number", "p2p_peers: a row has an address and a score");
  return {
    address: row.address,
    peerId: row.peer_id,
    score: row.score,
    scoreUpdatedMs: row.score_updated_ms,
    bannedUntilMs: row.banned_until_ms,
    banReason: row.ban_reason,
    gossipRejects: row.gossip_rejects,
    malformedFrames: row.malformed_frames,
    oversizedMessages: row.oversized_messages,
    timeouts: row.timeouts,
  };
}
