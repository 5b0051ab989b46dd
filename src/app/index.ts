export type { Account, AccountReader, AccountWrite, BlockExecution, ExecutedTx, TxRejection } from "./types.ts";
export { executeBlock, entriesOfTx, entryAction, nextStateRoot, type BlockExecutionInput, type ExecutionTx } from "./execute.ts";
export { accountKey, accountStateWrites, decodeAccount, createAccountReader } from "./accounts.ts";
