/**
 * The discrete-event simulator: n real consensus engines on virtual time, one seeded RNG,
 * a network model, Byzantine behaviours and invariant checkers. The only import surface.
 */
export { runSimulation, Simulation } from "./simulation.ts";
export type { SimRunResult } from "./simulation.ts";
export { runSweep, runSeed, percentile, SweepAccumulator, SIM_FAILURES_KEPT_MAX } from "./runner.ts";
export type { SimSummary, SimFailure } from "./runner.ts";
export {
  SimBehavior,
  simBehaviors,
  byzantineRoles,
  defaultSimOptions,
  defaultSimFaultOptions,
  defaultSimNetworkOptions,
  defaultSimTiming,
  checkSimOptions,
  honestPowerOf,
  powerTotalOf,
} from "./options.ts";
export type { SimOptions, SimFaultOptions, SimNetworkOptions, ByzantineRole } from "./options.ts";
export { SimSignatureScheme, createSimKeyring } from "./keys.ts";
export type { SimKey, SimKeyring } from "./keys.ts";
export { ViolationKind } from "./checkers.ts";
export type { Violation } from "./checkers.ts";
export { Rng, PPM } from "./rng.ts";
export { EventQueue } from "./eventQueue.ts";
export { SimApplication, checkSimBlock, executeSimBlock, genesisSimState } from "./app.ts";
export type { SimChainState } from "./app.ts";
export { wireSizeBytes, signatureCount, ML_DSA_65_SIGNATURE_BYTES } from "./wireSize.ts";
