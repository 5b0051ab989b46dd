/**
 * Four validators in one process whose shared wall clock is stepped back a minute behind the
 * committed head (an NTP step, a VM restored from a snapshot): proposals repeat the head's
 * timestamp, every validator accepts them, and transactions keep committing. Before, every
 * proposal was refused as "ahead of this validator's clock" until the clocks caught up, so the
 * chain stood still for the length of the step. An idle chain keeps making its empty blocks,
 * their interval measured on the monotonic clock while the wall clock stands behind the head.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { commitNext, newAccount, signNext, startCluster, waitFor, type Cluster } from "./cluster.ts";

const STEP_BACK_MS = 60_000;
const EMPTY_INTERVAL_MS = 200;

describe("consensus in the node: a wall clock stepped back behind the head", () => {
  let cluster: Cluster;
  let offsetMs = 0;

  before(async () => {
    cluster = await startCluster(4, { clock: { nowMs: () => Date.now() + offsetMs }, emptyIntervalMs: EMPTY_INTERVAL_MS });
  });

  after(async () => {
    await cluster?.close();
  });

  it("keeps committing, with blocks that repeat the head's timestamp until the clock catches up", async () => {
    const account = newAccount();
    await commitNext(cluster, account, { type: "account.register" });
    const validator = cluster.validators[0]!;
    const headBefore = validator.chain.head;
    offsetMs = -STEP_BACK_MS;
    for (let i = 0; i < 3; i++) {
      const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc", data: { i } } });
      const response = await cluster.client(i + 1).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 });
      assert.equal(response.status, "committed", `append ${i} commits with the clocks a minute behind the head`);
    }
    const head = validator.chain.head;
    assert.ok(head.height > headBefore.height);
    // Blocks proposed after the step repeat their parent's time; only those already in flight at the step are later, by milliseconds.
    assert.ok(head.timestamp >= headBefore.timestamp && head.timestamp < headBefore.timestamp + 5_000, `head time ${head.timestamp} stays at the step's ${headBefore.timestamp}`);
  });

  it("keeps making empty blocks while idle, although block timestamps stand still", async () => {
    const validator = cluster.validators[0]!;
    const from = validator.chain.head.height;
    await waitFor("five empty blocks with the clock behind the head", () => (validator.chain.head.height >= from + 5 ? true : undefined), 20_000);
    assert.ok(Date.now() + offsetMs < validator.chain.head.timestamp, "the wall clock is still behind the chain's time");
  });
});
