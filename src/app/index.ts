export type { Account, AccountReader, AccountWrite, BlockExecution, ExecutedTx, TxRejection } from "./types.ts";
export { executeBlock, entriesOfTx, entryAction, type BlockExecutionInput, type ExecutionTx } from "./execute.ts";
export { accountKey, accountNonceKey, accountStateWrites, createAccountReader } from "./accounts.ts";
