export type MempoolOptions = {
  readonly chainId: string;
  /** Transactions held (ready + waiting for an earlier nonce). Beyond it, admission fails fast. */
  readonly txsMax: number;
  /** Encoded bytes held; batches are big, so the count alone does not bound memory. */
  readonly bytesMax: number;
  /** How far ahead of the next expected nonce a transaction may be, so concurrent clients can submit out of order. */
  readonly nonceWindow: number;
};

export const defaultMempoolOptions: Omit<MempoolOptions, "chainId"> = {
  txsMax: 50_000,
  bytesMax: 512 * 1024 * 1024,
  nonceWindow: 256,
};
