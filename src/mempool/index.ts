export { Mempool, verifiedAs, type MempoolModules, type ReapLimits } from "./mempool.ts";
export { RefusalLog, REFUSALS_KEPT_MAX, type Refusal } from "./refusals.ts";
export { defaultMempoolOptions, type MempoolOptions } from "./options.ts";
export { createMempoolMetrics, type MempoolMetrics } from "./metrics.ts";
export type { MempoolAccount, MempoolAccountReader, PendingVerdict, PoolTx, SignatureVerifier, VerifiedKey, VerifiedSignature } from "./types.ts";
