/**
 * What a proposal may ask for, checked when it is proposed (decision 0603), so a proposal
 * that could never execute never collects votes or a deposit.
 */
import { TX_TYPES, type ProposalContent } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import { decodeAmount } from "./amount.ts";
import type { StateGetter } from "./blockState.ts";
import type { TxContext } from "./context.ts";
import { paramProblem } from "./params.ts";
import { readRoles } from "./roles.ts";
import { readChainMode } from "./stakingState.ts";
import type { ModuleRejection } from "./types.ts";

/**
 * Transaction types the circuit breaker can halt: every type a module applies, except
 * governance's own (halting gov.vote would leave no way to resume) and account.register
 * (handled before modules, so a halt could not take effect).
 */
export function isHaltableTxType(txType: string): boolean {
  return (TX_TYPES as readonly string[]).includes(txType) && !txType.startsWith("gov.") && txType !== "account.register";
}

export const HALTABLE_TX_TYPES: readonly string[] = TX_TYPES.filter((t) => isHaltableTxType(t));

const refuse = (code: string, message: string): ModuleRejection => ({ code, message });

function paramChangeProblem(content: Extract<ProposalContent, { type: "param-change" }>): ModuleRejection | undefined {
  const seen = new Set<string>();
  for (const change of content.changes) {
    const name = `${change.module}.${change.param}`;
    const problem = paramProblem(change.module, change.param, change.value, true);
    if (problem) return refuse("APP_PARAM_INVALID", problem);
    if (seen.has(name)) return refuse("APP_PROPOSAL_INVALID", `param-change names ${name} twice`);
    seen.add(name);
  }
  return undefined;
}

function emergencyProblem(get: StateGetter, content: Extract<ProposalContent, { type: "emergency" }>, ctx: TxContext, proposer: Uint8Array): ModuleRejection | undefined {
  if (content.action === "rollback") {
    if (content.txTypes !== undefined) return refuse("APP_PROPOSAL_INVALID", "emergency rollback takes a height, not txTypes");
    if (content.height === undefined || content.height < 1 || content.height >= ctx.height) {
      return refuse("APP_PROPOSAL_INVALID", `rollback needs a height in [1, ${ctx.height - 1}]`);
    }
    // Only holders of emergency_rollback may put a state restore to the vote (governanceRollback.ts).
    if (!readRoles(get, proposer).includes("emergency_rollback")) {
      return refuse("APP_MISSING_ROLE", `gov.propose: a rollback proposer must hold the emergency_rollback role; ${toHex(proposer)} does not`);
    }
    return undefined;
  }
  if (content.height !== undefined) return refuse("APP_PROPOSAL_INVALID", `emergency ${content.action} takes txTypes, not a height`);
  if (content.txTypes === undefined) return refuse("APP_PROPOSAL_INVALID", `emergency ${content.action} needs txTypes: the transaction types to ${content.action}`);
  const seen = new Set<string>();
  for (const txType of content.txTypes) {
    if (!isHaltableTxType(txType)) {
      return refuse("APP_PROPOSAL_INVALID", `"${txType}" cannot be halted or resumed; haltable types are ${HALTABLE_TX_TYPES.join(", ")}`);
    }
    if (seen.has(txType)) return refuse("APP_PROPOSAL_INVALID", `txTypes names ${txType} twice`);
    seen.add(txType);
  }
  return undefined;
}

/** Why `proposer` cannot propose `content` at `ctx.height`, or undefined. */
export function contentProblem(get: StateGetter, content: ProposalContent, ctx: TxContext, proposer: Uint8Array): ModuleRejection | undefined {
  switch (content.type) {
    case "param-change":
      return paramChangeProblem(content);
    case "upgrade":
      if (content.activationHeight <= ctx.height) {
        return refuse("APP_UPGRADE_HEIGHT_PASSED", `upgrade activationHeight ${content.activationHeight} must be above the current height ${ctx.height}`);
      }
      return undefined;
    case "validator-set": {
      if (readChainMode(get) !== "poa") {
        return refuse("APP_VALIDATOR_SET_POA_ONLY", "validator-set proposals exist on PoA chains only; on PoS the validator set follows stake");
      }
      const seen = new Set<string>();
      for (const change of content.changes) {
        const hex = toHex(change.address);
        if (seen.has(hex)) return refuse("APP_PROPOSAL_INVALID", `validator-set names ${hex} twice`);
        seen.add(hex);
      }
      return undefined;
    }
    case "treasury-spend":
      // The wire schema allows the empty string (zero); a spend of nothing is not a proposal.
      if (decodeAmount(content.amount) < 1n) return refuse("APP_PROPOSAL_INVALID", "treasury-spend amount must be at least 1");
      return undefined;
    case "emergency":
      return emergencyProblem(get, content, ctx, proposer);
    case "text":
      return undefined;
  }
}
