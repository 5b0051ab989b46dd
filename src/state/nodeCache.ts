import { decodeSmtNode, SMT_INTERNAL_SIZE_BYTES, SMT_LEAF_SIZE_BYTES } from "../merkle/index.ts";
import type { SmtNode } from "../merkle/index.ts";
import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { assert, bytesEqual, readUint64BE, writeUint64BE } from "../util/index.ts";

/*
 * Nodes of the store's latest applied version, by path, so a prepare does not read, decode and
 * re-hash a SQLite row per tree level (half of a prepare's CPU before the cache). Holds nodes
 * read from the store (after they matched their parent's hash) and nodes apply() wrote (with
 * the hash the update computed). Like the store it needs no tombstones: a read only follows
 * paths its parent points at, and every version writes each path it changes, so the entry of a
 * path the latest tree uses is that path's newest row. A hit must also carry the hash the
 * parent records, else the node is read from SQLite.
 *
 * It is valid only for the version and root it was filled for (`top`). The store compares that
 * with the database's latest version on every prepare and apply and empties the cache on a
 * mismatch: a caller's ROLLBACK of an applied version (the latest version drops below `top`),
 * or versions applied by another store object on the same database. A row damaged on disk
 * after it was cached is not seen by prepare (it is by get, prove, `ghostmesh verify` and a
 * restarted node).
 *
 * Bounded: two generations of at most nodesMax / 2 entries. A full young generation becomes
 * the old one and the previous old one is dropped; a hit in the old generation copies the entry
 * to the young one, so the upper levels, read by every prepare, stay. Entries are packed into
 * byte chunks (version u64 || hash || node bytes, <= 121 bytes) with a Map from path to
 * position, so the garbage collector sees a few large arrays, not 4-5 objects per node.
 * No iteration, no clock: what it holds is a function of the sequence of calls.
 */

export type CacheTop = { readonly version: number | null; readonly root: Uint8Array };

const VERSION_SIZE_BYTES = 8;
const HEADER_SIZE_BYTES = VERSION_SIZE_BYTES + HASH_SIZE_BYTES;
/** Internal 81 bytes, leaf 73 (merkle/smtNode.ts); anything longer is not cached. */
const NODE_SIZE_BYTES_MAX = Math.max(SMT_INTERNAL_SIZE_BYTES, SMT_LEAF_SIZE_BYTES);
const ENTRY_SIZE_BYTES_MAX = HEADER_SIZE_BYTES + NODE_SIZE_BYTES_MAX;
const CHUNK_SIZE_BYTES = 256 * 1024;

/** One generation: entries appended to chunks; position = chunk index * CHUNK_SIZE_BYTES + offset. */
class Generation {
  readonly positions = new Map<string, number>();
  /** Entries appended, overwritten ones included: what bounds the chunks. */
  appended = 0;
  private readonly chunks: Uint8Array[] = [];
  private used = CHUNK_SIZE_BYTES;

  append(key: string, version: number, hash: Uint8Array, bytes: Uint8Array): void {
    const size = HEADER_SIZE_BYTES + bytes.byteLength;
    if (this.used + size > CHUNK_SIZE_BYTES) {
      this.chunks.push(new Uint8Array(CHUNK_SIZE_BYTES));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1] as Uint8Array;
    const offset = this.used;
    writeUint64BE(chunk, offset, version);
    chunk.set(hash, offset + VERSION_SIZE_BYTES);
    chunk.set(bytes, offset + HEADER_SIZE_BYTES);
    this.used += size;
    this.appended++;
    this.positions.set(key, (this.chunks.length - 1) * CHUNK_SIZE_BYTES + offset);
  }

  /**
   * A view of the entry at `position`. Chunks are append-only, so the view never changes; a
   * view kept past the generation keeps its chunk alive, so the tree copies what it keeps
   * (updateSmt copies the hashes of moved leaves and stale values).
   */
  entry(position: number): Uint8Array {
    const chunk = this.chunks[Math.floor(position / CHUNK_SIZE_BYTES)] as Uint8Array;
    const offset = position % CHUNK_SIZE_BYTES;
    const size = HEADER_SIZE_BYTES + ((chunk[offset + HEADER_SIZE_BYTES] as number) === 0x02 ? SMT_LEAF_SIZE_BYTES : SMT_INTERNAL_SIZE_BYTES);
    return chunk.subarray(offset, offset + size);
  }

  /** Whether the entry at `position` records `hash`; compared in place, without a copy. */
  hashEquals(position: number, hash: Uint8Array): boolean {
    const chunk = this.chunks[Math.floor(position / CHUNK_SIZE_BYTES)] as Uint8Array;
    const start = (position % CHUNK_SIZE_BYTES) + VERSION_SIZE_BYTES;
    for (let i = 0; i < HASH_SIZE_BYTES; i++) if (chunk[start + i] !== hash[i]) return false;
    return true;
  }
}

export class StateNodeCache {
  private young = new Generation();
  private old = new Generation();
  private readonly generationNodesMax: number;
  private top: CacheTop | undefined = undefined;

  constructor(nodesMax: number) {
    assert(Number.isSafeInteger(nodesMax) && nodesMax >= 0, `StateNodeCache: nodesMax ${nodesMax} is not a non-negative integer`);
    this.generationNodesMax = Math.floor(nodesMax / 2);
  }

  get size(): number {
    return this.young.positions.size + this.old.positions.size;
  }

  /** Whether the cache holds nodes of exactly this version and root. */
  isFor(latest: CacheTop): boolean {
    return this.top !== undefined && this.top.version === latest.version && bytesEqual(this.top.root, latest.root);
  }

  /** Empties the cache and makes it the (empty) cache of `latest`. */
  reset(latest: CacheTop): void {
    this.young = new Generation();
    this.old = new Generation();
    this.top = { version: latest.version, root: latest.root.slice() };
  }

  /** The latest version moved from the cache's version to `next` by writes the cache was given. */
  advance(next: CacheTop): void {
    this.top = { version: next.version, root: next.root.slice() };
  }

  /** The node at `key` when held and its hash is `expectedHash`. Its arrays are views of the cache: read only. */
  get(key: string, expectedHash: Uint8Array): SmtNode | undefined {
    let generation = this.young;
    let position = generation.positions.get(key);
    if (position === undefined) {
      generation = this.old;
      position = generation.positions.get(key);
      if (position === undefined) return undefined;
    }
    if (!generation.hashEquals(position, expectedHash)) return undefined;
    const entry = generation.entry(position);
    const version = readUint64BE(entry, 0);
    const node = decodeSmtNode({ version, bytes: entry.subarray(HEADER_SIZE_BYTES) }, entry.subarray(VERSION_SIZE_BYTES, HEADER_SIZE_BYTES));
    assert(node !== undefined, "StateNodeCache.get: entries hold well-formed nodes");
    if (generation === this.old) {
      this.old.positions.delete(key);
      this.set(key, version, node.hash, entry.subarray(HEADER_SIZE_BYTES));
    }
    return node;
  }

  /** Holds the node at `key`: row `version`, its hash, its stored bytes (copied in). */
  set(key: string, version: number, hash: Uint8Array, bytes: Uint8Array): void {
    if (this.generationNodesMax === 0 || bytes.byteLength > NODE_SIZE_BYTES_MAX || hash.byteLength !== HASH_SIZE_BYTES) return;
    this.young.append(key, version, hash, bytes);
    if (this.young.appended >= this.generationNodesMax) {
      this.old = this.young;
      this.young = new Generation();
    }
  }
}

assert(ENTRY_SIZE_BYTES_MAX <= CHUNK_SIZE_BYTES, "a cache entry fits a chunk");

/**
 * A path as a Map key: one char per byte. Paths are short (depth/8 + 2 bytes, ~5 bytes in a
 * tree of 100,000 keys), and building this costs less than hex.
 */
export function pathKeyString(path: Uint8Array): string {
  let key = "";
  for (let i = 0; i < path.byteLength; i++) key += String.fromCharCode(path[i] as number);
  return key;
}
