/**
 * The checks every perturbation test runs once the network has recovered (CometBFT's
 * tests/block_test.go, over the HTTP API): every node reaches the same height, holds the
 * identical block (hash and transaction list) at every height, and holds every accepted
 * transaction committed at the same height. The offline `ghostmesh verify` of each home runs
 * after the nodes stop.
 */
import { strict as assert } from "node:assert";
import type { BlockResponse } from "../../src/client/index.ts";
import type { ClusterNode } from "./cluster.ts";
import { heightOf, waitHeights } from "./cluster.ts";
import { mapLimit, waitFor } from "./helpers.ts";

/** Concurrent API requests per check: enough to be quick, few enough not to starve the nodes of the two cores. */
const REQUESTS_IN_FLIGHT_MAX = 8;

/** What was checked, and where the time went (waiting for commits, for catch-up, comparing). */
export type InvariantsReport = { readonly height: number; readonly txs: number; readonly commitWaitMs: number; readonly catchUpWaitMs: number; readonly compareMs: number };

/**
 * Checks a network again and again as a test perturbs it. Every check compares every block
 * 1..head on every node, or, `incremental` (a soak's thousands of heights), only the heights
 * above the last check on every node and every height on each node named `rebuilt`, against the
 * blocks the earlier checks found. Transactions are looked up by hash (GET /v1/txs) on every node once,
 * the first time they are checked, and all of them again on each node named `rebuilt` (its store
 * was wiped and synced anew, or its process killed); between lookups, the identical per-height transaction lists
 * carry each one to every node.
 */
export class InvariantChecker {
  readonly #nodes: readonly ClusterNode[];
  readonly #timeoutMs: number;
  readonly #incremental: boolean;
  /** Height at which each checked transaction committed on the first node (final once seen). */
  readonly #txHeights = new Map<string, number>();
  /** Transactions looked up on every node so far (a prefix of the sent list). */
  #txsLookedUp = 0;
  /** Incremental: the block hash and transaction list every node held at each height compared so far (index height - 1). */
  readonly #blocksCompared: { readonly hash: string; readonly txHashes: readonly string[] }[] = [];

  constructor(nodes: readonly ClusterNode[], timeoutMs: number, opts: { readonly incremental?: boolean } = {}) {
    assert(nodes.length > 0, "a checker needs nodes");
    this.#nodes = nodes;
    this.#timeoutMs = timeoutMs;
    this.#incremental = opts.incremental === true;
  }

  /** Waits for `txsLive` (hashes a node accepted; the load may still be adding) to commit on the first node and for every node to reach the highest height seen, then compares. */
  async check(txsLive: readonly string[], opts: { readonly rebuilt?: readonly ClusterNode[] } = {}): Promise<InvariantsReport> {
    const txs = [...txsLive];
    const startedMs = Date.now();
    await this.#waitCommitted(txs);
    const committedMs = Date.now();
    const heights = await Promise.all(this.#nodes.map((node) => heightOf(node).catch(() => 0)));
    const height = Math.max(...heights, ...this.#txHeights.values());
    await waitHeights("every node to catch up", this.#nodes, height, this.#timeoutMs);
    const caughtUpMs = Date.now();

    const inBlocks = this.#incremental ? await this.#compareNewBlocks(height, opts.rebuilt ?? []) : await this.#compareBlocks(height, 1, this.#nodes);
    for (const hash of txs) {
      const expected = this.#txHeights.get(hash);
      assert.equal(inBlocks.get(hash), expected, `transaction ${hash} is listed in the block at height ${expected} on every node`);
    }
    await this.#lookUp(txs.slice(this.#txsLookedUp), this.#nodes);
    await this.#lookUp(txs.slice(0, this.#txsLookedUp), opts.rebuilt ?? []);
    this.#txsLookedUp = txs.length;
    return { height, txs: txs.length, commitWaitMs: committedMs - startedMs, catchUpWaitMs: caughtUpMs - committedMs, compareMs: Date.now() - caughtUpMs };
  }

  /**
   * Blocks from..height identical on every one of `nodes` (and, incremental, remembered);
   * returns the height at which each listed transaction sits.
   */
  async #compareBlocks(height: number, from: number, nodes: readonly ClusterNode[]): Promise<Map<string, number>> {
    const blocksByHeight = await mapLimit(
      Array.from({ length: Math.max(0, height - from + 1) }, (_, i) => from + i),
      REQUESTS_IN_FLIGHT_MAX,
      (h) => Promise.all(nodes.map((node) => node.client.block(h))),
    );
    const inBlocks = new Map<string, number>();
    for (const [i, blocks] of blocksByHeight.entries()) {
      const at = from + i;
      const known = this.#blocksCompared[at - 1];
      const hashes = blocks.map((block) => block.hash);
      const txLists = blocks.map((block: BlockResponse) => block.txHashes.join(","));
      if (known !== undefined) {
        hashes.push(known.hash);
        txLists.push(known.txHashes.join(","));
      }
      assert.equal(new Set(hashes).size, 1, `identical block hash at height ${at} on every node${known === undefined ? "" : " and at the earlier checks"}: ${this.#listByNode(hashes, nodes)}`);
      assert.equal(new Set(txLists).size, 1, `identical transaction list at height ${at} on every node${known === undefined ? "" : " and at the earlier checks"}`);
      const first = blocks[0] as BlockResponse;
      for (const hash of first.txHashes) inBlocks.set(hash, at);
      if (this.#incremental && known === undefined) this.#blocksCompared[at - 1] = { hash: first.hash, txHashes: first.txHashes };
    }
    return inBlocks;
  }

  /** Incremental: the heights above the last check on every node, every height on `rebuilt`; the transactions of every height. */
  async #compareNewBlocks(height: number, rebuilt: readonly ClusterNode[]): Promise<Map<string, number>> {
    if (rebuilt.length > 0) await this.#compareBlocks(this.#blocksCompared.length, 1, rebuilt);
    await this.#compareBlocks(height, this.#blocksCompared.length + 1, this.#nodes);
    const inBlocks = new Map<string, number>();
    for (const [i, block] of this.#blocksCompared.entries()) for (const hash of block.txHashes) inBlocks.set(hash, i + 1);
    return inBlocks;
  }

  async #lookUp(txs: readonly string[], nodes: readonly ClusterNode[]): Promise<void> {
    if (nodes.length === 0) return;
    await mapLimit(txs, REQUESTS_IN_FLIGHT_MAX, async (hash) => {
      const expected = this.#txHeights.get(hash);
      const found = await Promise.all(nodes.map((node) => node.client.tx(hash).catch((err: Error) => ({ status: err.message, height: undefined }))));
      for (const [n, tx] of found.entries()) {
        assert.deepEqual({ status: tx.status, height: tx.height }, { status: "committed", height: expected }, `${nodes[n]?.name} holds transaction ${hash} committed at height ${expected}`);
      }
    });
  }

  /** Polls the first node until every transaction in `txs` is committed there, recording its height. */
  async #waitCommitted(txs: readonly string[]): Promise<void> {
    const node = this.#nodes[0] as ClusterNode;
    let pending = txs.filter((hash) => !this.#txHeights.has(hash));
    await waitFor(`${pending.length} transactions to commit on ${node.name}`, async () => {
      const found = await mapLimit(pending, REQUESTS_IN_FLIGHT_MAX, (hash) => node.client.tx(hash).catch(() => undefined));
      for (const [i, tx] of found.entries()) if (tx?.status === "committed" && tx.height !== undefined) this.#txHeights.set(pending[i] as string, tx.height);
      pending = pending.filter((hash) => !this.#txHeights.has(hash));
      return pending.length === 0 ? true : undefined;
    }, this.#timeoutMs, 200).catch(async (err: Error) => {
      // What each node says of the first missing one: pending, refused (with the execution's reason), or unknown.
      const first = pending[0] as string;
      const seen = await Promise.all(
        this.#nodes.map(async (n) => {
          const tx = await n.client.tx(first).catch((lookup: Error) => ({ status: lookup.message }));
          return JSON.stringify(tx).slice(0, 300);
        }),
      );
      throw new Error(`${err.message}: ${pending.length} still not committed, first ${first}; on each node: ${this.#listByNode(seen)}`);
    });
  }

  #listByNode(values: readonly string[], nodes: readonly ClusterNode[] = this.#nodes): string {
    return values.map((value, i) => `${nodes[i]?.name ?? "earlier check"}=${value}`).join(" ");
  }
}

/** Whether validator `index` signed the certificate of `block` (bit `index` of the signer bitmap, hex). */
export function signedBy(block: BlockResponse, index: number): boolean {
  const byte = Number.parseInt(block.certificate.signers.slice((index >> 3) * 2, (index >> 3) * 2 + 2), 16);
  return Number.isInteger(byte) && ((byte >> (index & 7)) & 1) === 1;
}
