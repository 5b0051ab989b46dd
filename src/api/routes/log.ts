/** The audit log: filtered listing, inclusion proofs and consistency proofs. */
import { decodeStoredEntry } from "../../ledger/index.ts";
import { GhostmeshError, toBase64, toHex } from "../../util/index.ts";
import type { Chain } from "../../node/chain.ts";
import { badRequest, notFound } from "../errors.ts";
import { entryJson } from "../json.ts";
import { parseHash, parseSender, parseUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

const AUDIT_LIMIT_DEFAULT = 100;
const AUDIT_LIMIT_MAX = 1_000;

/** First leaf of the block at `height` (heights past the head map to the log size). */
function firstLeafOfHeight(chain: Chain, height: number): number {
  if (height <= 1) return 0;
  if (height > chain.head.height) return chain.head.logSize;
  return chain.store.getBlock(height - 1)?.logSize ?? 0;
}

function treeSizeParam(chain: Chain, value: string | undefined): number {
  const size = chain.head.logSize;
  const treeSize = parseUint(value, "treeSize", { min: 1 }) ?? size;
  if (treeSize > size) throw badRequest(`treeSize ${treeSize} is larger than the log (${size} entries)`, { field: "treeSize", treeSize, logSize: size });
  return treeSize;
}

function inclusion(chain: Chain, hashText: string, recordIndexText: string | undefined, treeSizeText: string | undefined) {
  const hash = parseHash(hashText, "txHash");
  const row = chain.store.getTx(hash);
  if (!row) throw notFound(`transaction ${toHex(hash)} is not committed`);
  const recordIndex = parseUint(recordIndexText, "recordIndex") ?? 0;
  if (recordIndex >= row.leafCount) {
    throw badRequest(`recordIndex ${recordIndex} is out of range: the transaction has ${row.leafCount} log entries`, { field: "recordIndex", recordIndex, leafCount: row.leafCount });
  }
  const leafIndex = row.firstLeaf + recordIndex;
  const treeSize = treeSizeParam(chain, treeSizeText);
  if (leafIndex >= treeSize) {
    throw badRequest(`the entry is leaf ${leafIndex}, not inside a tree of size ${treeSize}`, { field: "treeSize", leafIndex, treeSize });
  }
  const entry = chain.store.getEntry(leafIndex);
  if (!entry) throw new GhostmeshError("NODE_STORE_CORRUPT", `log entry ${leafIndex} is missing from the store`, { leafIndex });
  const log = chain.merkleLog;
  return {
    leafIndex,
    treeSize,
    rootHash: toHex(log.rootAt(treeSize)),
    entry: toBase64(entry.bytes),
    auditPath: log.inclusionProof(leafIndex, treeSize).map(toHex),
  };
}

export const logRoutes: RouteFactory = ({ chain }) => [
  {
    method: "GET",
    url: "/v1/audit",
    summary: "Audit records in log order, filtered by action, sender and height range; page with cursor",
    query: {
      action: "exact action",
      sender: "sender address (gm…)",
      fromHeight: "first height (inclusive)",
      toHeight: "last height (inclusive)",
      limit: `page size (default ${AUDIT_LIMIT_DEFAULT}, max ${AUDIT_LIMIT_MAX})`,
      cursor: "nextCursor of the previous page",
    },
    async handler(request) {
      const q = request.query as Record<string, string | undefined>;
      const fromHeight = parseUint(q.fromHeight, "fromHeight") ?? 1;
      const toHeight = parseUint(q.toHeight, "toHeight") ?? Number.MAX_SAFE_INTEGER;
      if (toHeight < fromHeight) throw badRequest(`toHeight ${toHeight} is below fromHeight ${fromHeight}`, { field: "toHeight" });
      const limit = parseUint(q.limit, "limit", { min: 1, max: AUDIT_LIMIT_MAX }) ?? AUDIT_LIMIT_DEFAULT;
      const cursor = parseUint(q.cursor, "cursor");
      if (q.action !== undefined && (q.action.length === 0 || Buffer.byteLength(q.action) > 128)) {
        throw badRequest("action: expected 1 to 128 bytes", { field: "action" });
      }
      const leafIndexFrom = Math.max(firstLeafOfHeight(chain, fromHeight), cursor ?? 0);
      const leafIndexTo = toHeight >= chain.head.height ? chain.head.logSize : firstLeafOfHeight(chain, toHeight + 1);
      const rows = chain.store.queryEntries({ action: q.action, sender: parseSender(q.sender, "sender"), leafIndexFrom, leafIndexTo, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return {
        entries: page.map((row) => entryJson(decodeStoredEntry(row.bytes, row.leafIndex), row.leafIndex)),
        nextCursor: rows.length > limit ? String(rows[limit]!.leafIndex) : null,
      };
    },
  },
  {
    method: "GET",
    url: "/v1/proofs/inclusion/:txHash",
    summary: "RFC 6962 inclusion proof of a transaction's (first) log entry",
    params: { txHash: "transaction hash (hex)" },
    query: { treeSize: "tree size to prove against (default: the current log size)" },
    async handler(request) {
      const { txHash } = request.params as { txHash: string };
      return inclusion(chain, txHash, undefined, (request.query as { treeSize?: string }).treeSize);
    },
  },
  {
    method: "GET",
    url: "/v1/proofs/inclusion/:txHash/:recordIndex",
    summary: "RFC 6962 inclusion proof of one record of a batch transaction",
    params: { txHash: "transaction hash (hex)", recordIndex: "record position inside the batch" },
    query: { treeSize: "tree size to prove against (default: the current log size)" },
    async handler(request) {
      const { txHash, recordIndex } = request.params as { txHash: string; recordIndex: string };
      return inclusion(chain, txHash, recordIndex, (request.query as { treeSize?: string }).treeSize);
    },
  },
  {
    method: "GET",
    url: "/v1/proofs/consistency",
    summary: "RFC 6962 consistency proof between two tree sizes",
    query: { from: "smaller tree size (>= 1)", to: "larger tree size (default: the current log size)" },
    async handler(request) {
      const q = request.query as { from?: string; to?: string };
      const fromSize = parseUint(q.from, "from", { min: 1 });
      if (fromSize === undefined) throw badRequest("from: required (a tree size >= 1)", { field: "from" });
      const toSize = parseUint(q.to, "to", { min: 1 }) ?? chain.head.logSize;
      if (toSize > chain.head.logSize) throw badRequest(`to ${toSize} is larger than the log (${chain.head.logSize} entries)`, { field: "to" });
      if (fromSize > toSize) throw badRequest(`from ${fromSize} is larger than to ${toSize}`, { field: "from" });
      const log = chain.merkleLog;
      return {
        fromSize,
        toSize,
        fromRoot: toHex(log.rootAt(fromSize)),
        toRoot: toHex(log.rootAt(toSize)),
        proof: log.consistencyProof(fromSize, toSize).map(toHex),
      };
    },
  },
];
