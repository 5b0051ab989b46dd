/** RBAC roles and multi-signature policies, from the committed state (docs/decisions/0600). */
import { formatAddress } from "../../crypto/index.ts";
import { readPolicies, readRoles } from "../../app/index.ts";
import { requireAddress } from "../params.ts";
import type { RouteFactory } from "../types.ts";

export const rolesRoutes: RouteFactory = ({ chain }) => [
  {
    method: "GET",
    url: "/v1/roles/:address",
    summary: "The roles an address holds in the committed state",
    params: { address: "account address (gm…)" },
    async handler(request) {
      const { address: text } = request.params as { address: string };
      const address = requireAddress(text, "address");
      return { address: formatAddress(address), height: chain.head.height, roles: readRoles((key) => chain.state.get(key) ?? undefined, address) };
    },
  },
  {
    method: "GET",
    url: "/v1/policies",
    summary: "The multi-signature policies in the committed state: operation, threshold and signers",
    async handler() {
      const policies = readPolicies((key) => chain.state.get(key) ?? undefined).map(({ operation, policy }) => ({
        operation,
        threshold: policy.threshold,
        signers: policy.signers.map((signer) => formatAddress(signer)),
      }));
      return { height: chain.head.height, policies };
    },
  },
];
