/**
 * Ledger data types (DESIGN §3). Every signed or hashed object here is encoded with the one
 * deterministic CBOR encoder (codec/) and hashed with a domain tag (ledger/hashing.ts).
 * Field names are the wire names. Byte strings are Uint8Array; addresses are 20 bytes,
 * hashes 32 bytes.
 */
import type { SignatureAlgorithmId } from "../crypto/index.ts";
import type { CborValue } from "../codec/index.ts";
import type {
  EnvCheckpointBody,
  EnvCreateBody,
  EnvMergeBody,
  EnvPromoteBody,
  EnvUpdateBody,
  GovProposeBody,
  GovVoteBody,
  StakingBondBody,
  StakingDelegateBody,
  StakingUnbondBody,
  StakingUnjailBody,
} from "./moduleTxs.ts";

export const TxType = {
  accountRegister: "account.register",
  auditAppend: "audit.append",
  auditBatch: "audit.batch",
  tokenTransfer: "token.transfer",
  rolesGrant: "roles.grant",
  rolesRevoke: "roles.revoke",
  rolesSetPolicy: "roles.setPolicy",
  stakingBond: "staking.bond",
  stakingDelegate: "staking.delegate",
  stakingUnbond: "staking.unbond",
  stakingUnjail: "staking.unjail",
  govPropose: "gov.propose",
  govVote: "gov.vote",
  envCreate: "env.create",
  envUpdate: "env.update",
  envPromote: "env.promote",
  envCheckpoint: "env.checkpoint",
  envMerge: "env.merge",
} as const;
export type TxType = (typeof TxType)[keyof typeof TxType];
export const TX_TYPES: readonly TxType[] = Object.values(TxType);

/** One audit record: who did what to which subject, plus free-form data. */
export type AuditRecord = {
  readonly action: string;
  readonly subject?: string;
  readonly data?: CborValue;
};

export type AccountRegisterBody = { readonly alg: SignatureAlgorithmId; readonly publicKey: Uint8Array };
export type AuditAppendBody = { readonly record: AuditRecord };
/** The signature covers `recordsRoot`, the RFC 6962 root over the records' canonical bytes. */
export type AuditBatchBody = { readonly recordCount: number; readonly recordsRoot: Uint8Array };

/** RBAC roles (docs/decisions/0600). */
export const ROLES = ["read_blockchain", "write_blue_state", "promote_to_green", "validate_blocks", "emergency_rollback", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Operations a multi-signature policy can govern. `roles.grant.admin` / `roles.revoke.admin`
 * are grants and revocations of the admin role; `roles.grant` / `roles.revoke` every other role.
 */
export const POLICY_OPERATIONS = ["roles.grant", "roles.revoke", "roles.grant.admin", "roles.revoke.admin", "roles.setPolicy", "env.promote"] as const;
export type PolicyOperation = (typeof POLICY_OPERATIONS)[number];

/**
 * An extra authority signature over cosignMessage(tx) (ledger/hashing.ts): the transaction
 * with its body's cosignatures left out. It travels inside the signed body, so the sender's
 * signature binds the set of cosigners and the store and replay keep it (decision 0600).
 */
export type Cosignature = { readonly address: Uint8Array; readonly sig: Uint8Array };

/** `amount`: the unsigned integer as minimal big-endian bytes (no leading zero byte, at least 1). */
export type TokenTransferBody = { readonly to: Uint8Array; readonly amount: Uint8Array };
export type RoleChangeBody = { readonly address: Uint8Array; readonly role: Role; readonly cosignatures?: readonly Cosignature[] };
export type RolesSetPolicyBody = {
  readonly operation: PolicyOperation;
  readonly threshold: number;
  readonly signers: readonly Uint8Array[];
  readonly cosignatures?: readonly Cosignature[];
};

type TxCommon = { readonly chainId: string; readonly from: Uint8Array; readonly nonce: number };
export type Tx =
  | (TxCommon & { readonly type: "account.register"; readonly body: AccountRegisterBody })
  | (TxCommon & { readonly type: "audit.append"; readonly body: AuditAppendBody })
  | (TxCommon & { readonly type: "audit.batch"; readonly body: AuditBatchBody })
  | (TxCommon & { readonly type: "token.transfer"; readonly body: TokenTransferBody })
  | (TxCommon & { readonly type: "roles.grant"; readonly body: RoleChangeBody })
  | (TxCommon & { readonly type: "roles.revoke"; readonly body: RoleChangeBody })
  | (TxCommon & { readonly type: "roles.setPolicy"; readonly body: RolesSetPolicyBody })
  | (TxCommon & { readonly type: "staking.bond"; readonly body: StakingBondBody })
  | (TxCommon & { readonly type: "staking.delegate"; readonly body: StakingDelegateBody })
  | (TxCommon & { readonly type: "staking.unbond"; readonly body: StakingUnbondBody })
  | (TxCommon & { readonly type: "staking.unjail"; readonly body: StakingUnjailBody })
  | (TxCommon & { readonly type: "gov.propose"; readonly body: GovProposeBody })
  | (TxCommon & { readonly type: "gov.vote"; readonly body: GovVoteBody })
  | (TxCommon & { readonly type: "env.create"; readonly body: EnvCreateBody })
  | (TxCommon & { readonly type: "env.update"; readonly body: EnvUpdateBody })
  | (TxCommon & { readonly type: "env.promote"; readonly body: EnvPromoteBody })
  | (TxCommon & { readonly type: "env.checkpoint"; readonly body: EnvCheckpointBody })
  | (TxCommon & { readonly type: "env.merge"; readonly body: EnvMergeBody });

/**
 * What travels on the wire and is stored. `records` is present exactly for audit.batch: the
 * records ride beside the signed transaction, bound to it by `body.recordsRoot`.
 */
export type SignedTx = {
  readonly tx: Tx;
  readonly sig: Uint8Array;
  readonly records?: readonly AuditRecord[];
};

/**
 * A quorum certificate: signatures of validators holding more than 2/3 of the voting power
 * over the vote for (chainId, view, blockHash). `signers` is a bitmap over the validator set
 * order (bit i = validator i, least significant bit of byte 0 first); `signatures` are in the
 * same order as the set bits.
 */
export type QuorumCertificate = {
  readonly view: number;
  readonly height: number;
  readonly blockHash: Uint8Array;
  readonly signers: Uint8Array;
  readonly signatures: readonly Uint8Array[];
};

export type BlockHeader = {
  readonly chainId: string;
  readonly height: number;
  readonly view: number;
  readonly parentHash: Uint8Array;
  readonly proposer: Uint8Array;
  readonly timestamp: number;
  /** RFC 6962 root over the hashes of the block's transactions, in block order. */
  readonly txRoot: Uint8Array;
  readonly txCount: number;
  /** Application state commitment after executing this block (ledger/decisions: 0003). */
  readonly stateRoot: Uint8Array;
  /** The log after appending this block's entries. */
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  readonly validatorSetHash: Uint8Array;
  /** Hash of the canonical list of evidence carried by the block (ledger/hashing.ts). */
  readonly evidenceHash: Uint8Array;
  /** QC of the parent; null only for the first block, whose parent is genesis. */
  readonly justify: QuorumCertificate | null;
};

/**
 * Proof of a validator's consensus misbehaviour in one view; consensus/ defines and checks the
 * format of `first` and `second`, the ledger only stores and hashes them (decision 0100):
 * - "vote" / "proposal": it signed two conflicting messages; `first` and `second` are the
 *   canonical bytes of the two signed messages, in byte order;
 * - "invalid-proposal": as the view's leader it signed a structurally invalid block; `first` is
 *   the signed proposal record, `second` the block's canonical bytes.
 */
export type Evidence = {
  readonly kind: EvidenceKind;
  readonly validator: Uint8Array;
  readonly view: number;
  readonly first: Uint8Array;
  readonly second: Uint8Array;
};

export const EVIDENCE_KINDS = ["vote", "proposal", "invalid-proposal"] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export type Block = {
  readonly header: BlockHeader;
  readonly txs: readonly SignedTx[];
  readonly evidence: readonly Evidence[];
};

/**
 * One log entry: a committed transaction, or one record of a committed batch. Its canonical
 * bytes are the Merkle leaf.
 */
export type LogEntry = {
  readonly height: number;
  readonly txHash: Uint8Array;
  readonly from: Uint8Array;
  readonly type: TxType;
  /** Position of the record inside its transaction (0 for non-batch transactions). */
  readonly recordIndex: number;
  readonly record: CborValue;
};

export type Validator = {
  readonly name: string;
  readonly address: Uint8Array;
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
  readonly power: number;
};

export type ValidatorSet = { readonly validators: readonly Validator[] };

/** A genesis balance: `amount` is a decimal string of an unsigned integer (no floats anywhere). */
export type GenesisAllocation = { readonly address: Uint8Array; readonly amount: string };
export type GenesisRoles = { readonly address: Uint8Array; readonly roles: readonly Role[] };
export type GenesisPolicy = { readonly operation: PolicyOperation; readonly threshold: number; readonly signers: readonly Uint8Array[] };
/** PoS: an initial self-bond of a genesis validator (decimal string), added to the supply. */
export type GenesisBond = { readonly validator: Uint8Array; readonly amount: string };
/** Chain mode (decision 0601): "poa" fixes the authority set (no staking); "pos" derives it from stake. */
export const CHAIN_MODES = ["poa", "pos"] as const;
export type ChainMode = (typeof CHAIN_MODES)[number];
/** Parameter overrides by module, e.g. {staking: {rewardRateBps: 200}} (app/params.ts lists them). */
export type GenesisParams = { readonly [module: string]: { readonly [param: string]: number } };

/**
 * The optional fields are absent from genesis files written before balances and roles, so
 * those files (and their hashes) stay valid; app/genesis.ts turns them into state version 0.
 */
export type Genesis = {
  readonly chainId: string;
  readonly genesisTime: number;
  readonly validators: readonly Validator[];
  readonly allocations?: readonly GenesisAllocation[];
  readonly roles?: readonly GenesisRoles[];
  readonly policies?: readonly GenesisPolicy[];
  /** Absent: "poa". */
  readonly mode?: ChainMode;
  readonly bonds?: readonly GenesisBond[];
  readonly params?: GenesisParams;
};
