/**
 * Dispatch of the application modules' transaction types (balances, roles). Accounts and the
 * audit log are handled by execute.ts itself; these types also write module state.
 */
import type { Tx } from "../ledger/index.ts";
import { applyTransfer } from "./balances.ts";
import type { BlockState } from "./blockState.ts";
import type { AuthorityContext } from "./multisig.ts";
import { applyRolesTx } from "./roles.ts";
import type { ModuleRejection } from "./types.ts";

/** Applies the module part of `tx` to `state` (staged), or says why it is refused. */
export function applyModuleTx(state: BlockState, tx: Tx, authority: AuthorityContext): ModuleRejection | undefined {
  switch (tx.type) {
    case "token.transfer":
      return applyTransfer(state, tx);
    case "roles.grant":
    case "roles.revoke":
    case "roles.setPolicy":
      return applyRolesTx(state, tx, authority);
    case "account.register":
    case "audit.append":
    case "audit.batch":
      return undefined;
  }
}
