export { Mempool, type MempoolModules, type ReapLimits } from "./mempool.ts";
export { defaultMempoolOptions, type MempoolOptions } from "./options.ts";
export { createMempoolMetrics, type MempoolMetrics } from "./metrics.ts";
export type { MempoolAccount, MempoolAccountReader, PoolTx, SignatureVerifier, VerifiedKey, VerifiedSignature } from "./types.ts";
