import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeConsensusMessage, encodeConsensusMessage, type ConsensusMessage } from "../../src/consensus/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { createCluster, pump, sent, startAll } from "./harness.ts";

test("wire: every message a cluster sends decodes back to itself", () => {
  const cluster = createCluster(4, 31);
  const log = pump(cluster, startAll(cluster), (e, to) => !(to === 3 && e.message.type === "proposal" && e.message.block.header.view === 2) && (e.message.type !== "proposal" || e.message.block.header.view <= 5));
  const messages: ConsensusMessage[] = log.flatMap((actions) => sent(actions).map((s) => s.message));
  const types = new Set(messages.map((m) => m.type));
  for (const type of ["proposal", "vote", "blockRequest", "blockResponse"]) assert.ok(types.has(type as ConsensusMessage["type"]), `saw a ${type}`);
  for (const message of messages) assert.deepEqual(decodeConsensusMessage(encodeConsensusMessage(message)), message);
});

test("wire: malformed messages are refused naming the field", () => {
  const vote = { type: "vote", epoch: 0, view: 3, height: 2, blockHash: new Uint8Array(32), sender: 1, signature: new Uint8Array(64) };
  assert.ok(decodeConsensusMessage(encodeCanonical(vote)));
  const bad: [object, RegExp][] = [
    [{ ...vote, type: "vote2" }, /type/],
    [{ ...vote, blockHash: new Uint8Array(31) }, /blockHash/],
    [{ ...vote, height: 0 }, /height/],
    [{ ...vote, extra: 1 }, /extra/],
    [{ ...vote, sender: 1_000_000 }, /sender/],
  ];
  for (const [value, field] of bad) assert.throws(() => decodeConsensusMessage(encodeCanonical(value)), field);
  assert.throws(() => decodeConsensusMessage(new Uint8Array([0xff, 0x00])), /consensusMessage/);
});
