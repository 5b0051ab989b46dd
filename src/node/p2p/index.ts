/**
 * The validator network over libp2p (decision 0503): a ConsensusNetwork on a P2pHost, and
 * the composition of a validator process with it. The only import surface of node/p2p.
 */
export { P2pConsensusNetwork, type P2pConsensusNetworkOptions, type P2pConsensusNetworkModules, type P2pConsensusNetworkStats } from "./network.ts";
export { ValidatorPeers } from "./validatorPeers.ts";
export { UNICAST_PROTOCOL, UNICAST_LINK_FRAMES_MAX } from "./unicast.ts";
export { gossipTopicOfMessageType, checkConsensusGossip } from "./gossipValidation.ts";
export { peekConsensusMessageType } from "./messageType.ts";
export { startP2pValidatorNode, type P2pValidatorOptions, type P2pValidatorModules, type RunningP2pValidator } from "./validator.ts";
export { configureP2pDevnet, type P2pDevnetNode } from "./devnet.ts";
export { findFreePorts } from "./ports.ts";
export { BlockSync, defaultBlockSyncOptions, type BlockSyncOptions, type BlockSyncModules } from "./sync.ts";
export { StemRelay, STEM_PROTOCOL, type StemRelayEvent, type StemRelayStats, type StemAdmission } from "./stemRelay.ts";
export { encodeStoredSyncedBlock, serveRange } from "./syncServe.ts";
export { SyncedBlockApplier, type ApplyResult, type BatchParent, type BlockProblem } from "./syncApply.ts";
export {
  SYNC_BLOCKS_PER_REQUEST_MAX,
  SYNC_RESPONSE_BYTES_MAX,
  encodeSyncedBlock,
  decodeSyncedBlock,
  encodeRangeBlock,
  decodeRangeBlock,
  decodeSyncResponse,
  resolveRangeBlocks,
  type SyncedBlock,
  type RangeBlock,
} from "./syncWire.ts";
export { GossipWatchdog, defaultGossipWatchdogOptions, type GossipWatchdogOptions } from "./gossipWatchdog.ts";
