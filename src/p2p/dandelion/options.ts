import { GhostmeshError } from "../../util/index.ts";

export type DandelionOptions = {
  /** Off: every transaction is diffused at once (plain gossip), as before Dandelion. */
  readonly enabled: boolean;
  /**
   * q of the paper, in basis points: the chance that a node is a diffuser ("fluff" mode) for an
   * epoch. 1,000 = 10%, the paper's and BIP 156's choice: the stem is about 1/q = 10 hops long
   * on average, long enough to hide the origin, short enough to cost little latency.
   */
  readonly fluffProbabilityBps: number;
  /** Epoch length: mode and successors are re-drawn this often. 10 min as in the paper/BIP 156. */
  readonly epochMs: number;
  /**
   * Embargo range: a node holding a stem transaction diffuses it itself if it has not seen it
   * diffused by then (fail-safe against black holes). The minimum must exceed a long stem's
   * latency (~10 hops × ~0.5 s), so honest stems fluff first; the spread keeps the first
   * node to fire from pointing at the origin.
   */
  readonly embargoMsMin: number;
  readonly embargoMsMax: number;
  /** Stem transactions held with a running embargo; beyond it, new ones are diffused at once. */
  readonly stemTxsMax: number;
  /** Hashes remembered as already diffused (so a late stem copy is ignored); oldest forgotten first. */
  readonly fluffedRememberedMax: number;
};

export const defaultDandelionOptions: DandelionOptions = {
  enabled: true,
  fluffProbabilityBps: 1_000,
  epochMs: 10 * 60 * 1_000,
  embargoMsMin: 10_000,
  embargoMsMax: 30_000,
  stemTxsMax: 4_096,
  fluffedRememberedMax: 16_384,
};

export const BPS = 10_000;
/** The paper's 4-regular anonymity graph: two stem successors per node per epoch. */
export const DANDELION_SUCCESSORS = 2;
/** Inbound-edge → successor routes kept per epoch (one per inbound peer that sent a stem). */
export const DANDELION_ROUTES_MAX = 1_024;

export function resolveDandelionOptions(opts: Partial<DandelionOptions> = {}): DandelionOptions {
  const merged: DandelionOptions = { ...defaultDandelionOptions, ...opts };
  const integer = (field: keyof DandelionOptions, min: number, max: number): void => {
    const value = merged[field];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new GhostmeshError("P2P_DANDELION_INVALID_OPTIONS", `dandelion: ${field} must be an integer in [${min}, ${max}]`, { field, value, min, max });
    }
  };
  integer("fluffProbabilityBps", 0, BPS);
  integer("epochMs", 1, 7 * 24 * 3_600_000);
  integer("embargoMsMin", 1, 3_600_000);
  integer("embargoMsMax", merged.embargoMsMin, 3_600_000);
  integer("stemTxsMax", 1, 1_000_000);
  integer("fluffedRememberedMax", 1, 10_000_000);
  return merged;
}
