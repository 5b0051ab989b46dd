/**
 * A real multi-validator network in this process for tests: N homes with one genesis, each
 * validator with its own SQLite store, consensus host and REST API (port 0), on one
 * in-memory network. Validators can be stopped and restarted from their homes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { buildTx, GhostmeshClient, type TxIntent } from "../../../src/client/index.ts";
import { addressFromPublicKey, formatAddress, generateSigningKey, type SigningKey } from "../../../src/crypto/index.ts";
import { blockHashOf, decodeConsensusMessage, type ConsensusTiming } from "../../../src/consensus/index.ts";
import { defaultNodeConfig, type NodeConfig } from "../../../src/node/config.ts";
import { InMemoryNetwork, NetworkTopic, prepareDevnetHomes, startValidatorNode, type DevnetGenesisExtras, type DevnetHomes, type RunningValidator, type ValidatorNodeOptions } from "../../../src/node/consensus/index.ts";
import { initHome } from "../../../src/node/home.ts";
import type { Clock, Logger } from "../../../src/node/types.ts";
import { toHex } from "../../../src/util/index.ts";

export const CHAIN_ID = "consensus-node-test";
const silent = pino({ level: "silent" }) as unknown as Logger;

function recordingLogger(lines: string[], level: "info" | "warn"): Logger {
  return pino({ level }, { write: (line: string) => void lines.push(line) }) as unknown as Logger;
}

/** Short views so a silent leader costs little test time; backoff capped low for the same reason. */
export const TEST_TIMING: ConsensusTiming = { viewTimeoutBaseMs: 250, backoffPercent: 200, backoffExponentMax: 2 };

// No empty blocks: the pacing test checks that an idle network neither proposes nor times out.
const config: NodeConfig = { ...defaultNodeConfig, api: { host: "127.0.0.1", port: 0 }, log: { level: "silent" }, block: { ...defaultNodeConfig.block, emptyIntervalMs: 0 } };

export type Cluster = {
  readonly dir: string;
  readonly homes: DevnetHomes;
  /** Genesis validators' homes, then the extra nodes'. */
  readonly keys: readonly SigningKey[];
  readonly network: InMemoryNetwork;
  /** null while stopped. */
  readonly validators: (RunningValidator | null)[];
  /**
   * `beforeConsensus`, `resumeSigning`: as ValidatorNodeOptions (the hook runs once the API is
   * up); `apiPort`: instead of a random one; `logged`: receives the node's warnings and errors
   * (and its info lines too with `loggedLevel: "info"`),
   * one JSON line each (otherwise it logs nothing).
   */
  start(index: number, extra?: { readonly beforeConsensus?: ValidatorNodeOptions["beforeConsensus"]; readonly resumeSigning?: boolean; readonly apiPort?: number; readonly logged?: string[]; readonly loggedLevel?: "info" | "warn" }): Promise<RunningValidator>;
  stop(index: number): Promise<void>;
  client(index: number): GhostmeshClient;
  close(): Promise<void>;
};

export type ClusterOptions = {
  readonly start?: readonly number[];
  /** Genesis fields beyond the validators (mode, bonds, params...). */
  readonly genesisExtras?: DevnetGenesisExtras;
  /** Empty blocks (config block.emptyIntervalMs); default 0: none. */
  readonly emptyIntervalMs?: number;
  /** Nodes beyond the genesis validators (indices size, size+1, ...): same genesis, keys of their own, started on demand. */
  readonly extraNodes?: number;
  /** The wall clock every validator reads, or each validator's own by index (default: the system's). */
  readonly clock?: Clock | ((index: number) => Clock);
  /** Consensus timing of every validator (default TEST_TIMING: 250 ms views). */
  readonly timing?: ConsensusTiming;
  /** ConsensusHostOptions.regossipAllIntervalMs of every validator (default: the host's). */
  readonly regossipAllIntervalMs?: number;
  /** ValidatorNodeOptions.signing of every validator ("inline": a proposal or vote is signed inside the engine's step). */
  readonly signing?: ValidatorNodeOptions["signing"];
  /** ValidatorNodeOptions.signingReservationViews of every validator. */
  readonly signingReservationViews?: number;
};

export async function startCluster(size: number, opts: ClusterOptions = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "gm-consensus-"));
  const homes = prepareDevnetHomes(dir, { validators: size, chainId: CHAIN_ID, genesisTimeMs: Date.now(), ...(opts.genesisExtras === undefined ? {} : { genesisExtras: opts.genesisExtras }) });
  const nodeConfig: NodeConfig = opts.emptyIntervalMs === undefined ? config : { ...config, block: { ...config.block, emptyIntervalMs: opts.emptyIntervalMs } };
  const extra = opts.extraNodes ?? 0;
  const extraHomes = Array.from({ length: extra }, (_, i) => {
    const key = generateSigningKey();
    const name = `extra${i}`;
    const home = join(dir, name);
    initHome(home, { chainId: CHAIN_ID, name, genesisTimeMs: homes.genesis.genesisTime, keyProtection: { plain: true }, genesis: homes.genesis, key });
    return { name, home, key };
  });
  const allHomes = [...homes.homes, ...extraHomes];
  const network = new InMemoryNetwork(size + extra);
  const validators: (RunningValidator | null)[] = Array.from({ length: size + extra }, () => null);
  const cluster: Cluster = {
    dir,
    homes,
    keys: allHomes.map((h) => h.key),
    network,
    validators,
    async start(index, extra = {}) {
      const home = allHomes[index];
      if (home === undefined || validators[index] !== null) throw new Error(`cannot start validator ${index}`);
      const clock = opts.clock === undefined ? {} : { clock: typeof opts.clock === "function" ? opts.clock(index) : opts.clock };
      const apiConfig = extra.apiPort === undefined ? nodeConfig : { ...nodeConfig, api: { ...nodeConfig.api, port: extra.apiPort } };
      const hook = extra.beforeConsensus === undefined ? {} : { beforeConsensus: extra.beforeConsensus };
      const passed = {
        ...(opts.regossipAllIntervalMs === undefined ? {} : { regossipAllIntervalMs: opts.regossipAllIntervalMs }),
        ...(opts.signing === undefined ? {} : { signing: opts.signing }),
        ...(opts.signingReservationViews === undefined ? {} : { signingReservationViews: opts.signingReservationViews }),
        ...(extra.resumeSigning === undefined ? {} : { resumeSigning: extra.resumeSigning }),
      };
      const validator = await startValidatorNode({ home: home.home, config: apiConfig, genesis: homes.genesis, timing: opts.timing ?? TEST_TIMING, slot: index, ...hook, ...passed }, { key: home.key, network, logger: extra.logged === undefined ? silent : recordingLogger(extra.logged, extra.loggedLevel ?? "warn"), ...clock });
      validators[index] = validator;
      return validator;
    },
    async stop(index) {
      const validator = validators[index];
      validators[index] = null;
      await validator?.stop();
    },
    client(index) {
      const validator = validators[index];
      if (validator === null || validator === undefined) throw new Error(`validator ${index} is not running`);
      return new GhostmeshClient(validator.api.url);
    },
    async close() {
      for (let i = size + extra - 1; i >= 0; i--) await cluster.stop(i);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const index of opts.start ?? Array.from({ length: size }, (_, i) => i)) await cluster.start(index);
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/** A client account: its key and the next nonce to sign with (tracked locally). */
export type Account = { readonly key: SigningKey; readonly address: string; nonce: number };

export function newAccount(): Account {
  const key = generateSigningKey();
  return { key, address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)), nonce: 0 };
}

export function signNext(account: Account, intent: TxIntent): { bytes: Uint8Array; hash: string } {
  const built = buildTx(account.key, CHAIN_ID, account.nonce, intent);
  account.nonce += 1;
  return { bytes: built.bytes, hash: toHex(built.hash) };
}

/** Submits the account's next transaction to validator `index` and waits for its commit there; fails the test otherwise. */
export async function commitNext(cluster: Cluster, account: Account, intent: TxIntent, index = 0): Promise<void> {
  const response = await cluster.client(index).submitTx(signNext(account, intent).bytes, { wait: true, timeoutMs: 30_000 });
  assert.equal(response.status, "committed", JSON.stringify(response));
}

/** The value `read` gives once it has not changed for `quietMs` (an idle chain's head or view). */
export async function settledValue(what: string, read: () => number, quietMs: number): Promise<number> {
  let last = Number.NaN;
  let since = Date.now();
  return waitFor(
    `${what} to settle`,
    () => {
      const value = read();
      if (value !== last) {
        last = value;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= quietMs ? value : undefined;
    },
    20_000,
  );
}

/** Waits until each validator in `indices` reports the transaction committed through its API. */
export async function waitForCommitAt(cluster: Cluster, txHash: string, indices: readonly number[]): Promise<void> {
  for (const index of indices) {
    await waitFor(`validator ${index} to commit the transaction`, async () => ((await cluster.client(index).tx(txHash).catch(() => null))?.status === "committed" ? true : undefined), 20_000);
  }
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Block hashes by height of a running validator, 1..height. */
export function blockHashes(validator: RunningValidator, heightMax = validator.chain.head.height): string[] {
  const hashes: string[] = [];
  for (let height = 1; height <= heightMax; height++) hashes.push(toHex(validator.chain.store.getBlock(height)?.hash ?? new Uint8Array()));
  return hashes;
}

/**
 * A PoS genesis for tests (DevnetGenesisExtras): every validator bonds `bond` and holds
 * 1,000,000 tokens to transact with; epochs of `epochBlocks`.
 */
export function posGenesisExtras(bond: bigint, epochBlocks: number): DevnetGenesisExtras {
  return (validators) => ({
    mode: "pos",
    bonds: validators.map((v) => ({ validator: v.address, amount: String(bond) })),
    allocations: validators.map((v) => ({ address: v.address, amount: "1000000" })),
    params: { chain: { epochBlocks } },
  });
}

export type SignedRecord = { readonly view: number; readonly blockHash: string };

/**
 * The votes validator `slot` sends from now on, in order. Votes are broadcast: one sent vote is
 * carried once per recipient, as identical frames, and is recorded once.
 */
export function recordVotesFrom(network: InMemoryNetwork, slot: number): SignedRecord[] {
  return recordSignedFrom(network, slot).votes;
}

/** As recordVotesFrom, for votes and proposals (each a signature on one block in one view). */
export function recordSignedFrom(network: InMemoryNetwork, slot: number): { readonly votes: SignedRecord[]; readonly proposals: SignedRecord[] } {
  const votes: SignedRecord[] = [];
  const proposals: SignedRecord[] = [];
  const framesSeen = new Set<string>();
  network.observe((from, _to, frame) => {
    if (from !== slot || frame.topic !== NetworkTopic.consensus) return;
    const frameHex = toHex(frame.bytes);
    if (framesSeen.has(frameHex)) return;
    framesSeen.add(frameHex);
    const message = decodeConsensusMessage(frame.bytes);
    if (message.type === "vote") votes.push({ view: message.view, blockHash: toHex(message.blockHash) });
    if (message.type === "proposal") proposals.push({ view: message.block.header.view, blockHash: toHex(blockHashOf(message.block)) });
  });
  return { votes, proposals };
}
