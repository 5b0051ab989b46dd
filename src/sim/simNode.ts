/**
 * One simulated validator instance: its engine and application (lost on a crash), its
 * store (survives crashes, not wipes): the safety state, the committed chain and pending
 * evidence, as a real node keeps them in SQLite; and its signing reservation (survives
 * both, as the node's file beside its key). A restart rebuilds engine and app from these.
 */
import {
  createConsensusEngine,
  evidenceKey,
  LeaderSilence,
  safetyUnderReservation,
  type CommittedBlock,
  type ConsensusEngine,
  type ConsensusRoot,
  type ConsensusTiming,
  type SafetyState,
  type SignatureVerifier,
  type SigningReservationMark,
  type VoteDelivery,
} from "../consensus/index.ts";
import type { Block, Evidence, ValidatorSet } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import { SimApplication, type SimChainState } from "./app.ts";
import type { Adversary } from "./byzantine.ts";
import type { SimKey } from "./keys.ts";
import type { ByzantineRole } from "./options.ts";

export type SimStore = {
  safety: SafetyState | null;
  readonly committed: CommittedBlock[];
  readonly blocksByHash: Map<string, Block>;
  readonly evidence: Map<string, Evidence>;
  /** Validated, uncommitted blocks (saveBlock), by hash. */
  readonly savedBlocks: Map<string, Block>;
};

export type SimNode = {
  readonly id: number;
  readonly keyIndex: number;
  readonly role: "honest" | ByzantineRole;
  readonly honest: boolean;
  readonly adversary: Adversary | null;
  /** This instance's clock runs this far ahead of virtual time (twins differ). */
  readonly clockSkewMs: number;
  readonly key: SimKey;
  /** Replaced by an empty one when the node is wiped. */
  store: SimStore;
  /** Kept beside the key: survives a wipe. */
  reservation: SigningReservationMark;
  engine: ConsensusEngine | null;
  /** Bumped on every crash and restart; timers of an older incarnation are ignored. */
  incarnation: number;
  timerToken: number;
  /** With SimOptions.absentLeaders, an honest node's host-side watch (new at each boot, as a restarted host's); else null. */
  silence: LeaderSilence | null;
  /** The last view this node timed out at once because its leader was absent. */
  absentLeaderTimedOutView: number;
};

export type SimWorldParams = {
  readonly chainId: string;
  readonly validatorSet: ValidatorSet;
  readonly validatorSetHash: Uint8Array;
  readonly genesisHash: Uint8Array;
  readonly genesisState: SimChainState;
  readonly verifier: SignatureVerifier;
  readonly timing: ConsensusTiming;
  readonly voteDelivery: VoteDelivery;
  readonly nowMs: () => number;
};

export function createSimStore(): SimStore {
  return { safety: null, committed: [], blocksByHash: new Map(), evidence: new Map(), savedBlocks: new Map() };
}

function rootOf(store: SimStore, world: SimWorldParams): { root: ConsensusRoot; state: SimChainState } {
  const last = store.committed[store.committed.length - 1];
  if (last === undefined) return { root: { hash: world.genesisHash, height: 0, view: 0, block: null, qc: null }, state: world.genesisState };
  const h = last.block.header;
  return {
    root: { hash: last.hash, height: h.height, view: h.view, block: last.block, qc: last.qc },
    state: { height: h.height, stateRoot: h.stateRoot, logSize: h.logSize, logRoot: h.logRoot, timestamp: h.timestamp },
  };
}

/** A fresh engine from the node's store: first start and every restart. */
export function bootSimNode(node: SimNode, world: SimWorldParams): ConsensusEngine {
  const { root, state } = rootOf(node.store, world);
  const app = new SimApplication({
    chainId: world.chainId,
    validatorSetHash: world.validatorSetHash,
    proposerAddresses: world.validatorSet.validators.map((v) => v.address),
    nowMs: () => world.nowMs() + node.clockSkewMs,
    rootHash: root.hash,
    rootState: state,
  });
  const store = node.store;
  const engine = createConsensusEngine(
    {
      chainId: world.chainId,
      epoch: 0,
      validatorSet: world.validatorSet,
      selfIndex: node.keyIndex,
      root,
      safety: safetyUnderReservation(node.reservation, store.safety, 0, root.view),
      pendingEvidence: [...store.evidence.values()],
      savedBlocks: [...store.savedBlocks.values()],
      timing: world.timing,
      voteDelivery: world.voteDelivery,
      // An adversary's copies of a key sign as they like; honest engines watch for a second signer.
      watchOwnKey: node.honest,
    },
    {
      app: { proposeBlock: (request) => app.proposeBlock(request), validateBlock: (block, hash) => app.validateBlock(block, hash), checkTimely: (block) => app.checkTimely(block) },
      // Honest nodes sign as the node's host does, outside the engine; adversaries inline.
      signer: node.honest ? { external: true } : { sign: (message) => node.key.sign(message) },
      verifier: world.verifier,
      validatorSetProvider: null,
      blockSource: { getBlock: (hash) => store.blocksByHash.get(toHex(hash)) },
    },
  );
  node.engine = engine;
  appsByEngine.set(engine, app);
  return engine;
}

const appsByEngine = new WeakMap<ConsensusEngine, SimApplication>();

/** Writes a commit to the store (atomically, as one SQLite transaction would). */
export function storeCommit(node: SimNode, blocks: readonly CommittedBlock[]): void {
  for (const committed of blocks) {
    node.store.committed.push(committed);
    node.store.blocksByHash.set(toHex(committed.hash), committed.block);
    for (const evidence of committed.block.evidence) node.store.evidence.delete(evidenceKey(evidence));
  }
  const last = blocks[blocks.length - 1];
  if (last === undefined) return;
  const height = last.block.header.height;
  for (const [hex, block] of [...node.store.savedBlocks]) if (block.header.height <= height) node.store.savedBlocks.delete(hex);
  if (node.engine !== null) appsByEngine.get(node.engine)?.pruneBelow(height);
}

export function storeSavedBlock(node: SimNode, block: Block, hash: Uint8Array): void {
  node.store.savedBlocks.set(toHex(hash), block);
}

export function storeEvidence(node: SimNode, evidence: Evidence): void {
  node.store.evidence.set(evidenceKey(evidence), evidence);
}
