/**
 * state: authenticated, versioned key-value state (docs/decisions/0400-state-tree.md). A
 * sparse Merkle tree (merkle/smt*) stored in the node's SQLite database, one version per
 * block, with proofs of presence and absence. The only import surface of the module.
 */
export { openStateStore } from "./store.ts";
export type { StateStore, StateApplyOptions, StateKeysWrittenOptions, StatePrepareOptions, PreparedStateUpdate, PreparedStateRows, StateValueRow, StateProofResult, StateProofsPruneOptions, StateProofsPruneResult, StatePruneResult, StateWrite } from "./types.ts";
export type { StateStoreOptions } from "./options.ts";
export { defaultStateStoreOptions, STATE_KEYS_LISTED_MAX, STATE_KEY_SIZE_BYTES_MAX, STATE_VALUE_SIZE_BYTES_MAX } from "./options.ts";
export type { StateError, StateErrorCode } from "./errors.ts";
export { STATE_SCHEMA_VERSION } from "./schema.ts";
export type { StateMigrationProgress } from "./schema.ts";
export { STATE_PREPARE_BASES_MAX } from "./overlay.ts";
// The proof format and its verifier live with the tree; re-exported so users of state need one import.
export {
  verifyStateProof,
  encodeStateProof,
  decodeStateProof,
  stateProofToJson,
  stateProofFromJson,
  smtEmptyRoot as stateEmptyRoot,
  STATE_PROOF_SIZE_BYTES_MAX,
} from "../merkle/index.ts";
export type { StateProof, StateProofLeaf, StateProofJson } from "../merkle/index.ts";
