/**
 * An idle network with empty blocks and one validator down keeps committing. While idle the
 * host postpones its view timer (nothing to order, nothing to time out for); when an empty
 * block falls due, the leader wakes on its next pacing check (every quarter interval), and the
 * others' postponed timers fire too. Fired at once, they timed out the leader's view before its
 * proposal arrived; the next leader, entered by that timeout certificate, proposed at once, so
 * blocks landed only every other view and the 2-chain rule (a block and its child in
 * consecutive views) committed nothing until a leader happened to win the race.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { decodeStoredHeader } from "../../../src/ledger/index.ts";
import { startCluster, TEST_TIMING, waitFor, type Cluster } from "./cluster.ts";

const HEIGHT_TARGET = 14;

describe("an idle network with a validator down", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(4, { emptyIntervalMs: TEST_TIMING.viewTimeoutBaseMs, start: [0, 1, 2] });
  });
  after(async () => {
    await cluster.close();
  });

  it("commits its empty blocks in consecutive views: a live leader's view does not time out", async () => {
    const validator = cluster.validators[0]!;
    await waitFor(`height ${HEIGHT_TARGET}`, () => (validator.chain.head.height >= HEIGHT_TARGET ? true : undefined), 60_000);
    const views: number[] = [];
    for (let height = 1; height <= HEIGHT_TARGET; height++) views.push(decodeStoredHeader(validator.chain.store.getBlock(height)!.header, height).view);
    // Views led by validator 3 (down) time out, the others' each hold a block: of every four
    // views three have blocks, two of them right after a block of the view before.
    let consecutive = 0;
    for (let i = 1; i < views.length; i++) if (views[i] === views[i - 1]! + 1) consecutive++;
    assert.ok(consecutive * 2 >= views.length - 1, `committed block views ${views.join(", ")}: ${consecutive} of ${views.length - 1} follow the view before`);
  });
});
