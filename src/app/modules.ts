/**
 * Dispatch of the application modules' transaction types. Accounts and the audit log are
 * handled by execute.ts itself; these types also write module state.
 */
import type { Tx } from "../ledger/index.ts";
import { applyTransfer } from "./balances.ts";
import type { BlockState } from "./blockState.ts";
import type { TxContext } from "./context.ts";
import { applyEnvironmentTx } from "./environments.ts";
import { applyGovernanceTx, haltedTxTypeProblem } from "./governance.ts";
import { applyRolesTx } from "./roles.ts";
import { applyStakingTx } from "./staking.ts";
import type { ModuleRejection } from "./types.ts";

/** Applies the module part of `tx` (hash `txHash`) to `state` (staged), or says why it is refused. */
export function applyModuleTx(state: BlockState, tx: Tx, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  // The emergency circuit breaker (governance) halts transaction types; account.register never reaches here.
  const halted = haltedTxTypeProblem((key) => state.get(key), tx.type);
  if (halted) return halted;
  switch (tx.type) {
    case "token.transfer":
      return applyTransfer(state, tx);
    case "roles.grant":
    case "roles.revoke":
    case "roles.setPolicy":
      return applyRolesTx(state, tx, ctx);
    case "staking.bond":
    case "staking.delegate":
    case "staking.unbond":
    case "staking.unjail":
      return applyStakingTx(state, tx, ctx);
    case "gov.propose":
    case "gov.vote":
      return applyGovernanceTx(state, tx, txHash, ctx);
    case "env.create":
    case "env.update":
    case "env.promote":
    case "env.checkpoint":
    case "env.merge":
      return applyEnvironmentTx(state, tx, txHash, ctx);
    case "account.register":
    case "audit.append":
    case "audit.batch":
      return undefined;
  }
}
