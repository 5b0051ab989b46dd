import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import { TX_WIRE_BYTES_MAX } from "../ledger/index.ts";
import { assert, errorMessage, isGhostmeshError } from "../util/index.ts";
import { p2pError } from "./errors.ts";
import type { P2pMetrics } from "./metrics.ts";
import type { TxBatcherOptions } from "./options.ts";
import type { P2pLogger } from "./types.ts";

/** CBOR head of the array plus the head of one byte string, at most (RFC 8949: 1 + 8 bytes each). */
const CBOR_HEAD_BYTES_MAX = 9;

/**
 * Decodes a tx gossip message: one canonical CBOR array of transaction byte strings.
 * @throws GhostmeshError P2P_GOSSIP_BATCH_MALFORMED (a validator should answer "reject").
 */
export function decodeTxBatch(bytes: Uint8Array, limits: { readonly txsMax: number; readonly sizeBytesMax: number }): Uint8Array[] {
  const schema = s.array(s.bytes({ minSize: 1, maxSize: TX_WIRE_BYTES_MAX }), { minLength: 1, maxLength: limits.txsMax });
  try {
    return decodeWith(schema, bytes, "txBatch", { maxBytes: limits.sizeBytesMax, maxDepth: 1 });
  } catch (err) {
    if (!isGhostmeshError(err)) throw err;
    throw p2pError("P2P_GOSSIP_BATCH_MALFORMED", `a tx gossip message is not a batch of transactions: ${err.message}`, { sizeBytes: bytes.byteLength }, err);
  }
}

export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  assert(txs.length > 0, "encodeTxBatch: a batch holds at least one transaction");
  return encodeCanonical(txs, "txBatch");
}

export type TxBatcherModules = {
  /** Publishes one encoded batch on the tx topic. */
  readonly publish: (batch: Uint8Array) => Promise<unknown>;
  readonly logger: P2pLogger;
  readonly metrics: P2pMetrics | null;
};

/**
 * Collects transactions for up to `delayMs` (or until `sizeBytesMax` / `txsMax`) and publishes
 * them as one gossip message, because gossipsub's cost is per message (DESIGN §6). A
 * transaction larger than `sizeBytesMax` goes out alone (the tx topic limit still applies).
 */
export class TxBatcher {
  readonly #opts: TxBatcherOptions;
  readonly #modules: TxBatcherModules;
  #txs: Uint8Array[] = [];
  #sizeBytes = CBOR_HEAD_BYTES_MAX;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();

  constructor(opts: TxBatcherOptions, modules: TxBatcherModules) {
    this.#opts = opts;
    this.#modules = modules;
  }

  /** Queues one encoded signed transaction. */
  add(tx: Uint8Array): void {
    assert(tx.byteLength > 0, "TxBatcher.add: empty transaction");
    const txSizeBytes = tx.byteLength + CBOR_HEAD_BYTES_MAX;
    if (this.#txs.length > 0 && this.#sizeBytes + txSizeBytes > this.#opts.sizeBytesMax) this.flush();
    this.#txs.push(tx);
    this.#sizeBytes += txSizeBytes;
    if (this.#sizeBytes >= this.#opts.sizeBytesMax || this.#txs.length >= this.#opts.txsMax) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#opts.delayMs);
  }

  /** Publishes what is queued now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#txs.length === 0) return;
    const txs = this.#txs;
    this.#txs = [];
    this.#sizeBytes = CBOR_HEAD_BYTES_MAX;
    const sending = this.#send(txs).finally(() => this.#inFlight.delete(sending));
    this.#inFlight.add(sending);
  }

  /** Flushes and waits until every batch has been handed to gossipsub. */
  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.#inFlight);
  }

  async #send(txs: Uint8Array[]): Promise<void> {
    const batch = encodeTxBatch(txs);
    try {
      await this.#modules.publish(batch);
      this.#modules.metrics?.txBatchesTotal.inc();
      this.#modules.metrics?.txBatchTxs.observe(txs.length);
    } catch (err) {
      // Gossip is best effort: the transactions stay in the mempool and reach peers in blocks.
      this.#modules.logger.warn({ txs: txs.length, sizeBytes: batch.byteLength, err: errorMessage(err) }, "tx batch not published");
    }
  }
}
