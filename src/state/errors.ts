import { GhostmeshError } from "../util/index.ts";

/**
 * Operating errors of the state store. The first group is caller input the node or API
 * can report (400/404 at the API); STATE_STALE_BASE means the state moved since `prepare`
 * (prepare again); STATE_SCHEMA_TOO_NEW and STATE_STORE_CORRUPT halt the node, naming the table.
 */
export type StateErrorCode =
  | "STATE_VERSION_INVALID"
  | "STATE_VERSION_NOT_INCREASING"
  | "STATE_VERSION_UNKNOWN"
  | "STATE_VERSION_PRUNED"
  | "STATE_KEY_INVALID"
  | "STATE_VALUE_INVALID"
  | "STATE_TOO_MANY_WRITES"
  | "STATE_TOO_MANY_KEYS"
  | "STATE_STALE_BASE"
  | "STATE_TOO_MANY_BASES"
  | "STATE_SCHEMA_TOO_NEW"
  | "STATE_STORE_CORRUPT";

export type StateError = GhostmeshError<StateErrorCode>;

export function stateError(code: StateErrorCode, message: string, meta: Record<string, unknown>): StateError {
  return new GhostmeshError(code, message, meta);
}
