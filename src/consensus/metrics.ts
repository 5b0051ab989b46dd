/**
 * Consensus metrics. The engine is pure and holds no registry: the host calls
 * `observeConsensusStep` after each input and `observeConsensusStats` when it likes.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { ConsensusStats, ConsensusStep } from "./engine.ts";

export function createConsensusMetrics(register: Registry) {
  return {
    view: new Gauge({ name: "ghostmesh_consensus_view", help: "Current view", registers: [register] }),
    highQcView: new Gauge({ name: "ghostmesh_consensus_high_qc_view", help: "View of the highest known QC", registers: [register] }),
    committedHeight: new Gauge({ name: "ghostmesh_consensus_committed_height", help: "Height of the committed root", registers: [register] }),
    treeBlocks: new Gauge({ name: "ghostmesh_consensus_tree_blocks", help: "Validated uncommitted blocks held", registers: [register] }),
    pendingEvidence: new Gauge({ name: "ghostmesh_consensus_pending_evidence", help: "Verified evidence not yet committed", registers: [register] }),
    droppedTotal: new Gauge({ name: "ghostmesh_consensus_dropped_total", help: "Items dropped at a bound (fetches, evidence, held proposals)", registers: [register] }),
    rejectedTotal: new Counter({
      name: "ghostmesh_consensus_rejected_total",
      help: "Inputs refused, by rejection code",
      labelNames: ["code"] as const,
      registers: [register],
    }),
    sentTotal: new Counter({ name: "ghostmesh_consensus_sent_total", help: "Messages sent, by type", labelNames: ["type"] as const, registers: [register] }),
    committedBlocksTotal: new Counter({ name: "ghostmesh_consensus_committed_blocks_total", help: "Blocks committed", registers: [register] }),
    evidenceTotal: new Counter({ name: "ghostmesh_consensus_evidence_total", help: "Equivocation evidence detected or received", registers: [register] }),
    signedElsewhereTotal: new Counter({
      name: "ghostmesh_consensus_signed_elsewhere_total",
      help: "Signatures of this validator's key seen that this node did not make (another signer holds the key)",
      registers: [register],
    }),
    absentLeaderTimeoutsTotal: new Counter({
      name: "ghostmesh_consensus_absent_leader_timeouts_total",
      help: "Views this node timed out at once, without waiting for the view timer, by why their leader would not propose: disconnected (it was reachable and no longer is) or silent (nothing in its name for many views)",
      labelNames: ["cause"] as const,
      registers: [register],
    }),
    signingStopped: new Gauge({ name: "ghostmesh_consensus_signing_stopped", help: "1 once another signer was seen signing beside this validator's key: it signs nothing more", registers: [register] }),
  };
}
export type ConsensusMetrics = ReturnType<typeof createConsensusMetrics>;

export function observeConsensusStep(metrics: ConsensusMetrics | null, step: ConsensusStep): void {
  if (metrics === null) return;
  if (step.rejection !== null) metrics.rejectedTotal.inc({ code: step.rejection.code });
  for (const action of step.actions) {
    if (action.kind === "send") metrics.sentTotal.inc({ type: action.message.type });
    else if (action.kind === "commit") metrics.committedBlocksTotal.inc(action.blocks.length);
    else if (action.kind === "evidence") metrics.evidenceTotal.inc();
    else if (action.kind === "signedElsewhere") metrics.signedElsewhereTotal.inc();
  }
}

export function observeConsensusStats(metrics: ConsensusMetrics | null, stats: ConsensusStats): void {
  if (metrics === null) return;
  metrics.view.set(stats.view);
  metrics.highQcView.set(stats.highQcView);
  metrics.committedHeight.set(stats.committedHeight);
  metrics.treeBlocks.set(stats.treeBlocks);
  metrics.pendingEvidence.set(stats.pendingEvidence);
  metrics.signingStopped.set(stats.signingStopped ? 1 : 0);
  metrics.droppedTotal.set(stats.fetchesDroppedTotal + stats.evidenceDroppedTotal + stats.pendingProposalsDroppedTotal);
}
