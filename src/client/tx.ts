/** Building and signing transactions on the client side. */
import { addressFromPublicKey, sign, type SigningKey } from "../crypto/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { cosignMessage, hashTx, recordsRoot, type AuditRecord, type PolicyOperation, type Role, type SignedTx, type Tx } from "../ledger/index.ts";
import { encodeAmount } from "../app/index.ts";

export type TxIntent =
  | { readonly type: "account.register" }
  | { readonly type: "audit.append"; readonly record: AuditRecord }
  | { readonly type: "audit.batch"; readonly records: readonly AuditRecord[] }
  | { readonly type: "token.transfer"; readonly to: Uint8Array; readonly amount: bigint }
  | { readonly type: "roles.grant" | "roles.revoke"; readonly address: Uint8Array; readonly role: Role }
  | { readonly type: "roles.setPolicy"; readonly operation: PolicyOperation; readonly threshold: number; readonly signers: readonly Uint8Array[] }
  | ModuleTxIntent;

/** Staking, governance and environment transactions: the body as it goes on the wire (ledger/moduleTxs.ts). */
export type ModuleTx = Extract<Tx, { type: `staking.${string}` | `gov.${string}` | `env.${string}` }>;
export type ModuleTxIntent = { readonly [T in ModuleTx["type"]]: { readonly type: T; readonly body: Extract<ModuleTx, { type: T }>["body"] } }[ModuleTx["type"]];

export type BuiltTx = { readonly signedTx: SignedTx; readonly bytes: Uint8Array; readonly hash: Uint8Array };

/** `cosigners`: keys whose cosignatures go into a roles transaction's body (multi-signature policies, decision 0600). */
export type BuildOptions = { readonly cosigners?: readonly SigningKey[] };

export function buildTx(key: SigningKey, chainId: string, nonce: number, intent: TxIntent, opts: BuildOptions = {}): BuiltTx {
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
    case "token.transfer":
      tx = { ...common, type: "token.transfer", body: { to: intent.to, amount: encodeAmount(intent.amount) } };
      break;
    case "roles.grant":
    case "roles.revoke":
      tx = { ...common, type: intent.type, body: { address: intent.address, role: intent.role } };
      break;
    case "roles.setPolicy":
      tx = { ...common, type: "roles.setPolicy", body: { operation: intent.operation, threshold: intent.threshold, signers: intent.signers } };
      break;
    default:
      tx = { ...common, type: intent.type, body: intent.body } as Tx;
  }
  tx = withCosignatures(tx, opts.cosigners ?? []);
  const hash = hashTx(tx);
  const signedTx: SignedTx = records ? { tx, sig: sign(key, hash), records } : { tx, sig: sign(key, hash) };
  return { signedTx, bytes: encodeCanonical(signedTx), hash };
}

const COSIGNED_TX_TYPES: readonly string[] = ["roles.grant", "roles.revoke", "roles.setPolicy", "env.promote"];

/** Adds the cosigners' signatures over cosignMessage(tx) to a governed transaction's body (roles.*, env.promote). */
export function withCosignatures(tx: Tx, cosigners: readonly SigningKey[]): Tx {
  if (cosigners.length === 0) return tx;
  if (!COSIGNED_TX_TYPES.includes(tx.type)) {
    throw new Error(`${tx.type} takes no cosignatures; only ${COSIGNED_TX_TYPES.join(", ")} do`);
  }
  const message = cosignMessage(tx);
  const cosignatures = cosigners.map((cosigner) => ({ address: addressFromPublicKey(cosigner.alg, cosigner.publicKey), sig: sign(cosigner, message) }));
  return { ...tx, body: { ...tx.body, cosignatures } } as Tx;
}
