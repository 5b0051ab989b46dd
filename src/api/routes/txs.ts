/** Submitting and looking up transactions. */
import { formatAddress } from "../../crypto/index.ts";
import { decodeSignedTx, decodeStoredTx } from "../../ledger/index.ts";
import type { Mempool, Refusal } from "../../mempool/index.ts";
import { GhostmeshError, fromHexOrUndefined, isGhostmeshError, toHex } from "../../util/index.ts";
import { badRequest, notFound } from "../errors.ts";
import { txBodyJson } from "../json.ts";
import { moduleTxBodyJson } from "./moduleJson.ts";
import { parseHash, parseUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";
import { TxWaiters } from "../waiters.ts";

const WAIT_TIMEOUT_MS_DEFAULT = 30_000;
const WAIT_TIMEOUT_MS_MAX = 120_000;

/** The transaction bytes from a CBOR body, or from JSON {"tx": "<hex of the CBOR bytes>"}. */
function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const fields = Object.keys(body);
    const unknown = fields.filter((f) => f !== "tx");
    if (unknown.length > 0) throw badRequest(`body: unknown field "${unknown[0]}"; send {"tx": "<hex>"}`, { field: `body.${unknown[0]}` });
    const hex = (body as { tx?: unknown }).tx;
    if (typeof hex === "string") {
      const bytes = fromHexOrUndefined(hex);
      if (bytes) return bytes;
      throw badRequest("body.tx: expected the hex of the signed transaction's CBOR bytes", { field: "body.tx" });
    }
  }
  throw badRequest('body: send the signed transaction as application/cbor, or as JSON {"tx": "<hex>"}', { field: "body" });
}

/** A transaction execution refused: 422 with the application's code (APP_…) and its reason. */
function refusedError(txHashHex: string, refusal: Refusal): GhostmeshError<"API_TX_REFUSED", Record<string, unknown>> {
  return new GhostmeshError("API_TX_REFUSED", `transaction ${txHashHex} was refused at execution (height ${refusal.height}): ${refusal.code}: ${refusal.message}`, {
    hash: txHashHex,
    refusalCode: refusal.code,
    height: refusal.height,
  });
}

/**
 * The wait ran out. A transaction held behind a nonce gap says which nonce it waits for: it
 * cannot commit before its sender's transaction with that nonce does. A client that took its
 * nonce while an earlier transaction was pending meets this when execution refused that one.
 */
function notCommittedInTime(mempool: Mempool, txHashHex: string, timeoutMs: number): GhostmeshError<"API_TIMEOUT", Record<string, unknown>> {
  const gap = mempool.nonceGapOf(txHashHex);
  if (gap === undefined) return new GhostmeshError("API_TIMEOUT", `transaction ${txHashHex} is pending but did not commit within ${timeoutMs} ms`, { hash: txHashHex });
  return new GhostmeshError(
    "API_TIMEOUT",
    `transaction ${txHashHex} did not commit within ${timeoutMs} ms: it carries nonce ${gap.nonce} and waits for its sender's transaction with nonce ${gap.nonceExpected}, which this node does not hold (never sent, or refused at execution); send one with nonce ${gap.nonceExpected}, or re-sign this one with it`,
    { hash: txHashHex, nonce: gap.nonce, nonceExpected: gap.nonceExpected },
  );
}

/**
 * A validator out of consensus, syncing blocks by range, admits transactions (its next consensus
 * host gossips them, decision 0504), but checks senders and nonces against a state that may be
 * far behind the chain: an account registered since reads as unknown, and a nonce within the
 * window at the head as too far ahead. Those two refusals are not final then, and it says so.
 * (Accounts and nonces only grow, so "already registered" and "nonce too low" hold at the head.)
 */
const REFUSALS_OF_A_STALE_STATE: ReadonlySet<string> = new Set(["MEMPOOL_UNKNOWN_ACCOUNT", "MEMPOOL_NONCE_TOO_HIGH"]);

function syncingError(height: number, refusal: GhostmeshError): GhostmeshError<"NODE_SYNCING", Record<string, unknown>> {
  return new GhostmeshError(
    "NODE_SYNCING",
    `this validator is syncing blocks (at height ${height}), so its state may be behind the chain's: it found ${refusal.code} (${refusal.message}), which may not hold at the chain's head; send to another node, or again once GET /v1/status says "syncing": false`,
    { height, admissionCode: refusal.code },
  );
}

export const txRoutes: RouteFactory = ({ chain, mempool, producer }) => {
  const waiters = new TxWaiters(producer, mempool);
  /**
   * Admits the transaction: its hash (hex), and the announcement to make once a waiter is
   * registered (null for a transaction this node already has). With `wait`, a transaction this
   * node already holds pending, or has committed, is answered like a new one: a client that
   * retried, or sent it to several nodes and gossip or a Dandelion++ stem brought it here
   * first, still hears of its commit. Without `wait`, admission's refusal stands (409
   * MEMPOOL_DUPLICATE for a pending one; a committed one fails its nonce check).
   */
  const admitOrFindKnown = async (bytes: Uint8Array, wait: boolean): Promise<{ readonly txHash: Uint8Array; readonly txHashHex: string; readonly announce: (() => void) | null }> => {
    try {
      const poolTx = await mempool.admit(bytes);
      return { txHash: poolTx.txHash, txHashHex: poolTx.txHashHex, announce: () => producer.notifyAdmitted(poolTx, bytes) };
    } catch (err) {
      if (!wait || !isGhostmeshError(err)) throw err;
      // Admission refused it before or after decoding; only a transaction that decodes is pending or stored.
      let txHash: Uint8Array;
      try {
        txHash = decodeSignedTx(bytes, chain.genesis.chainId).txHash;
      } catch {
        throw err;
      }
      if (err.code !== "MEMPOOL_DUPLICATE" && chain.store.getTx(txHash) === undefined) throw err;
      return { txHash, txHashHex: toHex(txHash), announce: null };
    }
  };
  return [
    {
      method: "POST",
      url: "/v1/txs",
      summary: "Submit a signed transaction (application/cbor, or JSON {tx: hex}); with wait=true, answer once it commits",
      query: { wait: "true to wait until the transaction commits", timeoutMs: "how long to wait (default 30000)" },
      body: "signed transaction",
      async handler(request, reply) {
        const query = request.query as { wait?: string; timeoutMs?: string };
        const wait = query.wait === "true" || query.wait === "1";
        const timeoutMs = parseUint(query.timeoutMs, "timeoutMs", { min: 1, max: WAIT_TIMEOUT_MS_MAX }) ?? WAIT_TIMEOUT_MS_DEFAULT;
        if (wait && waiters.full) throw new GhostmeshError("MEMPOOL_FULL", "too many clients are waiting for commits; retry without wait or later", {});
        const bytes = bodyBytes(request.body);
        const { txHash, txHashHex, announce } = await admitOrFindKnown(bytes, wait).catch((err: unknown) => {
          throw producer.syncing === true && isGhostmeshError(err) && REFUSALS_OF_A_STALE_STATE.has(err.code) ? syncingError(chain.head.height, err) : err;
        });
        const known = announce === null ? chain.store.getTx(txHash) : undefined;
        if (known !== undefined) return { hash: txHashHex, status: "committed", height: known.height };
        const committed = wait ? waiters.wait(txHashHex, timeoutMs) : undefined;
        announce?.();
        if (!committed) {
          reply.code(202);
          return { hash: txHashHex, status: "pending" };
        }
        // The block may have committed before the waiter was registered.
        const row = chain.store.getTx(txHash);
        const fate = row ? { height: row.height } : await committed;
        if (fate === undefined) throw notCommittedInTime(mempool, txHashHex, timeoutMs);
        if ("refusal" in fate) throw refusedError(txHashHex, fate.refusal);
        return { hash: txHashHex, status: "committed", height: fate.height };
      },
    },
    {
      method: "GET",
      url: "/v1/txs/:hash",
      summary: "A transaction: pending, or committed with its height and log position",
      params: { hash: "transaction hash (hex)" },
      async handler(request) {
        const { hash: hashText } = request.params as { hash: string };
        const hash = parseHash(hashText, "hash");
        const hex = toHex(hash);
        const row = chain.store.getTx(hash);
        if (!row) {
          if (mempool.has(hex)) {
            const gap = mempool.nonceGapOf(hex);
            return gap === undefined ? { hash: hex, status: "pending" } : { hash: hex, status: "pending", nonce: gap.nonce, nonceExpected: gap.nonceExpected };
          }
          const refusal = mempool.refusals.get(hex);
          if (refusal !== undefined) return { hash: hex, status: "refused", code: refusal.code, message: refusal.message, height: refusal.height };
          const behind = producer.syncing === true ? ` (it is syncing blocks, at height ${chain.head.height}: the transaction may be in a block it has yet to sync)` : "";
          throw notFound(`transaction ${hex} is neither committed nor pending, and this node has not seen it refused${behind}`);
        }
        const signedTx = decodeStoredTx(row.bytes, hex);
        return {
          hash: hex,
          status: "committed",
          height: row.height,
          position: row.position,
          firstLeaf: row.firstLeaf,
          leafCount: row.leafCount,
          chainId: signedTx.tx.chainId,
          type: signedTx.tx.type,
          from: formatAddress(signedTx.tx.from),
          nonce: signedTx.tx.nonce,
          body: moduleTxBodyJson(signedTx) ?? txBodyJson(signedTx),
          signature: toHex(signedTx.sig),
        };
      },
    },
  ];
};
