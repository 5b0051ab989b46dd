/**
 * The genesis state (state version 0): balances, total supply, roles, policies, the chain mode,
 * bonds and the validator set, and parameter overrides from the genesis file's optional fields.
 */
import type { Genesis, StateWrite } from "../ledger/index.ts";
import { GhostmeshError, compareBytes, toHex } from "../util/index.ts";
import { AMOUNT_MAX, parseDecimalAmount } from "./amount.ts";
import { TOTAL_SUPPLY_KEY, balanceKey, encodeAmountValue } from "./balances.ts";
import { encodePolicy, encodeRoles, policyKey, policyProblem, rolesKey } from "./roles.ts";
import { genesisParamWrites } from "./params.ts";
import { stakingGenesisWrites } from "./stakingState.ts";

function invalid(message: string): GhostmeshError<"APP_GENESIS_INVALID", Record<string, never>> {
  return new GhostmeshError("APP_GENESIS_INVALID", `genesis: ${message}`, {});
}

/** @throws GhostmeshError APP_GENESIS_INVALID naming the bad field. */
export function genesisStateWrites(genesis: Genesis): StateWrite[] {
  const writes: StateWrite[] = [];
  const seen = new Set<string>();
  let supply = 0n;
  for (const [i, allocation] of (genesis.allocations ?? []).entries()) {
    const hex = toHex(allocation.address);
    if (seen.has(hex)) throw invalid(`allocations[${i}]: address ${hex} is allocated twice`);
    seen.add(hex);
    const amount = parseDecimalAmount(allocation.amount, `allocations[${i}].amount`);
    supply += amount;
    if (supply > AMOUNT_MAX) throw invalid("allocations: the total supply exceeds 2^256-1");
    writes.push({ key: balanceKey(allocation.address), value: encodeAmountValue(amount) });
  }
  const staking = stakingGenesisWrites(genesis);
  supply += staking.bonded;
  if (supply > AMOUNT_MAX) throw invalid("allocations and bonds: the total supply exceeds 2^256-1");
  if (genesis.allocations !== undefined || staking.bonded > 0n) writes.push({ key: TOTAL_SUPPLY_KEY, value: encodeAmountValue(supply) });
  writes.push(...roleWrites(genesis), ...policyWrites(genesis), ...staking.writes, ...genesisParamWrites(genesis.params));
  return writes.sort((a, b) => compareBytes(a.key, b.key));
}

function roleWrites(genesis: Genesis): StateWrite[] {
  if (genesis.roles === undefined) return [];
  const writes: StateWrite[] = [];
  const seen = new Set<string>();
  let admins = 0;
  for (const [i, entry] of genesis.roles.entries()) {
    const hex = toHex(entry.address);
    if (seen.has(hex)) throw invalid(`roles[${i}]: address ${hex} is listed twice`);
    seen.add(hex);
    if (new Set(entry.roles).size !== entry.roles.length) throw invalid(`roles[${i}]: a role is listed twice`);
    if (entry.roles.includes("admin")) admins++;
    writes.push({ key: rolesKey(entry.address), value: encodeRoles(entry.roles) });
  }
  if (admins === 0) throw invalid("roles: at least one address must hold the admin role");
  return writes;
}

function policyWrites(genesis: Genesis): StateWrite[] {
  const writes: StateWrite[] = [];
  const seen = new Set<string>();
  for (const [i, policy] of (genesis.policies ?? []).entries()) {
    if (seen.has(policy.operation)) throw invalid(`policies[${i}]: operation ${policy.operation} has two policies`);
    seen.add(policy.operation);
    const problem = policyProblem(policy);
    if (problem) throw invalid(`policies[${i}]: ${problem.message}`);
    writes.push({ key: policyKey(policy.operation), value: encodePolicy(policy) });
  }
  return writes;
}
