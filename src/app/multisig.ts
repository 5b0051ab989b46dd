/**
 * k-of-n authority for operations governed by a policy. The sender's own signature counts
 * when the sender is one of the policy's signers (admission verified it); each cosignature
 * in the body must come from another signer of the policy, once, over cosignMessage(tx),
 * under the key the cosigner registered. Verification is deterministic, so doing it during
 * execution keeps every replica (and `ghostmesh verify`) in agreement.
 */
import { verify } from "../crypto/index.ts";
import { cosignMessage, type Cosignature, type Tx } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import type { Account } from "./types.ts";
import type { ModuleRejection } from "./types.ts";

export type AuthorityContext = { readonly getAccount: (address: Uint8Array) => Account | undefined };

type Policy = { readonly threshold: number; readonly signers: readonly Uint8Array[] };

export function checkPolicyAuthority(tx: Tx, policy: Policy | undefined, ctx: AuthorityContext): ModuleRejection | undefined {
  const cosignatures = (tx.body as { cosignatures?: readonly Cosignature[] }).cosignatures ?? [];
  if (policy === undefined) {
    if (cosignatures.length === 0) return undefined;
    return { code: "APP_COSIGNATURES_UNEXPECTED", message: `${tx.type}: no policy governs this operation, so it takes no cosignatures` };
  }
  const signers = new Set(policy.signers.map((signer) => toHex(signer)));
  const counted = new Set<string>();
  if (signers.has(toHex(tx.from))) counted.add(toHex(tx.from));
  let message: Uint8Array | undefined;
  for (const [i, cosignature] of cosignatures.entries()) {
    const hex = toHex(cosignature.address);
    if (!signers.has(hex)) return { code: "APP_COSIGNER_NOT_IN_POLICY", message: `cosignatures[${i}]: ${hex} is not a signer of the policy` };
    if (counted.has(hex) || hex === toHex(tx.from)) return { code: "APP_DUPLICATE_COSIGNER", message: `cosignatures[${i}]: ${hex} already signed this transaction` };
    const account = ctx.getAccount(cosignature.address);
    if (account === undefined) return { code: "APP_UNKNOWN_COSIGNER", message: `cosignatures[${i}]: ${hex} is not a registered account` };
    message ??= cosignMessage(tx);
    if (!verify(account.alg, account.publicKey, message, cosignature.sig)) {
      return { code: "APP_BAD_COSIGNATURE", message: `cosignatures[${i}]: the signature of ${hex} does not verify` };
    }
    counted.add(hex);
  }
  if (counted.size < policy.threshold) {
    return { code: "APP_POLICY_THRESHOLD_NOT_MET", message: `${tx.type}: ${counted.size} of the required ${policy.threshold} authority signatures` };
  }
  return undefined;
}
