/**
 * A real one-validator chain on a temporary SQLite file, for tests that need the whole
 * pipeline without processes: store, chain, mempool, producer and the Fastify app.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { pino } from "pino";
import { addressFromPublicKey, generateSigningKey, verifyAsync, type SigningKey } from "../../src/crypto/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { Mempool, createMempoolMetrics, defaultMempoolOptions, type MempoolOptions } from "../../src/mempool/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { SingleValidatorProducer } from "../../src/node/producer.ts";
import type { Logger } from "../../src/node/types.ts";
import { buildApi } from "../../src/api/index.ts";

export const silentLogger = pino({ level: "silent" }) as unknown as Logger;

export type TestChain = {
  dir: string;
  dbPath: string;
  genesis: Genesis;
  validatorKey: SigningKey;
  store: ChainStore;
  chain: Chain;
  mempool: Mempool;
  producer: SingleValidatorProducer;
  api: ReturnType<typeof buildApi>;
  close(): Promise<void>;
};

export function makeGenesis(key: SigningKey, chainId = "test-chain"): Genesis {
  return { chainId, genesisTime: 1_700_000_000_000, validators: [{ name: "v0", address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }] };
}

let clockMs = 1_700_000_000_000;
export const testClock = { nowMs: () => (clockMs += 1) };

/** `genesis`: a one-validator genesis whose validator is `key` (default: makeGenesis(key)); `mempool`: options over the defaults. */
export function openTestChain(opts: { dir?: string; key?: SigningKey; intervalMs?: number; genesis?: Genesis; mempool?: Partial<Omit<MempoolOptions, "chainId">> } = {}): TestChain {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "gm-test-"));
  const validatorKey = opts.key ?? generateSigningKey();
  const genesis = opts.genesis ?? makeGenesis(validatorKey);
  const dbPath = join(dir, "chain.db");
  const store = new ChainStore(dbPath);
  const chain = new Chain(genesis, store);
  const register = new Registry();
  const mempool = new Mempool({ ...defaultMempoolOptions, ...opts.mempool, chainId: genesis.chainId }, { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: createMempoolMetrics(register) });
  const producer = new SingleValidatorProducer(
    { intervalMs: opts.intervalMs ?? 5, txsMax: 1000, entriesMax: 100_000, bytesMax: 64 * 1024 * 1024 },
    { chain, mempool, key: validatorKey, clock: testClock, logger: silentLogger, metrics: null },
  );
  const api = buildApi({ chain, mempool, producer, register, logger: silentLogger });
  return {
    dir,
    dbPath,
    genesis,
    validatorKey,
    store,
    chain,
    mempool,
    producer,
    api,
    async close() {
      await api.close();
      await producer.stop();
      store.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
