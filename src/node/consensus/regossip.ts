/**
 * What a validator sends again when a view times out with no block committed since the
 * previous timeout (host.ts `regossipReadyTxs`). Gossip is fire-and-forget: a transaction may
 * have reached only this validator (its peers were down), and idle peers neither time out nor
 * propose it, so it must go out again.
 *
 * But each resend crosses gossip's mesh many times over (every receiver forwards it), and a
 * stall may be load itself: under load slow views time out too. Every validator resending its
 * whole pool at every such timeout added to the load that stalled them, until twenty
 * validators on two cores stopped committing for minutes (decision 0200, "Re-gossip under
 * load"). So at each stalled timeout a validator resends only what its own clients gave it
 * (if no one else has a transaction, its origin is the one that must send it), and the rest of
 * its pool once per REGOSSIP_ALL_INTERVAL_MS of a stall: a transaction whose origin went down
 * after it reached this validator alone.
 */
import { assert } from "../../util/index.ts";

export type RegossipScope = "none" | "own" | "all";

/** By default a stall this long (and every further stretch of it) resends the whole pool, not only own transactions. */
export const REGOSSIP_ALL_INTERVAL_MS = 60_000;

export class RegossipSchedule {
  readonly #allIntervalMs: number;
  #heightAtLastTimeout = -1;
  /** When the current stall's next resend of the whole pool is due (monotonic ms). */
  #allDueAtMs = 0;

  constructor(allIntervalMs: number = REGOSSIP_ALL_INTERVAL_MS) {
    assert(Number.isSafeInteger(allIntervalMs) && allIntervalMs >= 1, "RegossipSchedule: a positive interval (ms)");
    this.#allIntervalMs = allIntervalMs;
  }

  /** The resend due at a view timeout, with the committed height and the monotonic time at it. */
  onViewTimeout(height: number, nowMs: number): RegossipScope {
    if (height !== this.#heightAtLastTimeout) {
      this.#heightAtLastTimeout = height;
      this.#allDueAtMs = nowMs + this.#allIntervalMs;
      return "none";
    }
    if (nowMs < this.#allDueAtMs) return "own";
    this.#allDueAtMs = nowMs + this.#allIntervalMs;
    return "all";
  }
}
