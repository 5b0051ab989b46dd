import { createPublicKey, hash, type KeyObject } from "node:crypto";
import { assert } from "../util/index.ts";
import { nodeKeyType, type SignatureAlgorithmId } from "./algorithms.ts";
import { bufferView } from "./bytes.ts";

/**
 * Importing a public key (createPublicKey) costs ~50 us, about a quarter of an ML-DSA-65
 * verify, and the same few keys (validators, busy accounts) verify over and over.
 * 4,096 entries: an imported ML-DSA KeyObject holds ~11 KB of native memory (measured with
 * Node 24.21 / OpenSSL 3.5), so the cache stays under ~50 MB; it covers a validator set plus
 * the senders of several full mempools, and a miss only costs the import again.
 */
export const PUBLIC_KEY_CACHE_ENTRIES_MAX = 4_096;

export type PublicKeyCacheStats = {
  readonly entries: number;
  readonly entriesMax: number;
  readonly hitsTotal: number;
  readonly missesTotal: number;
  readonly evictionsTotal: number;
};

/**
 * Least-recently-used map from (alg, public key bytes) to an imported KeyObject. Keyed by a
 * SHA-256 of the key bytes (~7 us) rather than the 2-4 KB key itself, to keep map keys small.
 * A Map iterates in insertion order, and a hit re-inserts its entry, so the first key is the
 * least recently used one: hot validator keys survive a flood of one-off senders.
 */
export class PublicKeyCache {
  private readonly entriesMax: number;
  private readonly keyObjects = new Map<string, KeyObject>();
  /**
   * The map key computed for a given key array, so a hot key (a committed account's, handed
   * out as the same array by the account cache) is not re-hashed on every verify. Callers never
   * mutate public key arrays; the WeakMap lets arrays be collected with their owners.
   */
  private readonly cacheKeyByArray = new WeakMap<Uint8Array, string>();
  private hitsTotal = 0;
  private missesTotal = 0;
  private evictionsTotal = 0;

  constructor(entriesMax: number) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax >= 1, `PublicKeyCache: entriesMax must be a positive integer, got ${entriesMax}`);
    this.entriesMax = entriesMax;
  }

  /** Imports or reuses the key. Throws whatever createPublicKey throws on a malformed key. */
  get(alg: SignatureAlgorithmId, publicKey: Uint8Array): KeyObject {
    let cacheKey = this.cacheKeyByArray.get(publicKey);
    if (cacheKey === undefined || !cacheKey.startsWith(`${alg}:`)) {
      cacheKey = `${alg}:${hash("sha256", publicKey, "base64")}`;
      this.cacheKeyByArray.set(publicKey, cacheKey);
    }
    const cached = this.keyObjects.get(cacheKey);
    if (cached !== undefined) {
      this.hitsTotal++;
      this.keyObjects.delete(cacheKey);
      this.keyObjects.set(cacheKey, cached);
      return cached;
    }
    this.missesTotal++;
    const keyObject = createPublicKey({ key: bufferView(publicKey), format: "raw-public", asymmetricKeyType: nodeKeyType(alg) });
    this.keyObjects.set(cacheKey, keyObject);
    while (this.keyObjects.size > this.entriesMax) this.evictOldest();
    assert(this.keyObjects.size <= this.entriesMax, "PublicKeyCache: size must stay within entriesMax");
    return keyObject;
  }

  stats(): PublicKeyCacheStats {
    return {
      entries: this.keyObjects.size,
      entriesMax: this.entriesMax,
      hitsTotal: this.hitsTotal,
      missesTotal: this.missesTotal,
      evictionsTotal: this.evictionsTotal,
    };
  }

  clear(): void {
    this.keyObjects.clear();
  }

  private evictOldest(): void {
    const oldest = this.keyObjects.keys().next();
    assert(oldest.done !== true, "PublicKeyCache: evictOldest called on an empty cache");
    this.keyObjects.delete(oldest.value);
    this.evictionsTotal++;
  }
}
