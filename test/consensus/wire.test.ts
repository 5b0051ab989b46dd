import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeConsensusMessage, encodeConsensusMessage, type ConsensusMessage } from "../../src/consensus/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { createCluster, pump, sent, startAll } from "./harness.ts";

test("wire: every message a cluster sends decodes back to itself", () => {
  const cluster = createCluster(4, 31);
  const started = startAll(cluster);
  const log = pump(cluster, started, (e, to) => !(to === 0 && e.message.type === "proposal" && e.message.block.header.view === 2) && (e.message.type !== "proposal" || e.message.block.header.view <= 5));
  const messages: ConsensusMessage[] = [...started.map((e) => e.message), ...log.flatMap((actions) => sent(actions).map((s) => s.message))];
  const types = new Set(messages.map((m) => m.type));
  for (const type of ["proposal", "vote", "blockRequest", "blockResponse", "syncInfo"]) assert.ok(types.has(type as ConsensusMessage["type"]), `saw a ${type}`);
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

test("wire: random bytes and mutated messages never crash the decoder (property)", async () => {
  const { default: fc } = await import("fast-check");
  const { GhostmeshError } = await import("../../src/util/index.ts");
  const cluster = createCluster(4, 7);
  const log = pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 3);
  const encoded = log.flatMap((actions) => sent(actions).map((s) => encodeConsensusMessage(s.message)));
  assert.ok(encoded.length > 0, "the cluster sent messages to mutate");
  const outcome = (bytes: Uint8Array) => {
    try {
      decodeConsensusMessage(bytes);
    } catch (err) {
      assert.ok(err instanceof GhostmeshError, `only GhostmeshError may escape, got ${String(err)}`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => outcome(bytes)), { numRuns: 1000 });
  fc.assert(
    fc.property(fc.nat({ max: encoded.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, position, xor) => {
      const bytes = new Uint8Array(encoded[which]!);
      const at = position % bytes.length;
      bytes[at] = (bytes[at] as number) ^ xor;
      outcome(bytes);
      outcome(bytes.subarray(0, at));
    }),
    { numRuns: 500 },
  );
});
