export type { Account, AccountReader, AccountWrite, BlockExecution, ExecutedTx, ModuleRejection, TxRejection } from "./types.ts";
export { executeBlock, entriesOfTx, entryAction, type BlockExecutionInput, type ExecutionTx } from "./execute.ts";
export { accountKey, accountNonceKey, accountStateWrites, createAccountReader, isAccountStateKey } from "./accounts.ts";
export { genesisStateWrites } from "./genesis.ts";
export { AMOUNT_MAX, encodeAmount, decodeAmount, parseDecimalAmount } from "./amount.ts";
export { balanceKey, readBalance, readTotalSupply, TOTAL_SUPPLY_KEY } from "./balances.ts";
export { rolesKey, policyKey, readRoles, readPolicy, readPolicies, operationOf, type Policy } from "./roles.ts";
