/** A transaction as Dandelion sees it: an id (hex hash, the map key) and the bytes to forward. */
export type DandelionTx = { readonly hashHex: string; readonly bytes: Uint8Array };

export const DandelionMode = { stem: "stem", fluff: "fluff" } as const;
export type DandelionMode = (typeof DandelionMode)[keyof typeof DandelionMode];

/** What the router asks the node to do: relay on the stem to one peer, or diffuse by gossip. */
export type DandelionAction =
  | { readonly type: "sendStem"; readonly peer: string; readonly tx: DandelionTx }
  | { readonly type: "fluff"; readonly tx: DandelionTx };

/** Injected randomness: a uniform integer in [0, bound). sim's Rng fits; nodes use cryptoRandom. */
export type DandelionRandom = { below(bound: number): number };
export type DandelionClock = { nowMs(): number };

/** Why a transaction was diffused, for statistics. */
export const FluffReason = {
  /** This node is a diffuser this epoch. */
  mode: "mode",
  /** Embargo expired without seeing it diffused (fail-safe). */
  embargo: "embargo",
  /** It came back on the stem to a relayer (a loop); diffusing ends it. */
  loop: "loop",
  /** Stem pool full. */
  overflow: "overflow",
  /** Dandelion is disabled. */
  disabled: "disabled",
} as const;
export type FluffReason = (typeof FluffReason)[keyof typeof FluffReason];

export type DandelionStats = {
  readonly epoch: number;
  readonly mode: DandelionMode;
  readonly successors: readonly string[];
  readonly stemTxsHeld: number;
  readonly stemSent: number;
  readonly fluffed: Readonly<Record<FluffReason, number>>;
};
