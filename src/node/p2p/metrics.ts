/**
 * A p2p validator's network counters on /metrics, read at each scrape from the counts the
 * consensus network, its Dandelion relay and the re-syncing validator keep. Names
 * `ghostmesh_p2p_<thing>_<unit>` and `ghostmesh_sync_<thing>_<unit>`.
 */
import type { Registry } from "prom-client";
import { collectedCounter, collectedGauge } from "../metrics.ts";
import type { P2pConsensusNetwork } from "./network.ts";

export type P2pValidatorMetricsSources = {
  readonly network: P2pConsensusNetwork;
  /** Times the validator has left consensus to sync by range. */
  readonly resyncs: () => number;
};

export function registerP2pValidatorMetrics(register: Registry, sources: P2pValidatorMetricsSources): void {
  const { network } = sources;
  const stats = () => network.stats();
  collectedCounter(register, {
    name: "ghostmesh_p2p_consensus_gossip_publish_failed_total",
    help: "Consensus messages lost because gossip refused to publish them",
    read: () => stats().gossipPublishFailed,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_gossip_watchdog_reconnects_total",
    help: "Connections to validators replaced because gossip did not know them as subscribers (a failed gossip stream)",
    read: () => stats().gossipReconnects,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_timeout_repeats_sent_by_links_total",
    help: "Timeouts sent again unchanged, which went link by link because gossip does not send a repeat",
    read: () => stats().timeoutRepeatsSentByLinks,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_unicast_frames_total",
    help: "Consensus frames on the unicast links to other validators, by outcome: sent, or dropped (link full, send failed, links closed)",
    label: "outcome",
    read: () => {
      const { unicastFramesSent, unicastFramesDropped } = stats();
      return { sent: unicastFramesSent, dropped: unicastFramesDropped };
    },
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_unicast_sends_failed_total",
    help: "Unicast batches that failed to reach their validator",
    read: () => stats().unicastSendsFailed,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_unicast_sent_by_request_total",
    help: "Unicast batches sent as requests, to validators of an earlier version",
    read: () => stats().unicastSentByRequest,
  });
  collectedCounter(register, {
    name: "ghostmesh_sync_resyncs_total",
    help: "Times this validator left consensus to sync by range and rejoined",
    read: sources.resyncs,
  });
  const relay = network.stemRelay;
  if (relay === null) return;
  collectedCounter(register, {
    name: "ghostmesh_p2p_dandelion_stem_sent_total",
    help: "Transactions relayed on the Dandelion++ stem to a successor",
    read: () => relay.stats().stemSent,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_dandelion_stem_send_failed_total",
    help: "Stem relays that failed (the embargo diffuses the transaction instead)",
    read: () => relay.stats().stemSendFailed,
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_dandelion_stem_received_total",
    help: "Stem transactions received, by outcome: accepted, rejected (malformed, penalised) or not_admitted (refused by the mempool)",
    label: "outcome",
    read: () => {
      const { stemAccepted, stemRejected, stemNotAdmitted } = relay.stats();
      return { accepted: stemAccepted, rejected: stemRejected, not_admitted: stemNotAdmitted };
    },
  });
  collectedCounter(register, {
    name: "ghostmesh_p2p_dandelion_fluffed_total",
    help: "Transactions this node diffused by gossip, by reason (mode, embargo, loop, overflow, disabled)",
    label: "reason",
    read: () => relay.stats().fluffed,
  });
  collectedGauge(register, {
    name: "ghostmesh_p2p_dandelion_stem_txs",
    help: "Stem transactions held until their embargo or a fluff",
    read: () => relay.stats().stemTxsHeld,
  });
}
