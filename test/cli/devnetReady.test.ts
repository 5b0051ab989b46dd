import { test } from "node:test";
import assert from "node:assert/strict";
import { readyTimeoutMs } from "../../src/cli/cmds/devnet.ts";

test("devnet: nodes get 30 s to serve per round of starts the cores run side by side", () => {
  assert.equal(readyTimeoutMs(1, 2), 30_000);
  assert.equal(readyTimeoutMs(4, 4), 30_000);
  assert.equal(readyTimeoutMs(4, 2), 60_000);
  assert.equal(readyTimeoutMs(20, 2), 300_000, "twenty validators on two cores");
  assert.equal(readyTimeoutMs(5, 0), 150_000, "a machine reporting no cores counts as one");
});
