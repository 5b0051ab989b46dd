/**
 * Composition of one validator of a multi-validator chain on a ConsensusNetwork (in-memory,
 * or libp2p: node/p2p): store, chain, mempool, speculative ledger application, consensus host, REST API.
 * The counterpart of node.ts (which runs one-validator chains with the single producer);
 * shuts down in reverse order of start.
 */
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { addressFromPublicKey, type SigningKey } from "../../crypto/index.ts";
import { createConsensusMetrics, defaultConsensusTiming, type ConsensusTiming, type VoteDelivery } from "../../consensus/index.ts";
import { ChainStore, type Genesis } from "../../ledger/index.ts";
import { Mempool, createMempoolMetrics, defaultMempoolOptions } from "../../mempool/index.ts";
import { GhostmeshError, assert, bytesEqual } from "../../util/index.ts";
import { startApiServer, type ApiServer, type BlockProducer } from "../../api/index.ts";
import { Chain, logStateMigration } from "../chain.ts";
import type { NodeConfig } from "../config.ts";
import { homePaths } from "../home.ts";
import { createNodeMetrics, registerStoreMetrics } from "../metrics.ts";
import type { RunningNode } from "../node.ts";
import { systemClock, type Clock, type Logger } from "../types.ts";
import { ConsensusStore } from "./consensusStore.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import { ConsensusHost } from "./host.ts";
import { BLOCK_TIMESTAMP_AHEAD_MS_MAX, LedgerApplication } from "./ledgerApp.ts";
import { admissionVerifier, type TxSignatureCache } from "./txChecks.ts";
import type { ConsensusNetwork } from "./network.ts";
import { startStateProofPruner } from "../stateProofPruner.ts";
import { SigningReservation } from "./signingReservation.ts";
import { OWN_TX_HASHES_MAX, OwnTxHashes } from "./ownTxs.ts";
import { WalCheckpointer, defaultWalCheckpointerOptions } from "../walCheckpointer.ts";
import { WalSyncer, createWalSyncMetrics, type WalSyncMetrics } from "../walSyncer.ts";

export type ValidatorNodeOptions = {
  readonly home: string;
  readonly config: NodeConfig;
  readonly genesis: Genesis;
  readonly timing?: ConsensusTiming;
  readonly timestampAheadMsMax?: number;
  /** Defaults to the committee size's choice (host.ts voteDeliveryFor). */
  readonly voteDelivery?: VoteDelivery;
  readonly signing?: "threadpool" | "inline";
  /** ConsensusHostOptions.regossipAllIntervalMs (tests shorten it). */
  readonly regossipAllIntervalMs?: number;
  /** Views reserved per signing-reservation write (default SIGNING_RESERVATION_VIEWS; tests shorten it). */
  readonly signingReservationViews?: number;
  /**
   * Clears a stop of signing recorded when another signer of this key was seen (the operator's
   * `ghostmesh start --resume-signing`, once that signer is gone); without it such a validator
   * only observes.
   */
  readonly resumeSigning?: boolean;
  /** This validator's network slot; default: the network's slot for its address, else its genesis index. */
  readonly slot?: number;
  /**
   * Runs once the chain and application exist and before consensus starts (node/p2p serves
   * and runs block sync here): blocks it commits through `app` are the engine's new root.
   */
  readonly beforeConsensus?: (parts: ValidatorParts) => Promise<void>;
  /** Called with each consensus host before it starts: the first, and the one after every `resync`. */
  readonly onConsensusHost?: (host: ConsensusHost) => void;
};

/**
 * What block sync works on: `app` commits through the chain and settles the mempool;
 * `onCommitted` tells the API's waiters (clients of `tx send --wait`) about each block.
 */
export type ValidatorParts = {
  readonly chain: Chain;
  readonly app: LedgerApplication;
  readonly onCommitted: (events: readonly CommittedBlockEvent[]) => void;
};

export type ValidatorNodeModules = {
  readonly key: SigningKey;
  readonly network: ConsensusNetwork;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Metrics registry the API serves; when absent, one with process metrics is created. */
  readonly registry?: Registry;
};

/** `index`: the validator's network slot (its genesis index for genesis validators). */
export type RunningValidator = RunningNode & {
  readonly index: number;
  /** The consensus host of now: a new one after each `resync` (the one before is stopped). */
  readonly host: ConsensusHost;
  /** True while `resync` runs: out of consensus, store, mempool and API up. */
  readonly resyncing: boolean;
  /** The store's WAL sync thread, which consensus steps await before their sends; null: they fsync inside COMMIT. */
  readonly walSync: WalSyncer | null;
  /** Transactions this validator's clients submitted, resent at stalled view timeouts (ownTxs.ts); read-only. */
  readonly ownTxs: Pick<OwnTxHashes, "has" | "size">;
  /**
   * Leaves consensus, runs `work` (block sync through the parts), then joins again with a new
   * consensus host on the head `work` reached, as a restart would, without closing the store,
   * the mempool or the API. If `work` throws or the new host cannot start, the validator
   * stops (exit code 1) and the error is rethrown.
   */
  resync(work: (parts: ValidatorParts) => Promise<void>): Promise<void>;
};

/** Bytes one block may carry: the largest batch is 8 MiB, so a block holds several. */
const BLOCK_BYTES_MAX = 64 * 1024 * 1024;

export function createProcessRegistry(): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "ghostmesh_process_" });
  return register;
}

export function validatorIndexOf(genesis: Genesis, key: SigningKey): number {
  const index = genesis.validators.findIndex((v) => v.alg === key.alg && bytesEqual(v.publicKey, key.publicKey));
  if (index < 0) throw new GhostmeshError("NODE_KEY_MISMATCH", "the validator key in this home is not one of the genesis validators' keys", {});
  return index;
}

export async function startValidatorNode(opts: ValidatorNodeOptions, modules: ValidatorNodeModules): Promise<RunningValidator> {
  const { genesis, config } = opts;
  const index = opts.slot ?? modules.network.slotOf(addressFromPublicKey(modules.key.alg, modules.key.publicKey)) ?? validatorIndexOf(genesis, modules.key);
  const logger = (modules.logger ?? (pino({ level: config.log.level }) as unknown as Logger)).child({ validator: index });
  const clock = modules.clock ?? systemClock;
  const paths = homePaths(opts.home);
  mkdirSync(paths.data, { recursive: true });
  const register = modules.registry ?? createProcessRegistry();
  const nodeMetrics = createNodeMetrics(register);
  const store = new ChainStore(paths.chainDb);
  registerStoreMetrics(register, store);
  const storeLogger = logger.child({ module: "store" });
  const checkpointer = new WalCheckpointer(defaultWalCheckpointerOptions, { store, logger: storeLogger });
  const walSync = startWalSyncer(store, storeLogger, createWalSyncMetrics(register));
  let host: ConsensusHost | null = null;
  let api: ApiServer | null = null;
  try {
    const chain = new Chain(genesis, store, { onStateMigration: logStateMigration(storeLogger) });
    nodeMetrics.height.set(chain.head.height);
    // The application's cache of checked signatures, once it exists (it reads the mempool).
    let appSignatures: TxSignatureCache | null = null;
    const mempool = new Mempool(
      { ...defaultMempoolOptions, ...config.mempool, chainId: genesis.chainId },
      { accounts: chain.accounts, verifier: admissionVerifier(() => appSignatures), metrics: createMempoolMetrics(register) },
    );
    const app = new LedgerApplication(
      { txsMax: config.block.txsMax, entriesMax: config.block.entriesMax, bytesMax: BLOCK_BYTES_MAX, timestampAheadMsMax: opts.timestampAheadMsMax ?? BLOCK_TIMESTAMP_AHEAD_MS_MAX, emptyBlockIntervalMs: config.block.emptyIntervalMs },
      { chain, mempool, clock, logger: logger.child({ module: "ledger-app" }), metrics: nodeMetrics },
    );
    appSignatures = app.signatures;
    const consensusStore = new ConsensusStore(store);
    const consensusMetrics = createConsensusMetrics(register);
    // One set of own transactions for every host this validator runs (a re-sync replaces the host).
    const ownTxs = new OwnTxHashes(OWN_TX_HASHES_MAX);
    const consensusLogger = logger.child({ module: "consensus" });
    const signingReservation = new SigningReservation(
      { path: paths.signingReservation, chainId: genesis.chainId, genesisHash: chain.genesisHash, ...(opts.signingReservationViews === undefined ? {} : { viewsAhead: opts.signingReservationViews }) },
      { logger: consensusLogger },
    );
    const resumedFromStopAtView = await resumeOrReportStop(signingReservation, opts.resumeSigning === true, { path: paths.signingReservation, logger: consensusLogger });
    // A block stamped later than this was proposed, and so signed, while this process ran (engine.ts isRecentSignature).
    const signerLiveAfterTimestampMs = clock.nowMs();
    const hostOptions = { slot: index, timing: opts.timing ?? defaultConsensusTiming, ...(opts.voteDelivery === undefined ? {} : { voteDelivery: opts.voteDelivery }), ...(opts.signing === undefined ? {} : { signing: opts.signing }), ...(opts.regossipAllIntervalMs === undefined ? {} : { regossipAllIntervalMs: opts.regossipAllIntervalMs }), emptyBlockCheckMs: emptyBlockCheckMsOf(config.block.emptyIntervalMs), ...(resumedFromStopAtView === null ? {} : { resumedFromStopAtView }), signerLiveAfterTimestampMs };
    const hostModules = { chain, mempool, app, store: consensusStore, key: modules.key, network: modules.network, logger: consensusLogger, metrics: consensusMetrics, walSync, ownTxs, signingReservation };
    // The API outlives consensus hosts (resync): it hears every host's commits, and sync's, here.
    const commits = new EventEmitter<{ committed: [CommittedBlockEvent] }>();
    const onCommitted = (events: readonly CommittedBlockEvent[]): void => {
      for (const event of events) commits.emit("committed", event);
    };
    let stop: (() => Promise<void>) | null = null;
    /** The re-sync under way (see `resync`), null when in consensus. */
    let resyncing: Promise<void> | null = null;
    const createHost = (): ConsensusHost => {
      const created = new ConsensusHost(hostOptions, hostModules);
      created.on("committed", (event) => commits.emit("committed", event));
      created.on("error", (err) => {
        // A block that cannot be committed means the store is unusable: stop loudly, lose nothing.
        logger.error({ err }, "Consensus failed; stopping the validator");
        process.exitCode = 1;
        void stop?.();
      });
      opts.onConsensusHost?.(created);
      return created;
    };
    let runningHost = createHost();
    host = runningHost;
    const producer: BlockProducer = {
      on: (event, listener) => commits.on(event, listener),
      off: (event, listener) => commits.off(event, listener),
      notifyAdmitted: (poolTx, bytes) => runningHost.notifyAdmitted(poolTx, bytes),
      // Out of consensus: before the first host runs (block sync at start) and during a resync.
      get syncing() {
        return !runningHost.isRunning;
      },
      get signingStoppedAtView() {
        return signingReservation.signingStoppedAtView;
      },
    };
    // The API first: status, reads and /metrics answer during a long catch-up, and a taken port
    // fails the start before it.
    api = await startApiServer({ host: config.api.host, port: config.api.port }, { chain, mempool, producer, register, logger: logger.child({ module: "api" }) });
    const runningApi = api;
    const parts: ValidatorParts = { chain, app, onCommitted };
    await opts.beforeConsensus?.(parts);
    await runningHost.start();
    const pruner = startStateProofPruner(config.state.proofHistoryBlocks, { chain, logger: storeLogger, metrics: nodeMetrics });
    let stopping: Promise<void> | null = null;
    stop = (): Promise<void> => {
      stopping ??= (async () => {
        await runningApi.close();
        // A resync under way ends first: its sync writes through the store closed below.
        await resyncing?.catch(() => undefined);
        await runningHost.stop();
        // A reservation written ahead finishes (its failure, if any, no longer matters).
        await signingReservation.settled();
        pruner?.stop();
        await walSync?.stop();
        await checkpointer.stop();
        store.close();
        logger.info({ height: chain.head.height }, "Validator stopped");
      })();
      return stopping;
    };
    const resync = (work: (parts: ValidatorParts) => Promise<void>): Promise<void> => {
      assert(resyncing === null && stopping === null, "resync: one at a time, on a running validator");
      resyncing = (async () => {
        await runningHost.stop();
        try {
          // Sync handles peers' faults itself; what it throws is the store's (its head may have
          // moved past a rolled-back transaction) or a bug: never rejoin on that.
          await work(parts);
          if (stopping !== null) return;
          runningHost = createHost();
          await runningHost.start();
        } catch (err) {
          logger.error({ err, height: chain.head.height }, "Could not sync and rejoin consensus; stopping the validator");
          process.exitCode = 1;
          void stop?.();
          throw err;
        }
      })().finally(() => {
        resyncing = null;
      });
      return resyncing;
    };
    logger.info({ chainId: genesis.chainId, validator: index, height: chain.head.height, api: runningApi.url }, "Validator started");
    return {
      index,
      get host() {
        return runningHost;
      },
      get resyncing() {
        return resyncing !== null;
      },
      walSync,
      ownTxs,
      chain,
      mempool,
      api: runningApi,
      resync,
      stop: stop as () => Promise<void>,
    };
  } catch (err) {
    await api?.close();
    await host?.stop();
    await walSync?.stop();
    await checkpointer.stop();
    store.close();
    throw err;
  }
}

/**
 * Clears a recorded stop of signing when asked to; otherwise says loudly that this validator
 * will not sign, and how to change that. Returns the view of the stop cleared, or null.
 */
async function resumeOrReportStop(reservation: SigningReservation, resume: boolean, context: { readonly path: string; readonly logger: Logger }): Promise<number | null> {
  const { path, logger } = context;
  if (resume) {
    const stoppedAtView = await reservation.resumeSigning();
    if (stoppedAtView === null) logger.info({ path }, "Signing was not stopped: --resume-signing changes nothing");
    else logger.warn({ path, stoppedAtView }, "Signing resumed: the stop recorded when another signer of this key was seen is cleared. This node first keeps out of a few views, where a signer that still runs usually shows itself and stops it again; a signer it misses there may get this validator jailed for equivocation");
    return stoppedAtView;
  }
  const stoppedAtView = reservation.signingStoppedAtView;
  if (stoppedAtView === null) return null;
  logger.error({ path, stoppedAtView }, "Signing is stopped: another signer of this validator's key was seen at the recorded view. This node follows the chain without voting or proposing. Stop every other process that holds the key, then start this node with --resume-signing");
  return null;
}

/** The store's WAL sync thread; null (each durable step then fsyncs inside its COMMIT, on the event loop) where the WAL file cannot be opened. */
function startWalSyncer(store: ChainStore, logger: Logger, metrics: WalSyncMetrics): WalSyncer | null {
  try {
    return new WalSyncer({ store, logger, metrics });
  } catch (err) {
    logger.warn({ err: (err as Error).message }, "Syncing the WAL on the event loop: no sync thread");
    return null;
  }
}

/** Checking four times per interval keeps an empty block within a quarter interval of due. */
function emptyBlockCheckMsOf(emptyIntervalMs: number): number {
  return emptyIntervalMs === 0 ? 0 : Math.max(25, Math.trunc(emptyIntervalMs / 4));
}
