/**
 * Multi-validator chains in the node: the consensus engine hosted per validator over an
 * in-memory network (one process, until P2P lands). The only import surface of node/consensus.
 */
export { startValidatorNode, validatorIndexOf, createProcessRegistry, type RunningValidator, type ValidatorNodeModules, type ValidatorNodeOptions, type ValidatorParts } from "./validatorNode.ts";
export { ConsensusHost, voteDeliveryFor, VOTE_BROADCAST_VALIDATORS_MAX, type AbsentLeaderCause, type ConsensusHostModules, type ConsensusHostOptions } from "./host.ts";
export { LedgerApplication, BLOCK_TIMESTAMP_AHEAD_MS_MAX, type LedgerApplicationModules, type LedgerApplicationOptions } from "./ledgerApp.ts";
export { SpeculativeBlocks, type SpeculativeBlock, type ParentState } from "./speculative.ts";
export { ConsensusStore } from "./consensusStore.ts";
export { InMemoryNetwork, NetworkTopic, type ConsensusNetwork, LINK_QUEUE_FRAMES_MAX, type NetworkEndpoint, type NetworkFrame, type FrameHandler, type FrameObserver } from "./network.ts";
export { consensusRootOf, loadCommittedBlock, createStoreBlockSource } from "./committedBlocks.ts";
export { verifyBlockTxsAhead } from "./inbound.ts";
export { TxPreparer, TxSignatureCache, TX_SIGNATURES_VERIFIED_MAX, type PreparedTx, type TxKey } from "./txChecks.ts";
export { prepareDevnetHomes, startInProcessDevnet, devnetNodeName, type DevnetGenesisExtras, type DevnetHome, type DevnetHomes, type InProcessDevnet, type InProcessDevnetOptions } from "./devnet.ts";
