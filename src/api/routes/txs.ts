/** Submitting and looking up transactions. */
import { formatAddress } from "../../crypto/index.ts";
import { decodeStoredTx } from "../../ledger/index.ts";
import type { Refusal } from "../../mempool/index.ts";
import { GhostmeshError, fromHexOrUndefined, toHex } from "../../util/index.ts";
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

export const txRoutes: RouteFactory = ({ chain, mempool, producer }) => {
  const waiters = new TxWaiters(producer, mempool);
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
        const poolTx = await mempool.admit(bytes);
        const committed = wait ? waiters.wait(poolTx.txHashHex, timeoutMs) : undefined;
        producer.notifyAdmitted(poolTx, bytes);
        if (!committed) {
          reply.code(202);
          return { hash: poolTx.txHashHex, status: "pending" };
        }
        // The block may have committed before the waiter was registered.
        const row = chain.store.getTx(poolTx.txHash);
        const fate = row ? { height: row.height } : await committed;
        if (fate === undefined) {
          throw new GhostmeshError("API_TIMEOUT", `transaction ${poolTx.txHashHex} is pending but did not commit within ${timeoutMs} ms`, { hash: poolTx.txHashHex });
        }
        if ("refusal" in fate) throw refusedError(poolTx.txHashHex, fate.refusal);
        return { hash: poolTx.txHashHex, status: "committed", height: fate.height };
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
          if (mempool.has(hex)) return { hash: hex, status: "pending" };
          const refusal = mempool.refusals.get(hex);
          if (refusal !== undefined) return { hash: hex, status: "refused", code: refusal.code, message: refusal.message, height: refusal.height };
          throw notFound(`transaction ${hex} is neither committed nor pending, and this node has not seen it refused`);
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
