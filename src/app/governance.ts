/**
 * On-chain governance (decision 0603): proposals with a deposit, stake-weighted votes, tallies
 * at the end of the voting period, a timelock, then automatic execution; and the emergency
 * circuit breaker, which halts transaction types and has a validator-supermajority fast path.
 *
 * Timing, with E the epoch of the block that carries gov.propose and N = votingPeriodEpochs:
 * - votes are accepted until the last block of epoch E + N (inclusive), the rest of epoch E
 *   plus N whole epochs; the tally runs at the end of that last block, after its transactions;
 * - a passed proposal executes at the end of the last block of epoch T + timelockEpochs
 *   (T = the tally epoch), so with timelock 0 in the tally block itself; what it changes is
 *   seen by the blocks after the executing block.
 * State layout: governanceState.ts. Content checks: governanceContent.ts.
 */
import type { Tx, TxType } from "../ledger/index.ts";
import { assert, compareBytes, toHex } from "../util/index.ts";
import { decodeAmount } from "./amount.ts";
import { balanceKey, encodeAmountValue, readBalance, readTotalSupply, TOTAL_SUPPLY_KEY } from "./balances.ts";
import type { BlockState, StateGetter } from "./blockState.ts";
import type { EndBlockContext, TxContext } from "./context.ts";
import { contentProblem } from "./governanceContent.ts";
import { executeProposal } from "./governanceExecute.ts";
import {
  ACTIVE_PROPOSALS_MAX,
  GOVERNANCE_ESCROW_ADDRESS,
  VOTES_PER_PROPOSAL_MAX,
  readActiveProposalIds,
  readHaltedTxTypes,
  readNextProposalId,
  readProposal,
  readVotes,
  writeActiveProposalIds,
  writeNextProposalId,
  writeProposal,
  writeProposalIdByTx,
  writeVotes,
  type Proposal,
} from "./governanceState.ts";
import { decide, emergencySupermajority, tallyVotes } from "./governanceTally.ts";
import { readModuleParams, type ModuleParams } from "./params.ts";
import { readVotingPower } from "./stakingState.ts";
import type { ModuleRejection } from "./types.ts";

export type GovernanceTx = Extract<Tx, { type: "gov.propose" | "gov.vote" }>;
type ProposeTx = Extract<Tx, { type: "gov.propose" }>;
type VoteTx = Extract<Tx, { type: "gov.vote" }>;

const refuse = (code: string, message: string): ModuleRejection => ({ code, message });
const getterOf = (state: BlockState): StateGetter => (key) => state.get(key);

export function applyGovernanceTx(state: BlockState, tx: GovernanceTx, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  return tx.type === "gov.propose" ? applyPropose(state, tx, txHash, ctx) : applyVote(state, tx, ctx);
}

function applyPropose(state: BlockState, tx: ProposeTx, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const get = getterOf(state);
  const params = readModuleParams(get, "governance");
  const deposit = decodeAmount(tx.body.deposit);
  if (deposit < BigInt(params.minDeposit)) return refuse("APP_DEPOSIT_TOO_LOW", `deposit ${deposit} is below governance.minDeposit ${params.minDeposit}`);
  const problem = contentProblem(get, tx.body.content, ctx, tx.from);
  if (problem) return problem;
  const active = readActiveProposalIds(get);
  if (active.length >= ACTIVE_PROPOSALS_MAX) {
    return refuse("APP_TOO_MANY_PROPOSALS", `${ACTIVE_PROPOSALS_MAX} proposals are voting or waiting for execution; propose again after one of them ends`);
  }
  const balance = readBalance(get, tx.from);
  if (balance < deposit) return refuse("APP_INSUFFICIENT_BALANCE", `account ${toHex(tx.from)} holds ${balance}, cannot deposit ${deposit}`);
  moveBalance(state, tx.from, GOVERNANCE_ESCROW_ADDRESS, deposit);
  const id = readNextProposalId(get);
  writeNextProposalId(state, id + 1);
  const { title, description, content } = tx.body;
  writeProposal(state, {
    id,
    proposer: tx.from,
    txHash,
    title,
    ...(description === undefined ? {} : { description }),
    deposit,
    content,
    submitHeight: ctx.height,
    votingEndsEpoch: ctx.epoch + params.votingPeriodEpochs,
    status: "voting",
  });
  writeActiveProposalIds(state, [...active, id]);
  writeProposalIdByTx(state, txHash, id);
  return undefined;
}

function applyVote(state: BlockState, tx: VoteTx, ctx: TxContext): ModuleRejection | undefined {
  const get = getterOf(state);
  const { proposalId, option } = tx.body;
  const proposal = readProposal(get, proposalId);
  if (proposal === undefined) return refuse("APP_PROPOSAL_NOT_FOUND", `no proposal ${proposalId}`);
  if (proposal.status !== "voting" || ctx.epoch > proposal.votingEndsEpoch) {
    return refuse("APP_PROPOSAL_NOT_VOTING", `proposal ${proposalId} is ${proposal.status}; votes are accepted while it is voting`);
  }
  if (readVotingPower(get, tx.from) === 0n) return refuse("APP_NO_VOTING_POWER", `account ${toHex(tx.from)} has no voting power (no bonded stake, not a PoA validator)`);
  const votes = readVotes(get, proposalId);
  const others = votes.filter((v) => compareBytes(v.voter, tx.from) !== 0);
  if (others.length === votes.length && votes.length >= VOTES_PER_PROPOSAL_MAX) {
    return refuse("APP_TOO_MANY_VOTES", `proposal ${proposalId} already has ${VOTES_PER_PROPOSAL_MAX} voters`);
  }
  // A later vote replaces the voter's earlier one.
  const next = [...others, { voter: tx.from, option }];
  writeVotes(state, proposalId, next);
  if (proposal.content.type === "emergency" && option === "yes") tryEmergencyFastPath(state, proposal, next, ctx);
  return undefined;
}

/** Executes an emergency proposal at once when the validator set's yes power reaches the threshold. */
function tryEmergencyFastPath(state: BlockState, proposal: Proposal, votes: Parameters<typeof tallyVotes>[1], ctx: TxContext): void {
  const get = getterOf(state);
  const params = readModuleParams(get, "governance");
  const { yesPower, setPower, reached } = emergencySupermajority(get, votes, params.emergencyThresholdBps);
  if (!reached) return;
  moveBalance(state, GOVERNANCE_ESCROW_ADDRESS, proposal.proposer, proposal.deposit);
  const passed: Proposal = {
    ...proposal,
    status: "passed",
    tally: tallyVotes(get, votes),
    executeEpoch: ctx.epoch,
    reason: `emergency fast path: validators with ${yesPower} of ${setPower} power voted yes (${params.emergencyThresholdBps} bps needed)`,
  };
  writeProposal(state, executeProposal(state, passed, ctx));
  writeActiveProposalIds(state, readActiveProposalIds(get).filter((id) => id !== proposal.id));
}

/**
 * At the last block of an epoch: tally the proposals whose voting ends in it, then execute
 * the passed ones whose timelock ends in it, both in id order. Tallies come first so that no
 * execution of this block changes the weights of another proposal's tally.
 */
export function governanceEndBlock(state: BlockState, ctx: EndBlockContext): void {
  if (!ctx.epochEnds) return;
  const get = getterOf(state);
  const active = readActiveProposalIds(get);
  if (active.length === 0) return;
  const params = readModuleParams(get, "governance");
  const proposals = active.map((id) => {
    const proposal = readProposal(get, id);
    assert(proposal !== undefined && (proposal.status === "voting" || proposal.status === "passed"), "governanceEndBlock: an active proposal exists and is open");
    return proposal;
  });
  const tallied = proposals.map((p) => (p.status === "voting" && p.votingEndsEpoch <= ctx.epoch ? tallyProposal(state, p, params, ctx) : p));
  const remaining: number[] = [];
  for (const [index, proposal] of tallied.entries()) {
    const due = proposal.status === "passed" && proposal.executeEpoch !== undefined && proposal.executeEpoch <= ctx.epoch;
    const final = due ? executeProposal(state, proposal, ctx) : proposal;
    // Only records this block tallied or executed are rewritten.
    if (final !== proposals[index]) writeProposal(state, final);
    if (final.status === "voting" || final.status === "passed") remaining.push(final.id);
  }
  if (remaining.length !== active.length) writeActiveProposalIds(state, remaining);
}

/** Counts the votes and settles the deposit: burned if vetoed, refunded otherwise. */
function tallyProposal(state: BlockState, proposal: Proposal, params: ModuleParams<"governance">, ctx: TxContext): Proposal {
  const get = getterOf(state);
  const tally = tallyVotes(get, readVotes(get, proposal.id));
  const outcome = decide(tally, params);
  if (outcome.status === "vetoed") burnEscrowed(state, proposal.deposit);
  else moveBalance(state, GOVERNANCE_ESCROW_ADDRESS, proposal.proposer, proposal.deposit);
  return {
    ...proposal,
    status: outcome.status,
    tally,
    reason: outcome.reason,
    ...(outcome.status === "passed" ? { executeEpoch: ctx.epoch + params.timelockEpochs } : {}),
  };
}

function moveBalance(state: BlockState, from: Uint8Array, to: Uint8Array, amount: bigint): void {
  const get = getterOf(state);
  const fromBalance = readBalance(get, from);
  assert(fromBalance >= amount, "governance: the balance covers the amount moved (checked, or escrowed)");
  state.set(balanceKey(from), encodeAmountValue(fromBalance - amount));
  state.set(balanceKey(to), encodeAmountValue(readBalance(get, to) + amount));
}

/** A vetoed proposal's deposit leaves the escrow and the total supply. */
function burnEscrowed(state: BlockState, amount: bigint): void {
  const get = getterOf(state);
  const escrow = readBalance(get, GOVERNANCE_ESCROW_ADDRESS);
  const supply = readTotalSupply(get);
  assert(escrow >= amount && supply >= amount, "governance: a burned deposit is escrowed and counted in the supply");
  state.set(balanceKey(GOVERNANCE_ESCROW_ADDRESS), encodeAmountValue(escrow - amount));
  state.set(TOTAL_SUPPLY_KEY, encodeAmountValue(supply - amount));
}

/** The circuit breaker: refuses a transaction type an executed emergency halt stopped. */
export function haltedTxTypeProblem(get: StateGetter, txType: TxType): ModuleRejection | undefined {
  if (!readHaltedTxTypes(get).includes(txType)) return undefined;
  return refuse("APP_TX_TYPE_HALTED", `${txType} transactions are halted by an emergency governance action; a resume proposal lifts the halt`);
}

// The module's read surface, for app/index.ts, the API and the CLI.
export {
  GOVERNANCE_ESCROW_ADDRESS,
  PROPOSAL_STATUSES,
  TREASURY_ADDRESS,
  readActiveProposalIds,
  readHaltedTxTypes,
  readNextProposalId,
  readProposal,
  readProposalIdByTx,
  readUpgradePlan,
  readVotes,
  type Proposal,
  type ProposalStatus,
  type Tally,
  type UpgradePlan,
  type Vote,
} from "./governanceState.ts";
export { HALTABLE_TX_TYPES, isHaltableTxType } from "./governanceContent.ts";
export { decide, tallyVotes } from "./governanceTally.ts";
