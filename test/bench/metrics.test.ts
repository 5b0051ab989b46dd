import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { metricSample, metricSum } from "../../bench/lib/metrics.ts";

const TEXT = `# HELP ghostmesh_consensus_sent_total Messages sent, by type
# TYPE ghostmesh_consensus_sent_total counter
ghostmesh_consensus_sent_total{type="vote"} 12
ghostmesh_consensus_sent_total{type="proposal"} 3
ghostmesh_chain_height 41
ghostmesh_chain_height_seconds 0.5
ghostmesh_p2p_channel_dials_total{channel="direct",result="success"} 2
`;

describe("bench/lib/metrics", () => {
  it("sums every series of a metric, or the one with exactly the labels given; 0 when there is none", () => {
    assert.equal(metricSum(TEXT, "ghostmesh_consensus_sent_total"), 15);
    assert.equal(metricSum(TEXT, "ghostmesh_consensus_sent_total", 'type="vote"'), 12);
    assert.equal(metricSum(TEXT, "ghostmesh_consensus_sent_total", 'type="timeout"'), 0);
    assert.equal(metricSum(TEXT, "ghostmesh_chain_height"), 41, "a metric whose name prefixes another's is not summed with it");
  });

  it("reads one series, undefined when the node has none", () => {
    assert.equal(metricSample(TEXT, "ghostmesh_chain_height", ""), 41);
    assert.equal(metricSample(TEXT, "ghostmesh_p2p_channel_dials_total", 'channel="direct",result="success"'), 2);
    assert.equal(metricSample(TEXT, "ghostmesh_p2p_channel_dials_total", 'channel="direct"'), undefined, "labels match exactly, not as a prefix");
    assert.equal(metricSample(TEXT, "ghostmesh_consensus_sent_total", ""), undefined);
  });
});
