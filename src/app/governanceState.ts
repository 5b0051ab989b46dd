/**
 * The governance module's records in the state tree (decision 0603):
 *
 *   0x30                     next proposal id (uint; absent: 1)
 *   0x31 || id (8 bytes BE)  the proposal: content, deposit, status, timing, tally (below)
 *   0x32 || id (8 bytes BE)  its votes: [{voter, option}] sorted by voter, one per voter
 *   0x33                     active proposals (status voting or passed): ids, ascending
 *   0x34                     halted transaction types: sorted strings (the circuit breaker)
 *   0x35                     the upgrade plan: {version, activationHeight, proposalId}
 *   0x36 || txHash           the id of the proposal a gov.propose transaction created
 *
 * The active list exists because the state tree has no prefix scan: the end of an epoch reads
 * one sorted list, so every replica tallies and executes the same proposals in the same order.
 * Deposits are escrowed in the balance of GOVERNANCE_ESCROW_ADDRESS; the treasury is the
 * balance of TREASURY_ADDRESS. Both are hashes of a domain tag: no key controls them.
 */
import { decodeWith, encodeCanonical, s, type Infer } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES, HASH_SIZE_BYTES, sha256 } from "../crypto/index.ts";
import { AMOUNT_BYTES_MAX, GOV_VOTE_OPTIONS, govProposeBody, type GovVoteOption, type ProposalContent } from "../ledger/index.ts";
import { assert, compareBytes, concatBytes, utf8 } from "../util/index.ts";
import { decodeAmount, encodeAmount } from "./amount.ts";
import type { BlockState, StateGetter } from "./blockState.ts";

export const NEXT_PROPOSAL_ID_KEY = new Uint8Array([0x30]);
export const ACTIVE_PROPOSALS_KEY = new Uint8Array([0x33]);
export const HALTED_TX_TYPES_KEY = new Uint8Array([0x34]);
export const UPGRADE_PLAN_KEY = new Uint8Array([0x35]);
const PROPOSAL_PREFIX = 0x31;
const VOTES_PREFIX = 0x32;
const PROPOSAL_BY_TX_PREFIX = 0x36;

/** Proposals voting or waiting for their timelock at once; a proposal beyond it is refused. */
export const ACTIVE_PROPOSALS_MAX = 64;
/** Distinct voters on one proposal; bounds the votes record and the tally's reads. */
export const VOTES_PER_PROPOSAL_MAX = 4096;

function moduleAddress(tag: string): Uint8Array {
  return sha256(utf8(tag)).slice(0, ADDRESS_SIZE_BYTES);
}
/** Spent from by treasury-spend proposals; genesis may allocate to it, anyone may send to it. */
export const TREASURY_ADDRESS = moduleAddress("ghostmesh/governance/treasury");
/** Holds the deposits of proposals not yet tallied. */
export const GOVERNANCE_ESCROW_ADDRESS = moduleAddress("ghostmesh/governance/escrow");

const idBytes = (id: number): Uint8Array => {
  assert(Number.isSafeInteger(id) && id >= 1, "governance: proposal ids are positive integers");
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(id));
  return bytes;
};
export const proposalKey = (id: number) => concatBytes([new Uint8Array([PROPOSAL_PREFIX]), idBytes(id)]);
export const votesKey = (id: number) => concatBytes([new Uint8Array([VOTES_PREFIX]), idBytes(id)]);
export const proposalByTxKey = (txHash: Uint8Array) => concatBytes([new Uint8Array([PROPOSAL_BY_TX_PREFIX]), txHash]);

export const PROPOSAL_STATUSES = ["voting", "passed", "rejected", "vetoed", "executed", "failed"] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

const address = s.bytes({ size: ADDRESS_SIZE_BYTES });
const amountBytes = s.bytes({ maxSize: AMOUNT_BYTES_MAX });
const tallySchema = s.object({ yes: amountBytes, no: amountBytes, abstain: amountBytes, veto: amountBytes, totalPower: amountBytes });
const proposalSchema = s.object({
  id: s.uint({ min: 1 }),
  proposer: address,
  txHash: s.bytes({ size: HASH_SIZE_BYTES }),
  title: govProposeBody.shape.title,
  description: govProposeBody.shape.description,
  deposit: amountBytes,
  content: govProposeBody.shape.content,
  submitHeight: s.uint(),
  votingEndsEpoch: s.uint(),
  status: s.oneOf(PROPOSAL_STATUSES),
  /** Set when the proposal passes: the epoch at whose last block it executes. */
  executeEpoch: s.optional(s.uint()),
  /** Set when tallied (or executed by the emergency fast path). */
  tally: s.optional(tallySchema),
  /** The height that executed it (executed or failed). */
  executedHeight: s.optional(s.uint()),
  /** Why it failed, or how it was decided. */
  reason: s.optional(s.string({ maxLength: 512 })),
  /** An executed emergency rollback: how many keys it set back or deleted. */
  rollbackKeysRestored: s.optional(s.uint()),
});
const votesSchema = s.array(s.object({ voter: address, option: s.oneOf(GOV_VOTE_OPTIONS) }), { maxLength: VOTES_PER_PROPOSAL_MAX });
const idListSchema = s.array(s.uint({ min: 1 }), { maxLength: ACTIVE_PROPOSALS_MAX });
const haltedSchema = s.array(s.string({ minLength: 1, maxLength: 32 }), { maxLength: 64 });
const upgradePlanSchema = s.object({ version: s.string({ minLength: 1, maxLength: 64 }), activationHeight: s.uint({ min: 1 }), proposalId: s.uint({ min: 1 }) });

export type Tally = { readonly yes: bigint; readonly no: bigint; readonly abstain: bigint; readonly veto: bigint; readonly totalPower: bigint };
export type Proposal = {
  readonly id: number;
  readonly proposer: Uint8Array;
  readonly txHash: Uint8Array;
  readonly title: string;
  readonly description?: string;
  readonly deposit: bigint;
  readonly content: ProposalContent;
  readonly submitHeight: number;
  readonly votingEndsEpoch: number;
  readonly status: ProposalStatus;
  readonly executeEpoch?: number;
  readonly tally?: Tally;
  readonly executedHeight?: number;
  readonly reason?: string;
  readonly rollbackKeysRestored?: number;
};
export type Vote = { readonly voter: Uint8Array; readonly option: GovVoteOption };
export type UpgradePlan = Infer<typeof upgradePlanSchema>;

const amountOf = (raw: Uint8Array): bigint => (raw.length === 0 ? 0n : decodeAmount(raw));

export function readNextProposalId(get: StateGetter): number {
  const bytes = get(NEXT_PROPOSAL_ID_KEY);
  return bytes === undefined ? 1 : decodeWith(s.uint({ min: 1 }), bytes, "next proposal id");
}

export function writeNextProposalId(state: BlockState, id: number): void {
  state.set(NEXT_PROPOSAL_ID_KEY, encodeCanonical(id));
}

export function readProposal(get: StateGetter, id: number): Proposal | undefined {
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const bytes = get(proposalKey(id));
  if (bytes === undefined) return undefined;
  const record = decodeWith(proposalSchema, bytes, "proposal");
  assert(record.id === id, "readProposal: the record is the proposal its key names");
  const { tally, deposit, ...rest } = record;
  return {
    ...rest,
    deposit: amountOf(deposit),
    ...(tally === undefined
      ? {}
      : { tally: { yes: amountOf(tally.yes), no: amountOf(tally.no), abstain: amountOf(tally.abstain), veto: amountOf(tally.veto), totalPower: amountOf(tally.totalPower) } }),
  };
}

export function writeProposal(state: BlockState, proposal: Proposal): void {
  const { tally, deposit, ...rest } = proposal;
  const record = {
    ...rest,
    deposit: encodeAmount(deposit),
    ...(tally === undefined
      ? {}
      : { tally: { yes: encodeAmount(tally.yes), no: encodeAmount(tally.no), abstain: encodeAmount(tally.abstain), veto: encodeAmount(tally.veto), totalPower: encodeAmount(tally.totalPower) } }),
  };
  // Checked before writing: a record the reader would refuse must never reach the state tree.
  proposalSchema.parse(record, "proposal");
  state.set(proposalKey(proposal.id), encodeCanonical(record));
}

export function readVotes(get: StateGetter, id: number): Vote[] {
  const bytes = get(votesKey(id));
  return bytes === undefined ? [] : decodeWith(votesSchema, bytes, "votes");
}

/** Writes the votes sorted by voter (the caller keeps one vote per voter). */
export function writeVotes(state: BlockState, id: number, votes: readonly Vote[]): void {
  const sorted = [...votes].sort((a, b) => compareBytes(a.voter, b.voter));
  assert(sorted.length <= VOTES_PER_PROPOSAL_MAX, "writeVotes: within the bound");
  state.set(votesKey(id), encodeCanonical(sorted.map((v) => ({ voter: v.voter, option: v.option }))));
}

export function readActiveProposalIds(get: StateGetter): number[] {
  const bytes = get(ACTIVE_PROPOSALS_KEY);
  return bytes === undefined ? [] : decodeWith(idListSchema, bytes, "active proposals");
}

export function writeActiveProposalIds(state: BlockState, ids: readonly number[]): void {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  assert(sorted.length <= ACTIVE_PROPOSALS_MAX, "writeActiveProposalIds: within the bound");
  state.set(ACTIVE_PROPOSALS_KEY, encodeCanonical(sorted));
}

export function readHaltedTxTypes(get: StateGetter): string[] {
  const bytes = get(HALTED_TX_TYPES_KEY);
  return bytes === undefined ? [] : decodeWith(haltedSchema, bytes, "halted tx types");
}

export function writeHaltedTxTypes(state: BlockState, types: readonly string[]): void {
  state.set(HALTED_TX_TYPES_KEY, encodeCanonical([...new Set(types)].sort()));
}

export function readUpgradePlan(get: StateGetter): UpgradePlan | undefined {
  const bytes = get(UPGRADE_PLAN_KEY);
  return bytes === undefined ? undefined : decodeWith(upgradePlanSchema, bytes, "upgrade plan");
}

export function writeUpgradePlan(state: BlockState, plan: UpgradePlan): void {
  state.set(UPGRADE_PLAN_KEY, encodeCanonical({ version: plan.version, activationHeight: plan.activationHeight, proposalId: plan.proposalId }));
}

export function readProposalIdByTx(get: StateGetter, txHash: Uint8Array): number | undefined {
  const bytes = get(proposalByTxKey(txHash));
  return bytes === undefined ? undefined : decodeWith(s.uint({ min: 1 }), bytes, "proposal by tx");
}

export function writeProposalIdByTx(state: BlockState, txHash: Uint8Array, id: number): void {
  state.set(proposalByTxKey(txHash), encodeCanonical(id));
}
