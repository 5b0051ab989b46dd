export { GhostmeshClient, ClientError } from "./client.ts";
export type * from "./client.ts";
export { buildTx, withCosignatures, type TxIntent, type BuiltTx, type BuildOptions } from "./tx.ts";
export { genesisFromStatus, verifyCheckpoint, verifyInclusionResponse, verifyConsistencyResponse, verifyBlockResponse, verifyStateProofResponse } from "./verify.ts";
