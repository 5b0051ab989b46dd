/**
 * Composition root: config → wired modules → start/stop (DESIGN §2, principle 5). The only
 * place that knows every module; shuts down in reverse order of start.
 */
import { mkdirSync } from "node:fs";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { verifyAsync, type SigningKey } from "../crypto/index.ts";
import { ChainStore, type Genesis } from "../ledger/index.ts";
import { Mempool, createMempoolMetrics, defaultMempoolOptions } from "../mempool/index.ts";
import { GhostmeshError, bytesEqual } from "../util/index.ts";
import { startApiServer, type ApiServer } from "../api/index.ts";
import { Chain, logStateMigration } from "./chain.ts";
import type { NodeConfig } from "./config.ts";
import { homePaths } from "./home.ts";
import { createNodeMetrics, registerStoreMetrics } from "./metrics.ts";
import { SingleValidatorProducer } from "./producer.ts";
import { systemClock, type Clock, type Logger } from "./types.ts";
import { startStateProofPruner } from "./stateProofPruner.ts";
import { WalCheckpointer, defaultWalCheckpointerOptions } from "./walCheckpointer.ts";

export type NodeOptions = { readonly home: string; readonly config: NodeConfig; readonly genesis: Genesis };
export type NodeModules = { readonly key: SigningKey; readonly logger?: Logger; readonly clock?: Clock };

export type RunningNode = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly api: ApiServer;
  stop(): Promise<void>;
};

export async function startNode(opts: NodeOptions, modules: NodeModules): Promise<RunningNode> {
  const logger = modules.logger ?? (pino({ level: opts.config.log.level }) as unknown as Logger);
  const clock = modules.clock ?? systemClock;
  const { genesis } = opts;
  if (genesis.validators.length !== 1) {
    throw new GhostmeshError(
      "NODE_UNSUPPORTED",
      `genesis has ${genesis.validators.length} validators; startNode runs one-validator chains: start a validator of this chain with startP2pValidatorNode (node/p2p), as ghostmesh start does`,
      {},
    );
  }
  if (!bytesEqual(genesis.validators[0]!.publicKey, modules.key.publicKey)) {
    throw new GhostmeshError("NODE_KEY_MISMATCH", "the validator key in this home is not the genesis validator's key", {});
  }
  const paths = homePaths(opts.home);
  mkdirSync(paths.data, { recursive: true });
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "ghostmesh_process_" });
  const nodeMetrics = createNodeMetrics(register);

  const store = new ChainStore(paths.chainDb);
  registerStoreMetrics(register, store);
  let chain: Chain;
  try {
    chain = new Chain(genesis, store, { onStateMigration: logStateMigration(logger.child({ module: "state" })) });
  } catch (err) {
    store.close();
    throw err;
  }
  const checkpointer = new WalCheckpointer(defaultWalCheckpointerOptions, { store, logger: logger.child({ module: "store" }) });
  nodeMetrics.height.set(chain.head.height);
  const pruner = startStateProofPruner(opts.config.state.proofHistoryBlocks, { chain, logger: logger.child({ module: "state" }), metrics: nodeMetrics });
  const mempool = new Mempool(
    { ...defaultMempoolOptions, ...opts.config.mempool, chainId: genesis.chainId },
    { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: createMempoolMetrics(register) },
  );
  const producer = new SingleValidatorProducer(
    { intervalMs: opts.config.block.intervalMs, txsMax: opts.config.block.txsMax, entriesMax: opts.config.block.entriesMax, bytesMax: 64 * 1024 * 1024, emptyIntervalMs: opts.config.block.emptyIntervalMs },
    { chain, mempool, key: modules.key, clock, logger: logger.child({ module: "producer" }), metrics: nodeMetrics },
  );
  producer.on("error", (err) => {
    // A block that cannot be committed means the store is unusable: stop loudly, lose nothing.
    logger.error({ err }, "Block production failed; stopping the node");
    process.exitCode = 1;
    void stop();
  });
  let api: ApiServer | null = null;
  let stopping: Promise<void> | null = null;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      await api?.close();
      await producer.stop();
      pruner?.stop();
      await checkpointer.stop();
      store.close();
      logger.info({ height: chain.head.height }, "Node stopped");
    })();
    return stopping;
  }
  producer.start();
  try {
    api = await startApiServer(
      { host: opts.config.api.host, port: opts.config.api.port },
      { chain, mempool, producer, register, logger: logger.child({ module: "api" }) },
    );
  } catch (err) {
    // A taken port: nothing may keep running (the producer's timer would hold the process open).
    await stop();
    throw err;
  }
  logger.info({ chainId: genesis.chainId, height: chain.head.height, api: api.url }, "Node started");
  return { chain, mempool, api, stop };
}
