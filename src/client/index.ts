export { GhostmeshClient, ClientError } from "./client.ts";
export type * from "./client.ts";
export { buildTx, type TxIntent, type BuiltTx } from "./tx.ts";
export { genesisFromStatus, verifyCheckpoint, verifyInclusionResponse, verifyConsistencyResponse, verifyBlockResponse, verifyStateProofResponse } from "./verify.ts";
