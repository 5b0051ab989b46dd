/** Dandelion++ stem routing for transaction origin privacy: the only import surface of p2p/dandelion. */
export { DandelionRouter, createDandelionRouter } from "./router.ts";
export type { DandelionModules } from "./router.ts";
export { defaultDandelionOptions, resolveDandelionOptions, BPS, DANDELION_SUCCESSORS, DANDELION_ROUTES_MAX } from "./options.ts";
export type { DandelionOptions } from "./options.ts";
export { DandelionMode, FluffReason } from "./types.ts";
export type { DandelionTx, DandelionAction, DandelionRandom, DandelionClock, DandelionStats } from "./types.ts";
export { cryptoRandom } from "./random.ts";
