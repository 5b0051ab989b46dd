/** JSON of the application modules' transaction bodies (decision 0600): amounts as decimal strings, addresses as gm…. */
import { formatAddress } from "../../crypto/index.ts";
import { decodeAmount } from "../../app/index.ts";
import type { Cosignature, SignedTx } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";

function cosignaturesJson(cosignatures: readonly Cosignature[] | undefined) {
  return cosignatures === undefined ? {} : { cosignatures: cosignatures.map((c) => ({ address: formatAddress(c.address), sig: toHex(c.sig) })) };
}

const ADDRESS_FIELDS = new Set(["to", "validator", "address", "signers"]);
const AMOUNT_FIELDS = new Set(["amount", "deposit"]);

/**
 * JSON of a staking, governance or environment body (decision 0601): byte strings in address
 * fields as gm…, amounts as decimal strings, other bytes (hashes, signatures) as hex.
 */
function moduleValueJson(value: unknown, field: string): unknown {
  if (value instanceof Uint8Array) {
    if (ADDRESS_FIELDS.has(field) && value.length === 20) return formatAddress(value);
    if (AMOUNT_FIELDS.has(field)) return decodeAmount(value).toString();
    return toHex(value);
  }
  if (Array.isArray(value)) return value.map((item) => moduleValueJson(item, field));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, moduleValueJson(item, key)]));
  }
  return value;
}

/** The body of a module transaction; undefined for other types (api/json.ts handles those). */
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
    case "account.register":
    case "audit.append":
    case "audit.batch":
      return undefined;
    default:
      return moduleValueJson(tx.body, "body");
  }
}
