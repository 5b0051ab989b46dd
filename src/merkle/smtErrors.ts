import { GhostmeshError } from "../util/index.ts";

/**
 * Operating errors of the state tree. MERKLE_SMT_NODE_* mean the node store is damaged (a
 * node the tree points at is absent, or its bytes do not hash to what its parent says): the
 * node must halt and name the path. MERKLE_SMT_PROOF_INVALID is a stranger's malformed proof;
 * MERKLE_SMT_DUPLICATE_KEY a batch that writes one key twice (its order would decide the value).
 */
export type SmtErrorCode = "MERKLE_SMT_NODE_MISSING" | "MERKLE_SMT_NODE_CORRUPT" | "MERKLE_SMT_PROOF_INVALID" | "MERKLE_SMT_DUPLICATE_KEY";

export type SmtError = GhostmeshError<SmtErrorCode>;

export function smtError(code: SmtErrorCode, message: string, meta: Record<string, unknown>): SmtError {
  return new GhostmeshError(code, message, meta);
}
