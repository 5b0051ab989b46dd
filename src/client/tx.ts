/** Building and signing transactions on the client side. */
import { addressFromPublicKey, sign, type SigningKey } from "../crypto/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { hashTx, recordsRoot, type AuditRecord, type SignedTx, type Tx } from "../ledger/index.ts";

export type TxIntent =
  | { readonly type: "account.register" }
  | { readonly type: "audit.append"; readonly record: AuditRecord }
  | { readonly type: "audit.batch"; readonly records: readonly AuditRecord[] };

export type BuiltTx = { readonly signedTx: SignedTx; readonly bytes: Uint8Array; readonly hash: Uint8Array };

export function buildTx(key: SigningKey, chainId: string, nonce: number, intent: TxIntent): BuiltTx {
  const from = addressFromPublicKey(key.alg, key.publicKey);
  const common = { chainId, from, nonce };
  let tx: Tx;
  let records: readonly AuditRecord[] | undefined;
  switch (intent.type) {
    case "account.register":
      tx = { ...common, type: "account.register", body: { alg: key.alg, publicKey: key.publicKey } };
      break;
    case "audit.append":
      tx = { ...common, type: "audit.append", body: { record: intent.record } };
      break;
    case "audit.batch":
      records = intent.records;
      tx = { ...common, type: "audit.batch", body: { recordCount: records.length, recordsRoot: recordsRoot(records) } };
      break;
  }
  const hash = hashTx(tx);
  const signedTx: SignedTx = records ? { tx, sig: sign(key, hash), records } : { tx, sig: sign(key, hash) };
  return { signedTx, bytes: encodeCanonical(signedTx), hash };
}
