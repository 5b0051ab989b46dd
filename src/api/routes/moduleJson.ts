/** JSON of the application modules' transaction bodies (decision 0600): amounts as decimal strings, addresses as gm…. */
import { formatAddress } from "../../crypto/index.ts";
import { decodeAmount } from "../../app/index.ts";
import type { Cosignature, SignedTx } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";

function cosignaturesJson(cosignatures: readonly Cosignature[] | undefined) {
  return cosignatures === undefined ? {} : { cosignatures: cosignatures.map((c) => ({ address: formatAddress(c.address), sig: toHex(c.sig) })) };
}

/** The body of a token.* or roles.* transaction; undefined for other types (api/json.ts handles those). */
export function moduleTxBodyJson(signedTx: SignedTx): unknown {
  const { tx } = signedTx;
  switch (tx.type) {
    case "token.transfer":
      return { to: formatAddress(tx.body.to), amount: decodeAmount(tx.body.amount).toString() };
    case "roles.grant":
    case "roles.revoke":
      return { address: formatAddress(tx.body.address), role: tx.body.role, ...cosignaturesJson(tx.body.cosignatures) };
    case "roles.setPolicy":
      return { operation: tx.body.operation, threshold: tx.body.threshold, signers: tx.body.signers.map((s) => formatAddress(s)), ...cosignaturesJson(tx.body.cosignatures) };
    default:
      return undefined;
  }
}
