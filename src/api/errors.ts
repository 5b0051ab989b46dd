/**
 * The one place that maps error codes to HTTP status codes. Bodies are
 * `{error: {code, message, ...meta}}` so clients can act on the code and show the message.
 */
import { GhostmeshError } from "../util/index.ts";

const STATUS_BY_CODE: Record<string, number> = {
  LEDGER_TX_TOO_LARGE: 413,
  MEMPOOL_FULL: 503,
  MEMPOOL_DUPLICATE: 409,
  MEMPOOL_NONCE_TOO_LOW: 409,
  MEMPOOL_NONCE_TOO_HIGH: 409,
  MEMPOOL_NONCE_TAKEN: 409,
  MEMPOOL_ACCOUNT_EXISTS: 409,
  MEMPOOL_UNKNOWN_ACCOUNT: 422,
  MEMPOOL_BAD_SIGNATURE: 422,
  // Out of consensus while it syncs blocks: another node, or this one shortly, can take it.
  NODE_SYNCING: 503,
  API_NOT_FOUND: 404,
  API_UNSUPPORTED_MEDIA_TYPE: 415,
  API_TIMEOUT: 504,
  API_TX_REFUSED: 422,
  STATE_KEY_INVALID: 400,
  STATE_VERSION_INVALID: 400,
  STATE_VERSION_UNKNOWN: 404,
  // Pruned history is gone for good on this node; another node may still serve it.
  STATE_VERSION_PRUNED: 410,
};

const STATUS_BY_PREFIX: readonly (readonly [string, number])[] = [
  ["CODEC_", 400],
  ["LEDGER_", 400],
  ["MERKLE_", 400],
  ["API_", 400],
];

export function httpStatusOf(err: GhostmeshError): number {
  const exact = STATUS_BY_CODE[err.code];
  if (exact !== undefined) return exact;
  for (const [prefix, status] of STATUS_BY_PREFIX) if (err.code.startsWith(prefix)) return status;
  return 500;
}

export function errorBody(code: string, message: string, meta: Record<string, unknown> = {}) {
  return { error: { ...meta, code, message } };
}

export function notFound(message: string): GhostmeshError {
  return new GhostmeshError("API_NOT_FOUND", message, {});
}

export function badRequest(message: string, meta: Record<string, unknown> = {}): GhostmeshError {
  return new GhostmeshError("API_BAD_REQUEST", message, meta);
}
