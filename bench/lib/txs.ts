/**
 * Pre-built, pre-signed transactions for the benches. Signing happens before any timing, on
 * the threadpool (signAsync) so that preparing thousands of ML-DSA signatures takes seconds,
 * not tens of seconds; the bytes are exactly what a client sends (client/tx.ts builds the same).
 */
import { addressFromPublicKey, generateSigningKey, signAsync, type SigningKey } from "../../src/crypto/index.ts";
import { encodeSignedTx, hashTx, recordsRoot, type AuditRecord, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import { toHex } from "../../src/util/index.ts";
import { BENCH_CHAIN_ID } from "./fixture.ts";
import { runBounded } from "./timing.ts";

/** Enough signatures in flight to keep every threadpool thread busy. */
const SIGN_IN_FLIGHT_MAX = 32;

export type PreparedTx = {
  readonly key: SigningKey;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  readonly sig: Uint8Array;
  readonly recordCount: number;
};

export type TxPlan =
  | { readonly key: SigningKey; readonly nonce: number; readonly type: "account.register" }
  | { readonly key: SigningKey; readonly nonce: number; readonly type: "audit.append"; readonly record: AuditRecord }
  | { readonly key: SigningKey; readonly nonce: number; readonly type: "audit.batch"; readonly records: readonly AuditRecord[] };

function unsignedTx(plan: TxPlan, chainId: string): Tx {
  const common = { chainId, from: addressFromPublicKey(plan.key.alg, plan.key.publicKey), nonce: plan.nonce };
  switch (plan.type) {
    case "account.register":
      return { ...common, type: "account.register", body: { alg: plan.key.alg, publicKey: plan.key.publicKey } };
    case "audit.append":
      return { ...common, type: "audit.append", body: { record: plan.record } };
    case "audit.batch":
      return { ...common, type: "audit.batch", body: { recordCount: plan.records.length, recordsRoot: recordsRoot(plan.records) } };
  }
}

async function prepareTx(plan: TxPlan, chainId: string): Promise<PreparedTx> {
  const tx = unsignedTx(plan, chainId);
  const hash = hashTx(tx);
  const sig = await signAsync(plan.key, hash);
  const signedTx: SignedTx = plan.type === "audit.batch" ? { tx, sig, records: plan.records } : { tx, sig };
  const recordCount = plan.type === "audit.batch" ? plan.records.length : 1;
  return { key: plan.key, bytes: encodeSignedTx(signedTx), hash, hashHex: toHex(hash), sig, recordCount };
}

/** Signs every plan for `chainId` (the benches' own chain unless a running devnet's is given). */
export async function prepareTxs(plans: readonly TxPlan[], chainId: string = BENCH_CHAIN_ID): Promise<PreparedTx[]> {
  const prepared: PreparedTx[] = new Array<PreparedTx>(plans.length);
  await runBounded(plans, SIGN_IN_FLIGHT_MAX, async (plan, index) => {
    prepared[index] = await prepareTx(plan, chainId);
  });
  return prepared;
}

export function generateKeys(count: number): SigningKey[] {
  return Array.from({ length: count }, () => generateSigningKey());
}

/**
 * A realistic audit record (~80 bytes encoded): an action from a small vocabulary (so the
 * by-action index has the shape it has in production), a subject, and a little data.
 */
export function auditRecord(account: number, sequence: number): AuditRecord {
  const actions = ["document.read", "document.write", "user.login", "role.grant", "env.promote"] as const;
  return {
    action: actions[sequence % actions.length] as string,
    subject: `doc:${account}-${sequence}`,
    data: { user: `user${sequence % 997}@example.org`, ip: `10.${account % 256}.${(sequence >> 8) & 255}.${sequence & 255}`, ok: sequence % 11 !== 0 },
  };
}
