/**
 * Offline transactions (decision 0601): `tx build` writes a file, `tx sign` adds the sender's
 * signature or a cosignature, `tx broadcast` sends it. The file keeps the transaction as its
 * exact canonical CBOR (hex), so what the signers see hashed is what the node receives; a
 * `summary` beside it is for people and is never read back.
 *
 * Order matters: cosignatures live in the signed body (decision 0600), so cosigners sign
 * first and the sender last. Adding a cosignature to a sender-signed file drops the sender's
 * signature (the body changed) and says so.
 */
import { addressFromPublicKey, formatAddress, parseAddress, sign, type SigningKey } from "../crypto/index.ts";
import { decodeWith, encodeCanonical, toJsonValue, type CborValue } from "../codec/index.ts";
import { cosignMessage, hashTx, txSchema, type Cosignature, type SignedTx, type Tx } from "../ledger/index.ts";
import { encodeAmount, parseDecimalAmount } from "../app/index.ts";
import { GhostmeshError, bytesEqual, fromHexOrUndefined, toHex } from "../util/index.ts";

export const TX_FILE_FORMAT = "ghostmesh-tx/1";

export type TxFile = {
  readonly format: typeof TX_FILE_FORMAT;
  /** hashTx(tx): what the sender signs. */
  readonly hash: string;
  readonly summary: unknown;
  /** Canonical CBOR of the unsigned transaction (cosignatures included), hex. */
  readonly tx: string;
  /** The sender's signature over `hash`, hex; null until `tx sign` with the sender's key. */
  readonly sig: string | null;
};

function fileError(message: string): GhostmeshError<"CLIENT_TX_FILE_INVALID", Record<string, never>> {
  return new GhostmeshError("CLIENT_TX_FILE_INVALID", message, {});
}

const ADDRESS_FIELDS = new Set(["to", "validator", "address", "signers", "from"]);
const AMOUNT_FIELDS = new Set(["amount", "deposit"]);
const HEX_FIELDS = new Set(["stateHash", "recordsRoot", "publicKey", "sig"]);

/**
 * A body from the JSON people write: addresses as gm…, amounts as decimal strings, hashes as
 * hex; everything else as is. The schema check afterwards names any field still wrong.
 */
export function bodyFromJson(value: unknown, field = "body"): unknown {
  if (typeof value === "string") {
    if (ADDRESS_FIELDS.has(field)) return parseAddress(value);
    if (AMOUNT_FIELDS.has(field)) return encodeAmount(parseDecimalAmount(value, field));
    if (HEX_FIELDS.has(field)) {
      const bytes = fromHexOrUndefined(value.startsWith("0x") ? value.slice(2) : value);
      if (bytes === undefined) throw fileError(`${field}: expected hex, got "${value.slice(0, 80)}"`);
      return bytes;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => bodyFromJson(item, field));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, bodyFromJson(item, key)]));
  return value;
}

/** Builds the unsigned transaction; the schema refuses a wrong type or body, naming the field. */
export function buildUnsignedTx(fields: { chainId: string; from: Uint8Array; nonce: number; type: string; body: unknown }): Tx {
  const candidate = { chainId: fields.chainId, from: fields.from, nonce: fields.nonce, type: fields.type, body: fields.body };
  return decodeWith(txSchema, encodeCanonical(candidate as unknown as CborValue), "tx");
}

export function txFileOf(tx: Tx, sig: Uint8Array | null): TxFile {
  const summary = { chainId: tx.chainId, from: formatAddress(tx.from), nonce: tx.nonce, type: tx.type, body: toJsonValue(tx.body as unknown as CborValue) };
  return { format: TX_FILE_FORMAT, hash: toHex(hashTx(tx)), summary, tx: toHex(encodeCanonical(tx)), sig: sig === null ? null : toHex(sig) };
}

export function parseTxFile(json: unknown, source: string): { tx: Tx; sig: Uint8Array | null } {
  const file = json as Partial<TxFile> | null;
  if (file === null || typeof file !== "object" || file.format !== TX_FILE_FORMAT) throw fileError(`${source}: not a ${TX_FILE_FORMAT} file (build one with ghostmesh tx build)`);
  const bytes = typeof file.tx === "string" ? fromHexOrUndefined(file.tx) : undefined;
  if (bytes === undefined) throw fileError(`${source}: "tx" must be the transaction's CBOR as hex`);
  const tx = decodeWith(txSchema, bytes, `${source}: tx`);
  if (!bytesEqual(encodeCanonical(tx), bytes)) throw fileError(`${source}: "tx" is not canonical CBOR`);
  let sig: Uint8Array | null = null;
  if (file.sig !== null && file.sig !== undefined) {
    sig = typeof file.sig === "string" ? (fromHexOrUndefined(file.sig) ?? null) : null;
    if (sig === null) throw fileError(`${source}: "sig" must be hex or null`);
  }
  return { tx, sig };
}

const senderOf = (key: SigningKey) => addressFromPublicKey(key.alg, key.publicKey);

/**
 * Signs with `key`: the sender's signature when `key` is the sender's, else a cosignature
 * (the sender's existing signature is then dropped: `droppedSenderSig`).
 */
export function signTxFile(tx: Tx, sig: Uint8Array | null, key: SigningKey): { tx: Tx; sig: Uint8Array | null; role: "sender" | "cosigner"; droppedSenderSig: boolean } {
  if (bytesEqual(senderOf(key), tx.from)) return { tx, sig: sign(key, hashTx(tx)), role: "sender", droppedSenderSig: false };
  const body = tx.body as { cosignatures?: readonly Cosignature[] };
  const signer = senderOf(key);
  if ((body.cosignatures ?? []).some((c) => bytesEqual(c.address, signer))) {
    throw fileError(`${formatAddress(signer)} already cosigned this transaction`);
  }
  const cosignature = { address: signer, sig: sign(key, cosignMessage(tx)) };
  const cosigned = { ...tx, body: { ...tx.body, cosignatures: [...(body.cosignatures ?? []), cosignature] } } as Tx;
  // Re-decoding applies the schema: a type that takes no cosignatures is refused here.
  const checked = buildUnsignedTx(cosigned);
  return { tx: checked, sig: null, role: "cosigner", droppedSenderSig: sig !== null };
}

/** The signed transaction ready to send; the sender's signature must verify under `key`'s public key when given. */
export function signedTxOfFile(tx: Tx, sig: Uint8Array | null): SignedTx {
  if (sig === null) throw fileError("the transaction has no sender signature yet: run ghostmesh tx sign FILE --key SENDER_KEY (after any cosigners)");
  return { tx, sig };
}
