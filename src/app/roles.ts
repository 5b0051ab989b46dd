/**
 * RBAC roles and multi-signature policies in the state tree (decision 0600):
 *
 *   0x04 || address          → canonical CBOR array of role names, sorted (empty: no roles)
 *   0x05 || utf8(operation)  → canonical CBOR {threshold, signers}, signers sorted bytewise
 *
 * Only admins grant, revoke and set policies. An operation with a policy also needs
 * `threshold` distinct authority signatures from `signers` (multisig.ts).
 */
import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES } from "../crypto/index.ts";
import { POLICY_OPERATIONS, POLICY_SIGNERS_MAX, ROLES, type PolicyOperation, type Role, type Tx } from "../ledger/index.ts";
import { compareBytes, concatBytes, toHex, utf8 } from "../util/index.ts";
import type { BlockState, StateGetter } from "./blockState.ts";
import { checkPolicyAuthority, type AuthorityContext } from "./multisig.ts";
import type { ModuleRejection } from "./types.ts";

const ROLES_PREFIX = new Uint8Array([0x04]);
const POLICY_PREFIX = new Uint8Array([0x05]);

export type Policy = { readonly threshold: number; readonly signers: readonly Uint8Array[] };

const rolesValueSchema = s.array(s.oneOf(ROLES), { maxLength: ROLES.length });
const policyValueSchema = s.object({
  threshold: s.uint({ min: 1, max: POLICY_SIGNERS_MAX }),
  signers: s.array(s.bytes({ size: ADDRESS_SIZE_BYTES }), { minLength: 1, maxLength: POLICY_SIGNERS_MAX }),
});

export function rolesKey(address: Uint8Array): Uint8Array {
  return concatBytes([ROLES_PREFIX, address]);
}

export function policyKey(operation: PolicyOperation): Uint8Array {
  return concatBytes([POLICY_PREFIX, utf8(operation)]);
}

/** Roles in the fixed ROLES order, so a role set has one encoding. */
export function encodeRoles(roles: Iterable<Role>): Uint8Array {
  const held = new Set(roles);
  return encodeCanonical(ROLES.filter((role) => held.has(role)));
}

export function readRoles(get: StateGetter, address: Uint8Array): Role[] {
  const bytes = get(rolesKey(address));
  return bytes === undefined ? [] : decodeWith(rolesValueSchema, bytes, "roles");
}

export function encodePolicy(policy: Policy): Uint8Array {
  return encodeCanonical({ threshold: policy.threshold, signers: [...policy.signers].sort(compareBytes) });
}

export function readPolicy(get: StateGetter, operation: PolicyOperation): Policy | undefined {
  const bytes = get(policyKey(operation));
  return bytes === undefined ? undefined : decodeWith(policyValueSchema, bytes, "policy");
}

/** Every policy in state, by operation (for the API). */
export function readPolicies(get: StateGetter): { operation: PolicyOperation; policy: Policy }[] {
  const out: { operation: PolicyOperation; policy: Policy }[] = [];
  for (const operation of POLICY_OPERATIONS) {
    const policy = readPolicy(get, operation);
    if (policy !== undefined) out.push({ operation, policy });
  }
  return out;
}

/** A policy's own rules, checked at genesis and by roles.setPolicy. */
export function policyProblem(policy: Policy): ModuleRejection | undefined {
  const distinct = new Set(policy.signers.map((signer) => toHex(signer)));
  if (distinct.size !== policy.signers.length) return { code: "APP_POLICY_DUPLICATE_SIGNER", message: "a policy names each signer once" };
  if (policy.threshold > policy.signers.length) {
    return { code: "APP_POLICY_THRESHOLD_TOO_HIGH", message: `threshold ${policy.threshold} exceeds the ${policy.signers.length} signers` };
  }
  return undefined;
}

type RolesTx = Extract<Tx, { type: "roles.grant" | "roles.revoke" | "roles.setPolicy" }>;

/** The policy operation a roles transaction performs. */
export function operationOf(tx: RolesTx): PolicyOperation {
  if (tx.type === "roles.setPolicy") return "roles.setPolicy";
  return tx.body.role === "admin" ? `${tx.type}.admin` : tx.type;
}

export function applyRolesTx(state: BlockState, tx: RolesTx, authority: AuthorityContext): ModuleRejection | undefined {
  const get = (key: Uint8Array) => state.get(key);
  if (!readRoles(get, tx.from).includes("admin")) {
    return { code: "APP_NOT_ADMIN", message: `${tx.type}: sender ${toHex(tx.from)} does not hold the admin role` };
  }
  const problem = checkPolicyAuthority(tx, readPolicy(get, operationOf(tx)), authority);
  if (problem) return problem;
  if (tx.type === "roles.setPolicy") {
    const policy = { threshold: tx.body.threshold, signers: tx.body.signers };
    const invalid = policyProblem(policy);
    if (invalid) return invalid;
    state.set(policyKey(tx.body.operation), encodePolicy(policy));
    return undefined;
  }
  const { address, role } = tx.body;
  const held = readRoles(get, address);
  if (tx.type === "roles.grant") {
    if (held.includes(role)) return { code: "APP_ROLE_ALREADY_HELD", message: `${toHex(address)} already holds ${role}` };
    state.set(rolesKey(address), encodeRoles([...held, role]));
  } else {
    if (!held.includes(role)) return { code: "APP_ROLE_NOT_HELD", message: `${toHex(address)} does not hold ${role}` };
    state.set(rolesKey(address), encodeRoles(held.filter((r) => r !== role)));
  }
  return undefined;
}
