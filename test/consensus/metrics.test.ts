import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { RejectCode, createConsensusMetrics, observeConsensusStats, observeConsensusStep } from "../../src/consensus/index.ts";
import { createCluster, startAll } from "./harness.ts";

test("metrics: steps and stats land in ghostmesh_consensus_* series; null metrics are a no-op", async () => {
  const register = new Registry();
  const metrics = createConsensusMetrics(register);
  const cluster = createCluster(4, 51);
  startAll(cluster);
  const engine = cluster.nodes[0]!.engine;
  observeConsensusStep(metrics, engine.onMessage({ type: "vote" } as never));
  observeConsensusStep(metrics, engine.onLocalTimer(engine.view));
  observeConsensusStats(metrics, engine.stats());
  observeConsensusStep(null, engine.onLocalTimer(engine.view));
  const text = await register.metrics();
  assert.match(text, new RegExp(`ghostmesh_consensus_rejected_total\\{code="${RejectCode.malformed}"\\} 1`));
  assert.match(text, /ghostmesh_consensus_sent_total\{type="timeout"\} 1/);
  assert.match(text, /ghostmesh_consensus_view 1/);
});
