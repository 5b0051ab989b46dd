export type { Account, AccountReader, AccountWrite, BlockExecution, ExecutedTx, ModuleRejection, StateHistory, TxRejection } from "./types.ts";
export { stateStoreHistory } from "./stateHistory.ts";
export { blockContext, type BlockContext, type TxContext, type EndBlockContext } from "./context.ts";
export { executeBlock, entriesOfTx, entryAction, type BlockExecutionInput, type ExecutionTx } from "./execute.ts";
export { accountKey, accountNonceKey, accountStateWrites, createAccountReader, isAccountStateKey } from "./accounts.ts";
export { genesisStateWrites } from "./genesis.ts";
export { PARAM_SPECS, PARAM_MODULES, epochOf, paramProblem, paramsKey, readAllParams, readModuleParams, type AllParams, type ParamModule } from "./params.ts";
export { CANDIDATES_KEY, delegatorIndexKey, readAddressList, readDelegation, readMissed, readUnbonding, readValidatorRecord } from "./stakingState.ts";
export type { ValidatorSetEntry } from "./stakingState.ts";
export { readChainMode, readValidatorSet, readVotingPower, readTotalVotingPower, readTotalBonded, TOTAL_BONDED_KEY, VALIDATOR_SET_KEY } from "./stakingState.ts";
export { AMOUNT_MAX, encodeAmount, decodeAmount, parseDecimalAmount } from "./amount.ts";
export { balanceKey, readBalance, readTotalSupply, TOTAL_SUPPLY_KEY } from "./balances.ts";
export { rolesKey, policyKey, readRoles, readPolicy, readPolicies, operationOf, type Policy } from "./roles.ts";
export { GREEN_KEY, readEnvironment, readCheckpoints, readMerges, readGreen, readGreenCount, readGreenHistory, ENV_RECORDS_MAX, type Environment, type EnvCheckpoint, type EnvMerge, type GreenRecord } from "./environmentState.ts";
export {
  TREASURY_ADDRESS,
  GOVERNANCE_ESCROW_ADDRESS,
  HALTABLE_TX_TYPES,
  PROPOSAL_STATUSES,
  decide,
  readHaltedTxTypes,
  readNextProposalId,
  readProposal,
  readProposalIdByTx,
  readUpgradePlan,
  type UpgradePlan,
  readVotes,
  tallyVotes,
  type Proposal,
  type ProposalStatus,
  type Tally,
} from "./governance.ts";
export { CONSENSUS_POWER_TOTAL_MAX, consensusPowers, endsEpoch, epochBlocksOf, validatorSetFromState, type ValidatorSetReader } from "./consensusSet.ts";
