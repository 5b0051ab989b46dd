/**
 * Scripted clusters for engine tests: real engines with real Ed25519 keys, the simulator's
 * application, and an in-memory network the test pumps by hand (drop, hold, reorder).
 */
import {
  blockHashOf,
  buildQc,
  buildTc,
  createConsensusEngine,
  timeoutMessage,
  voteMessage,
  type ConsensusAction,
  type ConsensusEngine,
  type ConsensusEngineOptions,
  type ConsensusMessage,
  type ProposalMessage,
  type SafetyState,
  type SignatureVerifier,
  type TimeoutCertificate,
  type TimeoutMessage,
  type ValidatorSetProvider,
  type VoteMessage,
} from "../../src/consensus/index.ts";
import { hashGenesis, hashValidatorSet, type Block, type QuorumCertificate, type ValidatorSet } from "../../src/ledger/index.ts";
import { Rng, SimApplication, createSimKeyring, genesisSimState, type SimKeyring } from "../../src/sim/index.ts";

export const CHAIN_ID = "test";

export type TestNode = {
  readonly index: number;
  engine: ConsensusEngine;
  app: SimApplication;
  /** Last persisted safety state, as the host's store would hold it. */
  persisted: SafetyState | null;
  readonly saved: Block[];
};

export type TestCluster = {
  readonly keyring: SimKeyring;
  readonly validatorSet: ValidatorSet;
  readonly genesisHash: Uint8Array;
  readonly nodes: TestNode[];
  nowMs: number;
};

export type ClusterOptions = {
  readonly provider?: ValidatorSetProvider | null;
  readonly engine?: Partial<ConsensusEngineOptions>;
  /** Sign outside the engine: `sign` actions, answered by the test through onSignature. */
  readonly externalSigning?: boolean;
  /** Added to `cluster.nowMs` in node i's clock (a node whose clock is off); default 0. */
  readonly clockOffsetMs?: (index: number) => number;
  /** The engines' signature verifier; default the keyring's. */
  readonly verifier?: SignatureVerifier;
  /** ConsensusApplication.isIdle of every node (a leader then defers its proposal); default: never idle. */
  readonly isIdle?: () => boolean;
};

export function createCluster(n: number, seed = 1, options: ClusterOptions = {}): TestCluster {
  const keyring = createSimKeyring(new Rng(seed), n, "ed25519");
  const validatorSet = { validators: keyring.validators };
  const genesisHash = hashGenesis({ chainId: CHAIN_ID, genesisTime: 0, validators: keyring.validators });
  const cluster: TestCluster = { keyring, validatorSet, genesisHash, nodes: [], nowMs: 1000 };
  for (let i = 0; i < n; i++) {
    const node = { index: i, persisted: null, saved: [] } as unknown as TestNode;
    cluster.nodes.push(node);
    bootNode(cluster, i, options);
  }
  return cluster;
}

/** (Re)creates node i's engine from its persisted state, as a restart would. */
export function bootNode(cluster: TestCluster, i: number, options: ClusterOptions = {}): TestNode {
  const node = cluster.nodes[i] as TestNode;
  const app = new SimApplication({
    chainId: CHAIN_ID,
    validatorSetHash: hashValidatorSet(cluster.validatorSet),
    proposerAddresses: cluster.keyring.validators.map((v) => v.address),
    nowMs: () => cluster.nowMs + (options.clockOffsetMs?.(i) ?? 0),
    rootHash: cluster.genesisHash,
    rootState: genesisSimState(cluster.genesisHash),
  });
  const key = cluster.keyring.keys[i];
  if (key === undefined) throw new Error("key");
  node.app = app;
  node.engine = createConsensusEngine(
    {
      chainId: CHAIN_ID,
      epoch: 0,
      validatorSet: cluster.validatorSet,
      selfIndex: i,
      root: { hash: cluster.genesisHash, height: 0, view: 0, block: null, qc: null },
      safety: node.persisted,
      savedBlocks: node.saved,
      timing: { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 },
      ...options.engine,
    },
    {
      app: {
        proposeBlock: (r) => app.proposeBlock(r),
        validateBlock: (b, h) => app.validateBlock(b, h),
        checkTimely: (b) => app.checkTimely(b),
        ...(options.isIdle === undefined ? {} : { isIdle: options.isIdle }),
      },
      signer: options.externalSigning === true ? { external: true } : { sign: (m) => key.sign(m) },
      verifier: options.verifier ?? cluster.keyring.verifier,
      validatorSetProvider: options.provider ?? null,
      blockSource: null,
    },
  );
  return node;
}


/** Applies the host side of actions the test does not route: persistence. */
export function host(node: TestNode, actions: readonly ConsensusAction[]): readonly ConsensusAction[] {
  for (const action of actions) {
    if (action.kind === "persistSafety") node.persisted = action.state;
    if (action.kind === "saveBlock") node.saved.push(action.block);
  }
  return actions;
}

export function sent(actions: readonly ConsensusAction[], type?: ConsensusMessage["type"]): { to: "all" | number; message: ConsensusMessage }[] {
  return actions.flatMap((a) => (a.kind === "send" && (type === undefined || a.message.type === type) ? [{ to: a.to, message: a.message }] : []));
}

export type Envelope = { readonly from: number; readonly to: "all" | number; readonly message: ConsensusMessage };

/**
 * Delivers messages until none are left (FIFO), feeding every engine's output back in.
 * `filter` returns false to drop an envelope for one recipient. Returns all actions by node.
 */
export function pump(cluster: TestCluster, initial: Envelope[], filter: (e: Envelope, to: number) => boolean = () => true, stepsMax = 10_000): ConsensusAction[][] {
  const log: ConsensusAction[][] = cluster.nodes.map(() => []);
  const queue: { to: number; envelope: Envelope }[] = [];
  const enqueue = (envelope: Envelope): void => {
    const targets = envelope.to === "all" ? cluster.nodes.map((n) => n.index).filter((i) => i !== envelope.from) : [envelope.to];
    for (const to of targets) if (filter(envelope, to)) queue.push({ to, envelope });
  };
  initial.forEach(enqueue);
  for (let steps = 0; queue.length > 0 && steps < stepsMax; steps++) {
    const { to, envelope } = queue.shift() as { to: number; envelope: Envelope };
    const node = cluster.nodes[to] as TestNode;
    const actions = host(node, node.engine.onMessage(envelope.message).actions);
    log[to]?.push(...actions);
    for (const s of sent(actions)) enqueue({ from: to, to: s.to, message: s.message });
  }
  return log;
}

/** Starts every engine and returns the envelopes they emit. */
export function startAll(cluster: TestCluster): Envelope[] {
  const out: Envelope[] = [];
  for (const node of cluster.nodes) {
    const actions = host(node, node.engine.start().actions);
    for (const s of sent(actions)) out.push({ from: node.index, to: s.to, message: s.message });
  }
  return out;
}

export function envelopes(from: number, actions: readonly ConsensusAction[]): Envelope[] {
  return sent(actions).map((s) => ({ from, to: s.to, message: s.message }));
}

// ---- hand-made messages ---------------------------------------------------------------------

export function signProposal(cluster: TestCluster, leader: number, block: Block, tc: TimeoutCertificate | null = null): ProposalMessage {
  const key = cluster.keyring.keys[leader];
  if (key === undefined) throw new Error("key");
  const h = block.header;
  const signature = key.sign(voteMessage(CHAIN_ID, h.view, h.height, blockHashOf(block)));
  return { type: "proposal", epoch: 0, block, tc, sender: leader, signature };
}

export function signVote(cluster: TestCluster, voter: number, view: number, height: number, blockHash: Uint8Array): VoteMessage {
  const key = cluster.keyring.keys[voter];
  if (key === undefined) throw new Error("key");
  return { type: "vote", epoch: 0, view, height, blockHash, sender: voter, signature: key.sign(voteMessage(CHAIN_ID, view, height, blockHash)) };
}

export function makeQc(cluster: TestCluster, signers: readonly number[], view: number, height: number, blockHash: Uint8Array): QuorumCertificate {
  const signatures = new Map<number, Uint8Array>();
  for (const signer of signers) signatures.set(signer, signVote(cluster, signer, view, height, blockHash).signature);
  return buildQc(view, height, blockHash, signatures, cluster.nodes.length);
}

export function signTimeout(cluster: TestCluster, sender: number, view: number, highQc: QuorumCertificate | null, tc: TimeoutCertificate | null = null): TimeoutMessage {
  const key = cluster.keyring.keys[sender];
  if (key === undefined) throw new Error("key");
  const signature = key.sign(timeoutMessage(CHAIN_ID, 0, view, highQc?.view ?? 0));
  return { type: "timeout", epoch: 0, view, highQc, tc, sender, signature };
}

/** A valid block by `leader` for `view` on the parent `justify` certifies (null: genesis). */
export function buildBlock(cluster: TestCluster, builder: number, leader: number, view: number, justify: QuorumCertificate | null, parentHeight: number): Block {
  const node = cluster.nodes[builder] as TestNode;
  return node.app.proposeBlock({ parentHash: justify?.blockHash ?? cluster.genesisHash, parentHeight, justify, view, proposer: leader, evidence: [] });
}

export function makeTc(cluster: TestCluster, signers: readonly number[], view: number, highQcView: number): TimeoutCertificate {
  const shares = new Map<number, { highQcView: number; signature: Uint8Array }>();
  for (const signer of signers) {
    const key = cluster.keyring.keys[signer];
    if (key === undefined) throw new Error("key");
    shares.set(signer, { highQcView, signature: key.sign(timeoutMessage(CHAIN_ID, 0, view, highQcView)) });
  }
  return buildTc(view, shares, cluster.nodes.length);
}
