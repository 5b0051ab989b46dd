/**
 * Schemas for every ledger object that crosses a trust boundary (wire, API, store). Decoding
 * goes through here, so a malformed object is rejected with the path of the bad field.
 */
import { s, type Schema } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES, HASH_SIZE_BYTES } from "../crypto/index.ts";
import {
  AUDIT_ACTION_BYTES_MAX,
  AUDIT_DATA_BYTES_MAX,
  AUDIT_DATA_DEPTH_MAX,
  AUDIT_SUBJECT_BYTES_MAX,
  BATCH_RECORDS_MAX,
  BLOCK_TXS_MAX,
  CHAIN_ID_BYTES_MAX,
  CHAIN_ID_PATTERN,
  NONCE_MAX,
  AMOUNT_BYTES_MAX,
  COSIGNATURES_MAX,
  POLICY_SIGNERS_MAX,
  PUBLIC_KEY_BYTES_MAX,
  SIGNATURE_BYTES_MAX,
} from "./limits.ts";
import { EVIDENCE_KINDS, POLICY_OPERATIONS, ROLES, TX_TYPES } from "./types.ts";
import { MODULE_TX_BODIES } from "./moduleTxs.ts";
import type { AuditRecord, BlockHeader, Evidence, LogEntry, QuorumCertificate, SignedTx, Tx } from "./types.ts";

const hash32 = s.bytes({ size: HASH_SIZE_BYTES });
const address = s.bytes({ size: ADDRESS_SIZE_BYTES });
const height = s.uint();

export const chainIdSchema = s.string({
  minLength: 1,
  maxLength: CHAIN_ID_BYTES_MAX,
  pattern: CHAIN_ID_PATTERN,
  patternDescription: "lowercase letters, digits and dashes",
});

export const auditRecordSchema: Schema<AuditRecord> = s.object({
  action: s.string({ minLength: 1, maxLength: AUDIT_ACTION_BYTES_MAX }),
  subject: s.optional(s.string({ maxLength: AUDIT_SUBJECT_BYTES_MAX })),
  data: s.optional(s.value({ maxDepth: AUDIT_DATA_DEPTH_MAX, maxBytes: AUDIT_DATA_BYTES_MAX })),
});

const txCommon = {
  chainId: chainIdSchema,
  from: address,
  nonce: s.uint({ max: NONCE_MAX }),
};

const accountRegisterTx = s.object({
  ...txCommon,
  type: s.literal("account.register"),
  body: s.object({
    alg: s.oneOf([1, 2, 3] as const),
    publicKey: s.bytes({ minSize: 1, maxSize: PUBLIC_KEY_BYTES_MAX }),
  }),
});

const auditAppendTx = s.object({
  ...txCommon,
  type: s.literal("audit.append"),
  body: s.object({ record: auditRecordSchema }),
});

const auditBatchTx = s.object({
  ...txCommon,
  type: s.literal("audit.batch"),
  body: s.object({
    recordCount: s.uint({ min: 1, max: BATCH_RECORDS_MAX }),
    recordsRoot: hash32,
  }),
});

/** Minimal big-endian bytes; validate.ts refuses a leading zero byte so each amount has one encoding. */
export const amountSchema = s.bytes({ minSize: 1, maxSize: AMOUNT_BYTES_MAX });
export const roleSchema = s.oneOf(ROLES);
export const policyOperationSchema = s.oneOf(POLICY_OPERATIONS);
const cosignaturesSchema = s.optional(
  s.array(s.object({ address, sig: s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX }) }), { minLength: 1, maxLength: COSIGNATURES_MAX }),
);

const tokenTransferTx = s.object({
  ...txCommon,
  type: s.literal("token.transfer"),
  body: s.object({ to: address, amount: amountSchema }),
});

const roleChangeBody = s.object({ address, role: roleSchema, cosignatures: cosignaturesSchema });
const rolesGrantTx = s.object({ ...txCommon, type: s.literal("roles.grant"), body: roleChangeBody });
const rolesRevokeTx = s.object({ ...txCommon, type: s.literal("roles.revoke"), body: roleChangeBody });
const rolesSetPolicyTx = s.object({
  ...txCommon,
  type: s.literal("roles.setPolicy"),
  body: s.object({
    operation: policyOperationSchema,
    threshold: s.uint({ min: 1, max: POLICY_SIGNERS_MAX }),
    signers: s.array(address, { minLength: 1, maxLength: POLICY_SIGNERS_MAX }),
    cosignatures: cosignaturesSchema,
  }),
});

const m = MODULE_TX_BODIES;
const moduleTx = <const T extends keyof typeof MODULE_TX_BODIES>(type: T) => s.object({ ...txCommon, type: s.literal(type), body: m[type] });

export const txSchema: Schema<Tx> = s.union("type", [
  accountRegisterTx,
  auditAppendTx,
  auditBatchTx,
  tokenTransferTx,
  rolesGrantTx,
  rolesRevokeTx,
  rolesSetPolicyTx,
  moduleTx("staking.bond"),
  moduleTx("staking.delegate"),
  moduleTx("staking.unbond"),
  moduleTx("staking.unjail"),
  moduleTx("gov.propose"),
  moduleTx("gov.vote"),
  moduleTx("env.create"),
  moduleTx("env.update"),
  moduleTx("env.promote"),
  moduleTx("env.checkpoint"),
  moduleTx("env.merge"),
]) as Schema<Tx>;

export const signedTxSchema: Schema<SignedTx> = s.object({
  tx: txSchema,
  sig: s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX }),
  records: s.optional(s.array(auditRecordSchema, { minLength: 1, maxLength: BATCH_RECORDS_MAX })),
});

export const quorumCertificateSchema: Schema<QuorumCertificate> = s.object({
  view: s.uint(),
  height,
  blockHash: hash32,
  signers: s.bytes({ minSize: 1, maxSize: 1024 }),
  signatures: s.array(s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX }), { minLength: 1, maxLength: 8192 }),
});

/** `first`/`second` at most 1 MiB each: a block larger than that cannot be invalid-proposal evidence (decision 0100). */
export const EVIDENCE_FIELD_BYTES_MAX = 1024 * 1024;

export const evidenceSchema: Schema<Evidence> = s.object({
  kind: s.oneOf(EVIDENCE_KINDS),
  validator: address,
  view: s.uint(),
  first: s.bytes({ maxSize: EVIDENCE_FIELD_BYTES_MAX }),
  second: s.bytes({ maxSize: EVIDENCE_FIELD_BYTES_MAX }),
});

export const blockHeaderSchema: Schema<BlockHeader> = s.object({
  chainId: chainIdSchema,
  height: s.uint({ min: 1 }),
  view: s.uint(),
  parentHash: hash32,
  proposer: address,
  timestamp: s.uint(),
  txRoot: hash32,
  txCount: s.uint({ max: BLOCK_TXS_MAX }),
  stateRoot: hash32,
  logSize: s.uint(),
  logRoot: hash32,
  validatorSetHash: hash32,
  evidenceHash: hash32,
  justify: s.nullable(quorumCertificateSchema),
});

/** A stored transaction: the signed transaction without batch records (those live in the log entries). */
export const storedTxSchema = s.object({
  tx: txSchema,
  sig: s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX }),
});

export const logEntrySchema: Schema<LogEntry> = s.object({
  height: s.uint({ min: 1 }),
  txHash: hash32,
  from: address,
  type: s.oneOf(TX_TYPES),
  recordIndex: s.uint({ max: BATCH_RECORDS_MAX - 1 }),
  record: s.value({ maxDepth: AUDIT_DATA_DEPTH_MAX + 2, maxBytes: AUDIT_DATA_BYTES_MAX + 4096 }),
});

export const evidenceListSchema = s.array(evidenceSchema, { maxLength: 1024 });
