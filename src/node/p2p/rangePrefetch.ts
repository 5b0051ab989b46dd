/**
 * Ranges requested ahead of the one being applied (block sync, decision 0504 "Ranges in
 * flight"). Ranges are planned back to back, each from its first height to the end of its
 * epoch (`rangeCountMax`), so the next request need not wait for the range before it to
 * arrive. A range that comes back shorter than planned (the peer's head, or its size target)
 * leaves the ranges planned after it starting at the wrong height: they are dropped, unread,
 * and planning starts again after the blocks that did arrive.
 */
import type { PeerId } from "@libp2p/interface";
import { assert } from "../../util/index.ts";
import { rangeCountMax } from "./syncApply.ts";
import type { SyncedBlock } from "./syncWire.ts";

export type FetchedRange = { readonly peerId: PeerId; readonly headHeight: number; readonly blocks: readonly SyncedBlock[] };

/** Fetches up to `countMax` blocks from `fromHeight`, `preferred` peer first; undefined when no peer answers. */
export type RangeFetcher = (fromHeight: number, countMax: number, preferred: PeerId) => Promise<FetchedRange | undefined>;

export type RangePrefetchOptions = { readonly epochBlocks: number; readonly inFlightMax: number };

type PlannedRange = { readonly fromHeight: number; readonly countMax: number; readonly result: Promise<FetchedRange | undefined> };

export class RangePrefetch {
  private readonly planned: PlannedRange[] = [];
  private readonly opts: RangePrefetchOptions;
  private readonly fetch: RangeFetcher;

  constructor(opts: RangePrefetchOptions, fetch: RangeFetcher) {
    assert(opts.inFlightMax >= 1, "RangePrefetch: at least one range in flight");
    this.opts = opts;
    this.fetch = fetch;
  }

  /** Plans (and requests) the ranges after `range`, which must hold blocks. */
  startAfter(range: FetchedRange): void {
    assert(this.planned.length === 0, "RangePrefetch.startAfter: nothing planned yet");
    this.planFrom(lastHeightOf(range) + 1, range.peerId);
  }

  /**
   * The range right after the last one returned (or the one `startAfter` named), as it arrived;
   * undefined or empty when no peer has more. Requests the next range to keep `inFlightMax`
   * in flight.
   */
  async next(): Promise<FetchedRange | undefined> {
    const planned = this.planned.shift();
    assert(planned !== undefined, "RangePrefetch.next: a range is planned");
    const range = await planned.result;
    if (range === undefined || range.blocks.length === 0) {
      this.dropPlanned();
      return range;
    }
    if (range.blocks.length < planned.countMax) {
      this.dropPlanned();
      this.planFrom(lastHeightOf(range) + 1, range.peerId);
    } else {
      const last = this.planned.at(-1);
      this.planFrom(last === undefined ? lastHeightOf(range) + 1 : last.fromHeight + last.countMax, range.peerId);
    }
    return range;
  }

  /** Settles once no request of this prefetch is outstanding; later results are dropped. */
  async stop(): Promise<void> {
    const outstanding = this.planned.map((p) => p.result);
    this.planned.length = 0;
    await Promise.allSettled(outstanding);
  }

  private planFrom(fromHeight: number, preferred: PeerId): void {
    for (let from = fromHeight; this.planned.length < this.opts.inFlightMax; ) {
      const countMax = rangeCountMax(from, this.opts.epochBlocks);
      this.planned.push({ fromHeight: from, countMax, result: this.fetch(from, countMax, preferred) });
      from += countMax;
    }
  }

  private dropPlanned(): void {
    // Their peers still answer; a rejection of a dropped request is nobody's concern.
    for (const p of this.planned) p.result.catch(() => undefined);
    this.planned.length = 0;
  }
}

function lastHeightOf(range: FetchedRange): number {
  const last = range.blocks[range.blocks.length - 1];
  assert(last !== undefined, "RangePrefetch: a range with blocks");
  return last.block.header.height;
}
