export { GhostmeshClient, ClientError } from "./client.ts";
export { responseSchemas } from "./responses.ts";
export type * from "./client.ts";
export { buildTx, withCosignatures, type TxIntent, type ModuleTx, type ModuleTxIntent, type BuiltTx, type BuildOptions } from "./tx.ts";
export { verifyCheckpoint, verifyInclusionResponse, verifyConsistencyResponse, verifyBlockResponse, verifyStateProofResponse } from "./verify.ts";
export { bodyFromJson, buildUnsignedTx, parseTxFile, signTxFile, signedTxOfFile, txFileOf, TX_FILE_FORMAT, type TxFile } from "./txFile.ts";
export { ValidatorSetWalk, epochBlocksOfGenesis, verifyBlockFromGenesis, verifyCheckpointFromGenesis, verifyNextValidatorSet, type ValidatorSetSource, type VerifiedValidatorSet } from "./validatorSets.ts";
