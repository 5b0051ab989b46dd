/**
 * A real one-validator chain for the benches: on-disk SQLite store in a temp directory (WAL,
 * synchronous=FULL, as a node runs it), the Chain, the Mempool with the real threadpool
 * verifier, and the block producer with the node's default block options.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { addressFromPublicKey, generateSigningKey, verifyAsync, type SigningKey } from "../../src/crypto/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { Mempool, createMempoolMetrics, defaultMempoolOptions } from "../../src/mempool/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { defaultNodeConfig } from "../../src/node/config.ts";
import { createNodeMetrics, type NodeMetrics } from "../../src/node/metrics.ts";
import { SingleValidatorProducer, type CommittedBlockEvent } from "../../src/node/producer.ts";
import { systemClock, type Logger } from "../../src/node/types.ts";
import { benchDirectory } from "./machine.ts";

export const BENCH_CHAIN_ID = "bench";

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => silentLogger,
};

export type BenchChain = {
  readonly dir: string;
  readonly store: ChainStore;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly producer: SingleValidatorProducer;
  readonly register: Registry;
  readonly nodeMetrics: NodeMetrics;
  close(): Promise<void>;
};

export function openBenchChain(label: string): BenchChain {
  const dir = mkdtempSync(join(benchDirectory(), `ghostmesh-bench-${label}-`));
  const validatorKey: SigningKey = generateSigningKey();
  const genesis: Genesis = {
    chainId: BENCH_CHAIN_ID,
    genesisTime: Date.now(),
    validators: [{ name: "v0", address: addressFromPublicKey(validatorKey.alg, validatorKey.publicKey), alg: validatorKey.alg, publicKey: validatorKey.publicKey, power: 1 }],
  };
  const store = new ChainStore(join(dir, "chain.db"));
  const chain = new Chain(genesis, store);
  const register = new Registry();
  const nodeMetrics = createNodeMetrics(register);
  const mempool = createBenchMempool(chain, register);
  const { intervalMs, txsMax, entriesMax } = defaultNodeConfig.block;
  const producer = new SingleValidatorProducer(
    { intervalMs, txsMax, entriesMax, bytesMax: 64 * 1024 * 1024 },
    { chain, mempool, key: validatorKey, clock: systemClock, logger: silentLogger, metrics: nodeMetrics },
  );
  return {
    dir,
    store,
    chain,
    mempool,
    producer,
    register,
    nodeMetrics,
    async close() {
      await producer.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A mempool wired as src/node/node.ts wires it: the node's default options, the real
 * threadpool verifier, real metrics. A fresh one starts with an empty verified-signature
 * cache, so the same pre-signed transactions can be admitted (and verified) again.
 */
export function createBenchMempool(chain: Chain, register: Registry = new Registry()): Mempool {
  return new Mempool(
    { ...defaultMempoolOptions, chainId: chain.genesis.chainId, txsMax: defaultNodeConfig.mempool.txsMax },
    { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: createMempoolMetrics(register) },
  );
}

/** Resolves once every hash in `txHashesHex` is in a committed block; rejects on a producer error. */
export function waitForCommits(producer: SingleValidatorProducer, txHashesHex: readonly string[]): Promise<CommittedBlockEvent[]> {
  const waiting = new Set(txHashesHex);
  const blocks: CommittedBlockEvent[] = [];
  return new Promise((resolve, reject) => {
    const finish = (): void => {
      producer.off("committed", onCommitted);
      producer.off("error", onError);
    };
    const onCommitted = (event: CommittedBlockEvent): void => {
      blocks.push(event);
      for (const hash of event.txHashes) waiting.delete(hash);
      if (waiting.size === 0) {
        finish();
        resolve(blocks);
      }
    };
    const onError = (err: Error): void => {
      finish();
      reject(err);
    };
    if (waiting.size === 0) {
      resolve(blocks);
      return;
    }
    producer.on("committed", onCommitted);
    producer.on("error", onError);
  });
}
