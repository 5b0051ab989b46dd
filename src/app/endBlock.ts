/**
 * The protocol's own step after a block's transactions: staking first (evidence, downtime,
 * and at an epoch's last block unbonding, rewards and the next validator set), then governance
 * (tallies and timelocked executions see the stake as the epoch leaves it).
 */
import type { BlockState } from "./blockState.ts";
import type { EndBlockContext } from "./context.ts";
import { governanceEndBlock } from "./governance.ts";
import { stakingEndBlock } from "./staking.ts";

export function endBlock(state: BlockState, ctx: EndBlockContext): void {
  stakingEndBlock(state, ctx);
  governanceEndBlock(state, ctx);
}
