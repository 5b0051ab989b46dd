/**
 * Software upgrades decided on chain (governance `upgrade` proposals, decision 0603): from the
 * plan's activation height on, only nodes running the plan's version take part. An older node
 * refuses to propose or vote for those blocks and says what to install, rather than keep
 * running rules the network has left behind.
 */
import { readFileSync } from "node:fs";
import { readUpgradePlan, type UpgradePlan } from "../app/index.ts";

type StateGetter = (key: Uint8Array) => Uint8Array | undefined;

/** This software's version: package.json's, so one number names a release. */
export const NODE_SOFTWARE_VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The plan this node cannot run block `height` under, or undefined. */
export function upgradeRequiredAt(get: StateGetter, height: number, version: string = NODE_SOFTWARE_VERSION): UpgradePlan | undefined {
  const plan = readUpgradePlan(get);
  return plan !== undefined && height >= plan.activationHeight && plan.version !== version ? plan : undefined;
}

export function upgradeRequiredMessage(plan: UpgradePlan, version: string = NODE_SOFTWARE_VERSION): string {
  return `governance proposal ${plan.proposalId} activated version ${plan.version} at height ${plan.activationHeight}; this node runs ${version}: install ${plan.version} and restart it`;
}
