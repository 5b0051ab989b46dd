/**
 * Hard limits of the ledger protocol. Every wire object is bounded so a hostile peer or
 * client cannot make a node allocate without bound. Changing one is a protocol change.
 */
export const CHAIN_ID_BYTES_MAX = 64;
/** Lowercase letters, digits and dashes, so a chain id is safe in file names and URLs. */
export const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export const AUDIT_ACTION_BYTES_MAX = 128;
export const AUDIT_SUBJECT_BYTES_MAX = 512;
/** Free-form data per record; big payloads belong in the blob store, with their hash here. */
export const AUDIT_DATA_BYTES_MAX = 16 * 1024;
export const AUDIT_DATA_DEPTH_MAX = 16;

/** One signature check admits up to this many records (issue #2). */
export const BATCH_RECORDS_MAX = 10_000;

/** Encoded size of a non-batch signed transaction. */
export const TX_BYTES_MAX = 64 * 1024;
/** Encoded size of a signed audit.batch including its records. */
export const BATCH_TX_BYTES_MAX = 8 * 1024 * 1024;
/** What any decoder accepts before looking at the type: the larger of the two. */
export const TX_WIRE_BYTES_MAX = BATCH_TX_BYTES_MAX;

export const SIGNATURE_BYTES_MAX = 4_627;
export const PUBLIC_KEY_BYTES_MAX = 2_592;
export const NONCE_MAX = Number.MAX_SAFE_INTEGER;

/** Blocks are bounded by transactions and by log entries (records). */
export const BLOCK_TXS_MAX = 10_000;
export const BLOCK_ENTRIES_MAX = 200_000;

/** Token amounts and balances are unsigned integers below 2^256 (32 bytes big-endian). */
export const AMOUNT_BYTES_MAX = 32;
/** Authority signatures a multi-signature policy may name, and cosignatures one transaction may carry. */
export const POLICY_SIGNERS_MAX = 32;
export const COSIGNATURES_MAX = POLICY_SIGNERS_MAX;
