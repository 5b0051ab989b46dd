/** Staking queries from the committed state (docs/decisions/0602): validators, delegations, unbonding queue. */
import { formatAddress } from "../../crypto/index.ts";
import {
  CANDIDATES_KEY,
  delegatorIndexKey,
  readAddressList,
  readChainMode,
  readDelegation,
  readMissed,
  readTotalBonded,
  readUnbonding,
  readValidatorRecord,
  readValidatorSet,
} from "../../app/index.ts";
import { compareBytes } from "../../util/index.ts";
import { requireAddress } from "../params.ts";
import type { RouteFactory } from "../types.ts";

export const stakingRoutes: RouteFactory = ({ chain }) => {
  const get = (key: Uint8Array) => chain.state.get(key) ?? undefined;
  return [
    {
      method: "GET",
      url: "/v1/staking/validators",
      summary: "The app's validator set (address, power) and every candidate (stake, jailed, jailedUntilEpoch, missed); amounts are decimal strings",
      async handler() {
        const set = readValidatorSet(get);
        const inSet = (address: Uint8Array) => set.some((entry) => compareBytes(entry.address, address) === 0);
        const candidates = readAddressList(get, CANDIDATES_KEY, "candidates").map((address) => {
          const record = readValidatorRecord(get, address);
          return {
            address: formatAddress(address),
            stake: String(record?.stake ?? 0n),
            jailed: record?.jailed ?? false,
            jailedUntilEpoch: record?.jailedUntilEpoch ?? 0,
            missed: readMissed(get, address),
            inValidatorSet: inSet(address),
          };
        });
        return {
          height: chain.head.height,
          mode: readChainMode(get),
          totalBonded: String(readTotalBonded(get)),
          validatorSet: set.map((entry) => ({ address: formatAddress(entry.address), power: String(entry.power) })),
          candidates,
        };
      },
    },
    {
      method: "GET",
      url: "/v1/staking/delegations/:address",
      summary: "The delegations of an address (its self-bond included) and its pending unbondings",
      params: { address: "delegator address (gm…)" },
      async handler(request) {
        const { address: text } = request.params as { address: string };
        const delegator = requireAddress(text, "address");
        const delegations = readAddressList(get, delegatorIndexKey(delegator), "delegator index").map((validator) => ({
          validator: formatAddress(validator),
          amount: String(readDelegation(get, delegator, validator)),
        }));
        const unbonding = readUnbonding(get)
          .filter((entry) => compareBytes(entry.delegator, delegator) === 0)
          .map((entry) => ({ validator: formatAddress(entry.validator), amount: String(entry.amount), releaseEpoch: entry.releaseEpoch }));
        return { height: chain.head.height, address: formatAddress(delegator), delegations, unbonding };
      },
    },
    {
      method: "GET",
      url: "/v1/staking/unbonding",
      summary: "The chain's unbonding queue: each entry returns to the delegator's balance at the end of its release epoch",
      async handler() {
        const queue = readUnbonding(get).map((entry) => ({
          delegator: formatAddress(entry.delegator),
          validator: formatAddress(entry.validator),
          amount: String(entry.amount),
          releaseEpoch: entry.releaseEpoch,
        }));
        return { height: chain.head.height, unbonding: queue };
      },
    },
  ];
};
