/**
 * Fetching missing blocks: which hashes are wanted from which peers, and fetched blocks that
 * wait for their ancestors (staged). A block is only ever wanted because a verified QC or a
 * signed proposal names it, and a fetched chain is accepted only by hash links down from
 * such a hash, so peers cannot inject blocks; each block is still validated on insertion.
 */
import type { Block } from "../ledger/index.ts";
import { assert, toHex } from "../util/index.ts";
import type { ValidatorIndex } from "./types.ts";

export type Fetch = {
  readonly hash: Uint8Array;
  readonly hashHex: string;
  /** Peers believed to hold the block, asked in turn. Invariant: non-empty. */
  readonly peers: ValidatorIndex[];
  attempt: number;
};

export type StagedBlock = {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly parentHex: string;
};

export type FetchRequest = { readonly to: ValidatorIndex; readonly hash: Uint8Array };

/** Times each peer is asked for one block before the fetch is given up. */
export const FETCH_ROUNDS_MAX = 3;

export class BlockFetcher {
  private readonly outstanding = new Map<string, Fetch>();
  private readonly staged = new Map<string, StagedBlock>();
  /** parentHex -> staged children's hashHex, so a chain is walked without scanning. */
  private readonly childrenByParent = new Map<string, string[]>();
  private readonly fetchesMax: number;
  private readonly stagedBlocksMax: number;
  droppedTotal = 0;

  constructor(fetchesMax: number, stagedBlocksMax: number) {
    this.fetchesMax = fetchesMax;
    this.stagedBlocksMax = stagedBlocksMax;
  }

  get stagedCount(): number {
    return this.staged.size;
  }

  isWanted(hashHex: string): boolean {
    return this.outstanding.has(hashHex);
  }

  /** Starts fetching `hash`; returns the first request, or null if already wanted or full. */
  want(hash: Uint8Array, peers: readonly ValidatorIndex[]): FetchRequest | null {
    const hashHex = toHex(hash);
    const existing = this.outstanding.get(hashHex);
    if (existing !== undefined) {
      for (const peer of peers) if (!existing.peers.includes(peer)) existing.peers.push(peer);
      return null;
    }
    if (peers.length === 0) return null;
    if (this.outstanding.size >= this.fetchesMax || this.staged.size >= this.stagedBlocksMax) {
      this.droppedTotal++;
      return null;
    }
    const fetch: Fetch = { hash, hashHex, peers: [...peers], attempt: 0 };
    this.outstanding.set(hashHex, fetch);
    return { to: fetch.peers[0] as ValidatorIndex, hash };
  }

  /**
   * Every outstanding fetch, each to its next peer: called on the view timer. A fetch every
   * peer failed to answer `FETCH_ROUNDS_MAX` times is dropped, so unanswerable hashes cannot
   * hold the fetch slots; it is wanted again if a later certificate names it.
   */
  retries(): FetchRequest[] {
    const requests: FetchRequest[] = [];
    for (const fetch of [...this.outstanding.values()]) {
      fetch.attempt++;
      if (fetch.attempt >= FETCH_ROUNDS_MAX * fetch.peers.length) {
        this.outstanding.delete(fetch.hashHex);
        this.droppedTotal++;
        continue;
      }
      requests.push({ to: fetch.peers[fetch.attempt % fetch.peers.length] as ValidatorIndex, hash: fetch.hash });
    }
    return requests;
  }

  /** The fetch of `hashHex` is answered (or moot). */
  settle(hashHex: string): void {
    this.outstanding.delete(hashHex);
  }

  stage(staged: StagedBlock): boolean {
    if (this.staged.has(staged.hashHex)) return true;
    if (this.staged.size >= this.stagedBlocksMax) {
      this.droppedTotal++;
      return false;
    }
    this.staged.set(staged.hashHex, staged);
    const siblings = this.childrenByParent.get(staged.parentHex);
    if (siblings === undefined) this.childrenByParent.set(staged.parentHex, [staged.hashHex]);
    else siblings.push(staged.hashHex);
    return true;
  }

  private unstage(hashHex: string): void {
    const staged = this.staged.get(hashHex);
    if (staged === undefined) return;
    this.staged.delete(hashHex);
    const siblings = this.childrenByParent.get(staged.parentHex);
    if (siblings === undefined) return;
    const rest = siblings.filter((hex) => hex !== hashHex);
    if (rest.length === 0) this.childrenByParent.delete(staged.parentHex);
    else this.childrenByParent.set(staged.parentHex, rest);
  }

  getStaged(hashHex: string): StagedBlock | undefined {
    return this.staged.get(hashHex);
  }

  /**
   * Staged blocks from the child of `connectedHex` upwards along one chain, removed from the
   * staging area, ascending. Forks among staged blocks are taken in staging order.
   */
  takeChainAbove(connectedHex: string): StagedBlock[] {
    const chain: StagedBlock[] = [];
    let parentHex = connectedHex;
    for (;;) {
      const childHex = this.childrenByParent.get(parentHex)?.[0];
      const child = childHex === undefined ? undefined : this.staged.get(childHex);
      if (child === undefined) return chain;
      this.unstage(child.hashHex);
      chain.push(child);
      parentHex = child.hashHex;
      assert(chain.length <= this.stagedBlocksMax, "takeChainAbove: bounded by the staging area");
    }
  }

  /** Drops staged blocks at or below a committed height: they can never connect. */
  pruneStaged(heightMin: number): void {
    for (const [hex, staged] of [...this.staged]) if (staged.block.header.height <= heightMin) this.unstage(hex);
  }
}
