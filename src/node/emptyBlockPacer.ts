/**
 * When an idle chain is due its next empty block (decision 0200, "Pacing"): `intervalMs` after
 * the newest block's timestamp. While the wall clock stands behind that timestamp (a clock
 * stepped back: block timestamps then repeat their parent's), timestamps cannot measure the
 * interval, so it runs on the monotonic clock from when this node first found that block newest.
 * Without that, an idle chain's epochs stopped for the length of a clock step.
 */
import { assert } from "../util/index.ts";
import { monotonicClock, type Clock } from "./types.ts";

export class EmptyBlockPacer {
  private readonly intervalMs: number;
  private readonly wallClock: Clock;
  private readonly monotonic: Clock;
  /** The newest block's height, and the monotonic time it was first found newest. */
  private newestSeen = { height: -1, atMs: 0 };

  /** `intervalMs` 0: never due (no empty blocks); `monotonic` undefined: performance.now. */
  constructor(intervalMs: number, clocks: { readonly wall: Clock; readonly monotonic: Clock | undefined }) {
    assert(Number.isSafeInteger(intervalMs) && intervalMs >= 0, "EmptyBlockPacer: the interval is a non-negative integer (ms)");
    this.intervalMs = intervalMs;
    this.wallClock = clocks.wall;
    this.monotonic = clocks.monotonic ?? monotonicClock;
  }

  due(newest: { readonly height: number; readonly timestampMs: number }): boolean {
    return this.dueForMs(newest) !== null;
  }

  /** How long the next empty block has been due (0 the moment it falls due); null: not due. */
  dueForMs(newest: { readonly height: number; readonly timestampMs: number }): number | null {
    if (this.intervalMs === 0) return null;
    const sinceNewestMs = this.wallClock.nowMs() - newest.timestampMs;
    if (sinceNewestMs >= 0) return sinceNewestMs >= this.intervalMs ? sinceNewestMs - this.intervalMs : null;
    const nowMs = this.monotonic.nowMs();
    if (newest.height !== this.newestSeen.height) this.newestSeen = { height: newest.height, atMs: nowMs };
    const sinceSeenMs = nowMs - this.newestSeen.atMs;
    return sinceSeenMs >= this.intervalMs ? sinceSeenMs - this.intervalMs : null;
  }
}
