/**
 * The shapes of a node's API answers, checked by the client before anything reads them: a
 * node is a peer like any other, and a hostile or broken one must produce a clear error
 * (CLIENT_BAD_RESPONSE), never a TypeError deep in a verifier. Fields a newer node adds pass
 * unchecked; the fields the client reads must be there, of the right type and size.
 */
import { s, type Schema } from "../codec/index.ts";
import { COMMITTEE_SIZE_MAX } from "../consensus/committee.ts";
import { CHAIN_ID_BYTES_MAX, PUBLIC_KEY_BYTES_MAX, SIGNATURE_BYTES_MAX } from "../ledger/index.ts";
import type {
  AccountResponse,
  AuditResponse,
  BlockResponse,
  CheckpointResponse,
  ConsistencyProofResponse,
  InclusionProofResponse,
  PoliciesResponse,
  QcJson,
  RolesResponse,
  StateProofResponse,
  StatusResponse,
  SubmitResponse,
  TxResponse,
  ValidatorJson,
  ValidatorSetResponse,
  ValidatorSetsResponse,
} from "./client.ts";

/** A log of 2^64 leaves needs 64 hashes in a proof; a state tree of 256-bit keys, 256 siblings. */
const LOG_PROOF_HASHES_MAX = 64;
const STATE_PROOF_SIBLINGS_MAX = 256;
/** The API's own page limits (audit entries, validator sets per answer), with room to spare. */
const PAGE_ITEMS_MAX = 10_000;
const TEXT_BYTES_MAX = 64 * 1024;

const open = { unknownFields: "ignore" } as const;
/** Any JSON object: what the client passes on without reading into it. */
export const anyObjectSchema = s.object({}, open);
const text = s.string({ maxLength: TEXT_BYTES_MAX });
const hash = s.string({ minLength: 64, maxLength: 64, pattern: /^[0-9a-f]{64}$/, patternDescription: "32 bytes as lowercase hex" });
const hexOf = (bytesMax: number) => s.string({ maxLength: bytesMax * 2, pattern: /^(?:[0-9a-f]{2})*$/, patternDescription: "lowercase hex" });
const decimal = s.string({ minLength: 1, maxLength: 80, pattern: /^\d+$/, patternDescription: "a decimal integer" });
const address = s.string({ minLength: 42, maxLength: 42, pattern: /^gm[0-9a-f]{40}$/, patternDescription: "gm and 20 bytes of lowercase hex" });
const base64 = s.string({ maxLength: 16 * 1024 * 1024, pattern: /^[A-Za-z0-9+/]*={0,2}$/, patternDescription: "base64" });

const validatorSchema: Schema<ValidatorJson> = s.object({ name: text, address, alg: s.string({ maxLength: 32 }), publicKey: hexOf(PUBLIC_KEY_BYTES_MAX), power: s.uint() }, open);
const validators = s.array(validatorSchema, { maxLength: COMMITTEE_SIZE_MAX });

export const qcSchema: Schema<QcJson> = s.object(
  { view: s.uint(), height: s.uint(), blockHash: hash, signers: hexOf(COMMITTEE_SIZE_MAX / 8), signatures: s.array(hexOf(SIGNATURE_BYTES_MAX), { maxLength: COMMITTEE_SIZE_MAX }) },
  open,
);

export const statusSchema: Schema<StatusResponse> = s.object(
  {
    chainId: s.string({ maxLength: CHAIN_ID_BYTES_MAX }),
    height: s.uint(),
    blockHash: hash,
    timestamp: s.uint(),
    logSize: s.uint(),
    logRoot: hash,
    stateRoot: hash,
    genesisHash: hash,
    validators,
    epochBlocks: s.uint({ min: 1 }),
    epoch: s.uint(),
    stateProofsFromHeight: s.uint(),
    mempool: s.object({ txs: s.uint(), ready: s.uint() }, open),
    syncing: s.bool(),
    signingStoppedAtView: s.optional(s.nullable(s.uint())),
  },
  open,
);

export const submitSchema: Schema<SubmitResponse> = s.object({ hash, status: s.oneOf(["pending", "committed"]), height: s.optional(s.uint()) }, open);

export const txSchema: Schema<TxResponse> = s.object(
  {
    hash,
    status: s.oneOf(["pending", "committed", "refused"]),
    height: s.optional(s.uint()),
    code: s.optional(text),
    message: s.optional(text),
    type: s.optional(text),
    from: s.optional(address),
    nonce: s.optional(s.uint()),
    nonceExpected: s.optional(s.uint()),
    firstLeaf: s.optional(s.uint()),
    leafCount: s.optional(s.uint()),
  },
  open,
);

const certifiedBlockShape = { height: s.uint(), hash, header: anyObjectSchema, headerBytes: hexOf(64 * 1024), certificate: qcSchema };
export const blockSchema: Schema<BlockResponse> = s.object({ ...certifiedBlockShape, txHashes: s.array(hash, { maxLength: 100_000 }) }, open);

export const checkpointSchema: Schema<CheckpointResponse> = s.object(
  {
    chainId: s.string({ maxLength: CHAIN_ID_BYTES_MAX }),
    height: s.uint(),
    view: s.uint(),
    blockHash: hash,
    treeSize: s.uint(),
    rootHash: hash,
    timestamp: s.uint(),
    header: hexOf(64 * 1024),
    certificate: qcSchema,
    signatures: s.array(s.object({ validator: address, alg: s.string({ maxLength: 32 }), signature: hexOf(SIGNATURE_BYTES_MAX) }, open), { maxLength: COMMITTEE_SIZE_MAX }),
  },
  open,
);

export const stateProofSchema: Schema<StateProofResponse> = s.object(
  {
    height: s.uint(),
    stateRoot: hash,
    key: hexOf(1024),
    value: s.nullable(hexOf(16 * 1024 * 1024)),
    proof: s.object({
      leaf: s.nullable(s.object({ keyHash: hash, valueHash: hash })),
      depth: s.uint({ max: STATE_PROOF_SIBLINGS_MAX }),
      bitmap: hexOf(STATE_PROOF_SIBLINGS_MAX / 8),
      siblings: s.array(hash, { maxLength: STATE_PROOF_SIBLINGS_MAX }),
    }),
  },
  open,
);

const epochValidatorSetShape = {
  epoch: s.uint(),
  firstHeight: s.uint(),
  lastHeight: s.uint(),
  hash,
  powerTotal: s.uint(),
  validators,
  derivedFrom: s.nullable(s.object({ height: s.uint(), block: s.object(certifiedBlockShape, open), proofs: s.array(stateProofSchema, { maxLength: COMMITTEE_SIZE_MAX + 1 }) }, open)),
};
export const validatorSetsSchema: Schema<ValidatorSetsResponse> = s.object(
  { epochBlocks: s.uint({ min: 1 }), latestEpoch: s.uint(), sets: s.array(s.object(epochValidatorSetShape, open), { maxLength: PAGE_ITEMS_MAX }), nextEpoch: s.nullable(s.uint()) },
  open,
);
export const validatorSetSchema: Schema<ValidatorSetResponse> = s.object({ epochBlocks: s.uint({ min: 1 }), latestEpoch: s.uint(), ...epochValidatorSetShape }, open);

export const inclusionProofSchema: Schema<InclusionProofResponse> = s.object(
  { leafIndex: s.uint(), treeSize: s.uint(), rootHash: hash, entry: base64, auditPath: s.array(hash, { maxLength: LOG_PROOF_HASHES_MAX }) },
  open,
);
export const consistencyProofSchema: Schema<ConsistencyProofResponse> = s.object(
  { fromSize: s.uint(), toSize: s.uint(), fromRoot: hash, toRoot: hash, proof: s.array(hash, { maxLength: 2 * LOG_PROOF_HASHES_MAX }) },
  open,
);

export const accountSchema: Schema<AccountResponse> = s.object(
  { address, registered: s.bool(), nonce: s.uint(), nextNonce: s.uint(), balance: decimal, alg: s.optional(s.string({ maxLength: 32 })), publicKey: s.optional(hexOf(PUBLIC_KEY_BYTES_MAX)), height: s.uint(), syncing: s.bool() },
  open,
);
export const rolesSchema: Schema<RolesResponse> = s.object({ address, height: s.uint(), roles: s.array(text, { maxLength: 64 }) }, open);
export const policiesSchema: Schema<PoliciesResponse> = s.object(
  { height: s.uint(), policies: s.array(s.object({ operation: text, threshold: s.uint(), signers: s.array(address, { maxLength: 64 }) }, open), { maxLength: 64 }) },
  open,
);
export const auditSchema: Schema<AuditResponse> = s.object({ entries: s.array(anyObjectSchema, { maxLength: PAGE_ITEMS_MAX }), nextCursor: s.nullable(text) }, open);

/** Schema builders for module answers the CLI reads (gov, staking): open objects of these fields. */
export const responseSchemas = { open: <const Shape extends Parameters<typeof s.object>[0]>(shape: Shape) => s.object(shape, open), text, hash, address, decimal, anyObject: anyObjectSchema };
