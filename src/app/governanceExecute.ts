/**
 * Executing a passed proposal (decision 0603). Execution runs at the end of a block (or in
 * the emergency fast path's vote), after the block's transactions: a parameter change is
 * read by every block after the executing one, never by the executing block itself.
 * Execution cannot be refused; what can no longer be done (an empty treasury, an upgrade
 * height already reached) ends as status "failed" with the reason.
 */
import { decodeAmount } from "./amount.ts";
import { balanceKey, encodeAmountValue, readBalance } from "./balances.ts";
import type { BlockState } from "./blockState.ts";
import type { TxContext } from "./context.ts";
import {
  readHaltedTxTypes,
  TREASURY_ADDRESS,
  writeHaltedTxTypes,
  writeUpgradePlan,
  type Proposal,
} from "./governanceState.ts";
import { executeRollback } from "./governanceRollback.ts";
import { encodeModuleParams, paramProblem, paramsKey, readModuleParams, type ParamModule } from "./params.ts";
import { applyValidatorSetChange } from "./staking.ts";

type Result = { readonly ok: true; readonly keysRestored?: number } | { readonly ok: false; readonly reason: string };
const ok: Result = { ok: true };
const failed = (reason: string): Result => ({ ok: false, reason });

function executeParamChange(state: BlockState, changes: readonly { module: string; param: string; value: number }[]): Result {
  // All changes are checked before any is written, so a proposal changes all of its parameters or none.
  for (const change of changes) {
    const problem = paramProblem(change.module, change.param, change.value, true);
    if (problem) return failed(problem);
  }
  const modules = [...new Set(changes.map((c) => c.module))].sort() as ParamModule[];
  const get = (key: Uint8Array) => state.get(key);
  for (const module of modules) {
    const values: Record<string, number> = { ...readModuleParams(get, module) };
    for (const change of changes) if (change.module === module) values[change.param] = change.value;
    state.set(paramsKey(module), encodeModuleParams(values));
  }
  return ok;
}

function executeTreasurySpend(state: BlockState, to: Uint8Array, amountBytes: Uint8Array): Result {
  const amount = decodeAmount(amountBytes);
  const get = (key: Uint8Array) => state.get(key);
  const treasury = readBalance(get, TREASURY_ADDRESS);
  if (treasury < amount) return failed(`the treasury holds ${treasury}, cannot spend ${amount}`);
  state.set(balanceKey(TREASURY_ADDRESS), encodeAmountValue(treasury - amount));
  state.set(balanceKey(to), encodeAmountValue(readBalance(get, to) + amount));
  return ok;
}

function executeHaltOrResume(state: BlockState, action: "halt" | "resume", txTypes: readonly string[]): Result {
  const halted = readHaltedTxTypes((key) => state.get(key));
  const next = action === "halt" ? [...halted, ...txTypes] : halted.filter((t) => !txTypes.includes(t));
  writeHaltedTxTypes(state, next);
  return ok;
}

function executeContent(state: BlockState, proposal: Proposal, ctx: TxContext): Result {
  const content = proposal.content;
  switch (content.type) {
    case "param-change":
      return executeParamChange(state, content.changes);
    case "upgrade":
      if (content.activationHeight <= ctx.height) return failed(`activation height ${content.activationHeight} was reached before execution at ${ctx.height}`);
      writeUpgradePlan(state, { version: content.version, activationHeight: content.activationHeight, proposalId: proposal.id });
      return ok;
    case "validator-set": {
      const refused = applyValidatorSetChange(state, content.changes, ctx.getAccount);
      return refused ? failed(`${refused.code}: ${refused.message}`) : ok;
    }
    case "treasury-spend":
      return executeTreasurySpend(state, content.to, content.amount);
    case "emergency":
      if (content.action === "rollback") {
        // The height was checked when proposed: 1 <= height < submitHeight <= ctx.height.
        return content.height === undefined ? failed("rollback without a height") : executeRollback(state, proposal, content.height);
      }
      if (content.txTypes === undefined) return failed(`emergency ${content.action} without txTypes`);
      return executeHaltOrResume(state, content.action, content.txTypes);
    case "text":
      return ok;
  }
}

/** Executes `proposal` at `ctx.height`; returns the record with its final status. */
export function executeProposal(state: BlockState, proposal: Proposal, ctx: TxContext): Proposal {
  const result = executeContent(state, proposal, ctx);
  const reason = result.ok ? proposal.reason : `execution failed: ${result.reason}`.slice(0, 512);
  const restored = result.ok && result.keysRestored !== undefined ? { rollbackKeysRestored: result.keysRestored } : {};
  return { ...proposal, status: result.ok ? "executed" : "failed", executedHeight: ctx.height, ...(reason === undefined ? {} : { reason }), ...restored };
}

