/**
 * RangePrefetch: ranges requested back to back ahead of the one applied, re-planned when a
 * range comes back short, and nothing left outstanding after `stop`.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { PeerId } from "@libp2p/interface";
import { RangePrefetch, type FetchedRange } from "../../../src/node/p2p/rangePrefetch.ts";
import type { SyncedBlock } from "../../../src/node/p2p/index.ts";

const EPOCH_BLOCKS = 10;
const PEER = { toString: () => "peer-a" } as unknown as PeerId;

/** Only heights matter to the prefetch: blocks reduced to their header height. */
function rangeOf(fromHeight: number, count: number, headHeight = 1_000): FetchedRange {
  const blocks = Array.from({ length: count }, (_, i) => ({ block: { header: { height: fromHeight + i } } }) as unknown as SyncedBlock);
  return { peerId: PEER, headHeight, blocks };
}

type Request = { readonly fromHeight: number; readonly countMax: number; settle(range: FetchedRange | undefined): void; fail(err: Error): void };

/** A fetcher whose requests the test answers by hand, in any order. */
function manualFetcher() {
  const requests: Request[] = [];
  const fetch = (fromHeight: number, countMax: number): Promise<FetchedRange | undefined> =>
    new Promise((resolve, reject) => requests.push({ fromHeight, countMax, settle: resolve, fail: reject }));
  return { requests, fetch };
}

const heightsOf = (requests: readonly Request[]) => requests.map((r) => [r.fromHeight, r.countMax]);

describe("RangePrefetch", () => {
  it("keeps inFlightMax ranges requested, each to the end of its epoch, before the one before it arrives", async () => {
    const { requests, fetch } = manualFetcher();
    const ahead = new RangePrefetch({ epochBlocks: EPOCH_BLOCKS, inFlightMax: 2 }, fetch);
    ahead.startAfter(rangeOf(1, 9));
    assert.deepEqual(heightsOf(requests), [[10, 10], [20, 10]], "both requested at once");
    const next = ahead.next();
    requests[0]!.settle(rangeOf(10, 10));
    assert.deepEqual((await next)?.blocks.length, 10);
    assert.deepEqual(heightsOf(requests), [[10, 10], [20, 10], [30, 10]], "one more on taking the first");
    // The second arrives before it is asked for: returned at once.
    requests[1]!.settle(rangeOf(20, 10));
    assert.equal((await ahead.next())?.blocks[0]?.block.header.height, 20);
    assert.deepEqual(heightsOf(requests).at(-1), [40, 10]);
    await Promise.all([ahead.stop(), requests[2]!.settle(undefined), requests[3]!.settle(undefined)]);
  });

  it("a range shorter than planned drops the ranges planned after it and plans again from its last block", async () => {
    const { requests, fetch } = manualFetcher();
    const ahead = new RangePrefetch({ epochBlocks: EPOCH_BLOCKS, inFlightMax: 2 }, fetch);
    ahead.startAfter(rangeOf(1, 9));
    requests[0]!.settle(rangeOf(10, 4)); // cut short at height 13
    requests[1]!.settle(rangeOf(20, 10)); // starts at the wrong height now: never returned
    assert.equal((await ahead.next())?.blocks.length, 4);
    assert.deepEqual(heightsOf(requests).slice(2), [[14, 6], [20, 10]]);
    requests[2]!.settle(rangeOf(14, 6));
    const following = await ahead.next();
    assert.equal(following?.blocks[0]?.block.header.height, 14);
    requests[3]!.settle(rangeOf(20, 10));
    requests[4]!.settle(rangeOf(30, 10));
    assert.equal((await ahead.next())?.blocks[0]?.block.header.height, 20);
    assert.deepEqual(heightsOf(requests).slice(5), [[40, 10]]);
    requests[5]!.settle(undefined);
    await ahead.stop();
  });

  it("no more blocks (an empty range or no peer answering) ends it with nothing planned; a failed dropped request is not an unhandled rejection", async () => {
    const { requests, fetch } = manualFetcher();
    const ahead = new RangePrefetch({ epochBlocks: EPOCH_BLOCKS, inFlightMax: 3 }, fetch);
    ahead.startAfter(rangeOf(1, 9));
    assert.equal(requests.length, 3);
    requests[0]!.settle(rangeOf(10, 0, 9));
    requests[1]!.fail(new Error("a dropped request's own error"));
    assert.equal((await ahead.next())?.blocks.length, 0);
    requests[2]!.settle(undefined);
    await ahead.stop();
    assert.equal(requests.length, 3, "nothing requested after the end");
    await new Promise((resolve) => setImmediate(resolve));
  });

  it("stop waits for the requests still in flight", async () => {
    const { requests, fetch } = manualFetcher();
    const ahead = new RangePrefetch({ epochBlocks: EPOCH_BLOCKS, inFlightMax: 2 }, fetch);
    ahead.startAfter(rangeOf(1, 9));
    let stopped = false;
    const stopping = ahead.stop().then(() => (stopped = true));
    requests[0]!.settle(rangeOf(10, 10));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, "one request still outstanding");
    requests[1]!.fail(new Error("peer gone"));
    await stopping;
    assert.equal(stopped, true);
  });
});
