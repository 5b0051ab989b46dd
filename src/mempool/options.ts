export type MempoolOptions = {
  readonly chainId: string;
  /** Transactions held (ready + waiting for an earlier nonce). Beyond it, admission fails fast. */
  readonly txsMax: number;
  /** Encoded bytes held; batches are big, so the count alone does not bound memory. */
  readonly bytesMax: number;
  /** How far ahead of the next expected nonce a transaction may be, so concurrent clients can submit out of order. */
  readonly nonceWindow: number;
  /**
   * Transactions held waiting for an earlier nonce of their sender, across all senders: the
   * rest of `txsMax` stays for transactions that can be ordered now.
   */
  readonly waitingTxsMax: number;
  /**
   * Committed blocks a transaction may wait for an earlier nonce of its sender before it is
   * dropped (refused MEMPOOL_NONCE_GAP_EXPIRED): the nonce may never come (its transaction was
   * refused at execution, its client is gone), and the wait would hold pool room forever.
   */
  readonly waitingBlocksMax: number;
};

export const defaultMempoolOptions: Omit<MempoolOptions, "chainId"> = {
  txsMax: 50_000,
  bytesMax: 512 * 1024 * 1024,
  nonceWindow: 256,
  waitingTxsMax: 12_500,
  // Far above any gap a live client leaves (a Dandelion++ embargo is seconds), and at most
  // minutes at the node's block pace.
  waitingBlocksMax: 600,
};
