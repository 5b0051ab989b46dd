/**
 * Wire schemas of the staking, governance and environment transactions (decision 0601). The
 * body types are inferred from the schemas, so the one definition is the one decoders enforce.
 * Amounts are minimal big-endian byte strings like token.transfer's (decision 0600).
 */
import { s, type Infer } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES, HASH_SIZE_BYTES } from "../crypto/index.ts";
import { COSIGNATURES_MAX, SIGNATURE_BYTES_MAX, AMOUNT_BYTES_MAX } from "./limits.ts";

const address = s.bytes({ size: ADDRESS_SIZE_BYTES });
const hash32 = s.bytes({ size: HASH_SIZE_BYTES });
const amount = s.bytes({ minSize: 1, maxSize: AMOUNT_BYTES_MAX });
const cosignatures = s.optional(
  s.array(s.object({ address, sig: s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX }) }), { minLength: 1, maxLength: COSIGNATURES_MAX }),
);

/** Module and parameter names: lowercase identifiers, e.g. "staking" / "rewardRateBps". */
export const PARAM_NAME_PATTERN = /^[a-z][A-Za-z0-9]{0,47}$/;
const paramName = s.string({ minLength: 1, maxLength: 48, pattern: PARAM_NAME_PATTERN, patternDescription: "a letter, then letters and digits" });

// ---- staking ------------------------------------------------------------------------------

/** Self-bond: the sender becomes (or stays) a validator candidate with its account key. */
export const stakingBondBody = s.object({ amount });
export const stakingDelegateBody = s.object({ validator: address, amount });
/** Starts unbonding `amount` of the sender's delegation to `validator` (a self-bond: validator = sender). */
export const stakingUnbondBody = s.object({ validator: address, amount });
export const stakingUnjailBody = s.object({});

// ---- governance ---------------------------------------------------------------------------

export const GOV_VOTE_OPTIONS = ["yes", "no", "abstain", "veto"] as const;
export type GovVoteOption = (typeof GOV_VOTE_OPTIONS)[number];
export const PROPOSAL_TYPES = ["param-change", "upgrade", "validator-set", "treasury-spend", "emergency", "text"] as const;
export type ProposalType = (typeof PROPOSAL_TYPES)[number];
export const EMERGENCY_ACTIONS = ["halt", "resume", "rollback"] as const;
export const PROPOSAL_CHANGES_MAX = 16;
export const HALTABLE_TX_TYPES_MAX = 32;

const proposalContent = s.union("type", [
  s.object({
    type: s.literal("param-change"),
    changes: s.array(s.object({ module: paramName, param: paramName, value: s.uint() }), { minLength: 1, maxLength: PROPOSAL_CHANGES_MAX }),
  }),
  s.object({ type: s.literal("upgrade"), version: s.string({ minLength: 1, maxLength: 64 }), activationHeight: s.uint({ min: 1 }) }),
  /** PoA authority changes: power 0 removes the validator. */
  s.object({
    type: s.literal("validator-set"),
    changes: s.array(s.object({ address, power: s.uint({ max: 1_000_000 }) }), { minLength: 1, maxLength: PROPOSAL_CHANGES_MAX }),
  }),
  s.object({ type: s.literal("treasury-spend"), to: address, amount }),
  s.object({
    type: s.literal("emergency"),
    action: s.oneOf(EMERGENCY_ACTIONS),
    /** halt / resume: the transaction types concerned. */
    txTypes: s.optional(s.array(s.string({ minLength: 1, maxLength: 32 }), { minLength: 1, maxLength: HALTABLE_TX_TYPES_MAX })),
    /** rollback: restore the application state of this height. */
    height: s.optional(s.uint()),
  }),
  s.object({ type: s.literal("text") }),
]);
export type ProposalContent = Infer<typeof proposalContent>;

export const govProposeBody = s.object({
  title: s.string({ minLength: 1, maxLength: 140 }),
  description: s.optional(s.string({ maxLength: 4096 })),
  deposit: amount,
  content: proposalContent,
});
export const govVoteBody = s.object({ proposalId: s.uint({ min: 1 }), option: s.oneOf(GOV_VOTE_OPTIONS) });

// ---- environments -------------------------------------------------------------------------

export const ENV_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const envName = s.string({ minLength: 1, maxLength: 63, pattern: ENV_NAME_PATTERN, patternDescription: "lowercase letters, digits and dashes" });
export const MERGE_STRATEGIES = ["fast-forward", "ours", "theirs", "manual"] as const;
export const MERGE_SOURCES_MAX = 16;

/** A Blue environment's state is named by its hash and a version the writer increments. */
export const envCreateBody = s.object({ name: envName, stateHash: hash32, version: s.uint(), description: s.optional(s.string({ maxLength: 1024 })) });
export const envUpdateBody = s.object({ name: envName, stateHash: hash32, version: s.uint() });
/** Promotes the environment's current state to Green; governed by the `env.promote` policy. */
export const envPromoteBody = s.object({ name: envName, cosignatures });
export const envCheckpointBody = s.object({ name: envName, stateHash: hash32, version: s.uint() });
export const envMergeBody = s.object({
  sources: s.array(envName, { minLength: 1, maxLength: MERGE_SOURCES_MAX }),
  target: envName,
  strategy: s.oneOf(MERGE_STRATEGIES),
  stateHash: hash32,
  version: s.uint(),
});

export type StakingBondBody = Infer<typeof stakingBondBody>;
export type StakingDelegateBody = Infer<typeof stakingDelegateBody>;
export type StakingUnbondBody = Infer<typeof stakingUnbondBody>;
export type StakingUnjailBody = Infer<typeof stakingUnjailBody>;
export type GovProposeBody = Infer<typeof govProposeBody>;
export type GovVoteBody = Infer<typeof govVoteBody>;
export type EnvCreateBody = Infer<typeof envCreateBody>;
export type EnvUpdateBody = Infer<typeof envUpdateBody>;
export type EnvPromoteBody = Infer<typeof envPromoteBody>;
export type EnvCheckpointBody = Infer<typeof envCheckpointBody>;
export type EnvMergeBody = Infer<typeof envMergeBody>;

/** Body schema of every module transaction type, by type name. */
export const MODULE_TX_BODIES = {
  "staking.bond": stakingBondBody,
  "staking.delegate": stakingDelegateBody,
  "staking.unbond": stakingUnbondBody,
  "staking.unjail": stakingUnjailBody,
  "gov.propose": govProposeBody,
  "gov.vote": govVoteBody,
  "env.create": envCreateBody,
  "env.update": envUpdateBody,
  "env.promote": envPromoteBody,
  "env.checkpoint": envCheckpointBody,
  "env.merge": envMergeBody,
} as const;
