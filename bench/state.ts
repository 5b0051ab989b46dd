/**
 * State store throughput: `npm run bench:state` (node bench/state.ts). Prints ONE JSON
 * document on stdout; progress goes to stderr. Writes/s for versions of 1,000 and 10,000
 * random writes over a state of 100,000 keys, proofs/s and verifies/s, each beside the raw
 * SHA-256 rate of 32- and 64-byte inputs measured in the same run (DESIGN §6).
 * The database is a real file with WAL and synchronous=FULL, as the node opens chain.db.
 * `chainBlocks` measures the consensus pattern: 5,000 accounts (two keys each), blocks of 500
 * nonce writes, each block prepared on its uncommitted parent (a base) and applied one block
 * later in its own transaction, as a validator executes before voting and commits after;
 * then `proofPruning` prunes those blocks' proofs in the node pruner's steps, and
 * `compactionAfterPruning` runs `ghostmesh compact`'s VACUUM on the file.
 */
import { hash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { sha256 } from "../src/crypto/index.ts";
import { compactStore } from "../src/node/compact.ts";
import { defaultStateProofPrunerTiming } from "../src/node/stateProofPruner.ts";
import { openStateStore, verifyStateProof, encodeStateProof } from "../src/state/index.ts";
import type { PreparedStateUpdate, StateStore, StateWrite } from "../src/state/index.ts";
import { benchCommandLine } from "./lib/cli.ts";
import { benchDirectory, machineFacts } from "./lib/machine.ts";
import { perSecond, progress, startStopwatch } from "./lib/timing.ts";

const INITIAL_KEYS = 100_000;
const INITIAL_KEYS_PER_VERSION = 10_000;
/** Each batch size is measured over this many versions; the figure is the total rate. */
const ROUNDS = 3;
const BATCH_SIZES = [1_000, 10_000] as const;
/** Half of a batch overwrites existing keys, half adds new ones; 1 in 20 deletes. */
const DELETE_EVERY = 20;
const PROOFS = 5_000;
const SHA256_ITERATIONS = 300_000;
const VALUE_SIZE_BYTES = 64;
/** 64 MiB page cache, as ledger/store.ts gives chain.db. */
const PAGE_CACHE_KIB = 64 * 1024;
const CHAIN_ACCOUNTS = 5_000;
const CHAIN_WRITES_PER_BLOCK = 500;
const CHAIN_BLOCKS = 60;
/** The first blocks warm up the process (JIT, page cache) and are not counted. */
const CHAIN_WARMUP_BLOCKS = 10;

/** Deterministic bytes: SHA-256 of a counter, so every run measures the same keys. */
function bytesOf(label: string, index: number, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  for (let offset = 0, block = 0; offset < sizeBytes; offset += 32, block++) {
    out.set(sha256(new TextEncoder().encode(`${label}/${index}/${block}`)).subarray(0, Math.min(32, sizeBytes - offset)), offset);
  }
  return out;
}

function keyOf(index: number): Uint8Array {
  // Shaped like an app key: a short prefix and a 20-byte address.
  const key = new Uint8Array(25);
  key.set(new TextEncoder().encode("acct/"));
  key.set(bytesOf("key", index, 20), 5);
  return key;
}

function sha256PerSecond(inputBytes: number): number {
  const input = new Uint8Array(inputBytes).fill(7);
  for (let i = 0; i < 10_000; i++) hash("sha256", input, "buffer"); // warm-up
  const stop = startStopwatch();
  for (let i = 0; i < SHA256_ITERATIONS; i++) hash("sha256", input, "buffer");
  return perSecond(SHA256_ITERATIONS, stop().elapsedMs);
}

type Commit = { readonly prepareMs: number; readonly applyMs: number; readonly cpuMs: number; readonly nodesWritten: number };

function commitVersion(db: DatabaseSync, store: StateStore, version: number, writes: readonly StateWrite[]): Commit {
  const prepareStop = startStopwatch();
  const prepared = store.prepare(version, writes);
  const prepareTime = prepareStop();
  const applyStop = startStopwatch();
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared);
  db.exec("COMMIT");
  const applyTime = applyStop();
  return { prepareMs: prepareTime.elapsedMs, applyMs: applyTime.elapsedMs, cpuMs: prepareTime.cpuMs + applyTime.cpuMs, nodesWritten: prepared.nodesWritten };
}

function buildInitialState(db: DatabaseSync, store: StateStore): number {
  let version = 0;
  for (let start = 0; start < INITIAL_KEYS; start += INITIAL_KEYS_PER_VERSION) {
    const writes: StateWrite[] = [];
    for (let i = start; i < start + INITIAL_KEYS_PER_VERSION; i++) writes.push({ key: keyOf(i), value: bytesOf("value", i, VALUE_SIZE_BYTES) });
    commitVersion(db, store, ++version, writes);
    progress(`initial state: ${start + INITIAL_KEYS_PER_VERSION} keys`);
  }
  return version;
}

type BatchFigures = {
  readonly writesPerVersion: number;
  readonly versions: number;
  readonly writesPerSecond: number;
  /** Writes per second of this process's CPU time: steadier than wall time on a shared machine. */
  readonly writesPerCpuSecond: number;
  readonly prepareMsPerVersion: number;
  readonly applyCommitMsPerVersion: number;
  readonly nodesWrittenPerVersion: number;
};

/** `next` tracks key indexes: overwrites pick earlier keys, new keys take fresh indexes. */
function measureBatches(db: DatabaseSync, store: StateStore, size: number, state: { version: number; nextKey: number }): BatchFigures {
  let prepareMs = 0;
  let applyMs = 0;
  let cpuMs = 0;
  let nodesWritten = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const writes: StateWrite[] = [];
    const used = new Set<number>();
    for (let i = 0; i < size; i++) {
      const seed = bytesOf(`pick/${state.version}`, i, 4);
      const existing = ((seed[0] as number) * 65536 + (seed[1] as number) * 256 + (seed[2] as number)) % state.nextKey;
      const index = i % 2 === 0 && !used.has(existing) ? existing : state.nextKey++;
      used.add(index);
      const value = i % DELETE_EVERY === 1 && index < state.nextKey - 1 ? null : bytesOf(`value/${state.version}`, i, VALUE_SIZE_BYTES);
      writes.push({ key: keyOf(index), value });
    }
    const commit = commitVersion(db, store, ++state.version, writes);
    prepareMs += commit.prepareMs;
    applyMs += commit.applyMs;
    cpuMs += commit.cpuMs;
    nodesWritten += commit.nodesWritten;
    progress(`version of ${size} writes: prepare ${commit.prepareMs.toFixed(0)} ms, apply+commit ${commit.applyMs.toFixed(0)} ms, ${commit.nodesWritten} nodes`);
  }
  return {
    writesPerVersion: size,
    versions: ROUNDS,
    writesPerSecond: perSecond(size * ROUNDS, prepareMs + applyMs),
    writesPerCpuSecond: perSecond(size * ROUNDS, cpuMs),
    prepareMsPerVersion: Math.round(prepareMs / ROUNDS),
    applyCommitMsPerVersion: Math.round(applyMs / ROUNDS),
    nodesWrittenPerVersion: Math.round(nodesWritten / ROUNDS),
  };
}

function measureProofs(store: StateStore, keyCount: number) {
  const keys = Array.from({ length: PROOFS }, (_, i) => keyOf(i % 5 === 4 ? keyCount + 1_000_000 + i : (i * 7919) % keyCount));
  const root = store.root();
  const proveStop = startStopwatch();
  const proofs = keys.map((key) => store.prove(key));
  const proveTime = proveStop();
  const verifyStop = startStopwatch();
  for (let i = 0; i < PROOFS; i++) {
    const { value, proof } = proofs[i] as (typeof proofs)[number];
    if (!verifyStateProof(root, keys[i] as Uint8Array, value, proof)) throw new Error(`proof ${i} does not verify`);
  }
  const verifyTime = verifyStop();
  let siblings = 0;
  let encodedBytes = 0;
  for (const { proof } of proofs) {
    siblings += proof.siblings.length;
    encodedBytes += encodeStateProof(proof).byteLength;
  }
  return {
    proofs: PROOFS,
    absentKeyShare: 0.2,
    proofsPerSecond: perSecond(PROOFS, proveTime.elapsedMs),
    proofsPerCpuSecond: perSecond(PROOFS, proveTime.cpuMs),
    verifiesPerSecond: perSecond(PROOFS, verifyTime.elapsedMs),
    verifiesPerCpuSecond: perSecond(PROOFS, verifyTime.cpuMs),
    siblingsPerProofMean: Math.round((siblings / PROOFS) * 10) / 10,
    encodedProofBytesMean: Math.round(encodedBytes / PROOFS),
  };
}

function openBenchDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -${PAGE_CACHE_KIB};`);
  return db;
}

/** Block h rewrites the nonces of 500 distinct accounts, rotating through all of them. */
function chainBlockWrites(height: number): StateWrite[] {
  return Array.from({ length: CHAIN_WRITES_PER_BLOCK }, (_, i) => {
    const account = (height * CHAIN_WRITES_PER_BLOCK + i * 7) % CHAIN_ACCOUNTS;
    const key = keyOf(account);
    key[0] = 0x02; // the nonce record beside the 0x01 key record (docs/decisions/0400, "In the chain")
    return { key, value: bytesOf(`nonce/${height}`, i, 9) };
  });
}

function measureChainBlocks(path: string) {
  const db = openBenchDatabase(path);
  try {
    const store = openStateStore(db);
    const genesis: StateWrite[] = [];
    for (let i = 0; i < CHAIN_ACCOUNTS; i++) {
      genesis.push({ key: keyOf(i), value: bytesOf("publicKey", i, 1952) });
      const nonceKey = keyOf(i);
      nonceKey[0] = 0x02;
      genesis.push({ key: nonceKey, value: bytesOf("nonce", i, 9) });
    }
    commitVersion(db, store, 0, genesis);
    let parent: PreparedStateUpdate | undefined;
    let prepareCpuMs = 0;
    let applyCpuMs = 0;
    let keysChanged = 0;
    for (let height = 1; height <= CHAIN_BLOCKS + CHAIN_WARMUP_BLOCKS; height++) {
      const counted = height > CHAIN_WARMUP_BLOCKS;
      const prepareStop = startStopwatch();
      const prepared = store.prepare(height, chainBlockWrites(height), { bases: parent === undefined ? [] : [parent] });
      const prepareTime = prepareStop();
      const applyStop = startStopwatch();
      if (parent !== undefined) {
        db.exec("BEGIN IMMEDIATE");
        store.apply(parent);
        db.exec("COMMIT");
      }
      const applyTime = applyStop();
      if (counted) {
        prepareCpuMs += prepareTime.cpuMs;
        applyCpuMs += applyTime.cpuMs;
        keysChanged += prepared.keysChanged;
      }
      parent = prepared;
    }
    const perBlock = (ms: number) => Math.round((ms / CHAIN_BLOCKS) * 10) / 10;
    return {
      accounts: CHAIN_ACCOUNTS,
      writesPerBlock: CHAIN_WRITES_PER_BLOCK,
      blocks: CHAIN_BLOCKS,
      prepareOnBaseCpuMsPerBlock: perBlock(prepareCpuMs),
      applyCommitCpuMsPerBlock: perBlock(applyCpuMs),
      cpuUsPerChangedKey: Math.round(((prepareCpuMs + applyCpuMs) * 1000) / keysChanged),
      proofPruning: measureProofPruning(db, store),
      compactionAfterPruning: measureCompaction(db, path),
    };
  } finally {
    if (db.isOpen) db.close();
  }
}

/** `ghostmesh compact` on the pruned file: what VACUUM gives back, and how long it takes. */
function measureCompaction(db: DatabaseSync, path: string) {
  db.close();
  const compacted = compactStore(path);
  return {
    fileBytesBefore: compacted.fileBytes + compacted.walBytes,
    freePageBytesBefore: compacted.pagesFree * compacted.pageBytes,
    fileBytesAfter: compacted.fileBytesAfter,
    durationMs: compacted.durationMs,
  };
}

/**
 * The node's proof pruner on those blocks (src/node/stateProofPruner.ts): every version but the
 * latest pruned in the pruner's steps of versions, each step its own transaction, beside what
 * writing a block cost above (applyCommitCpuMsPerBlock).
 */
function measureProofPruning(db: DatabaseSync, store: StateStore) {
  const latest = store.latestVersion as number;
  const rowsBefore = (db.prepare("SELECT count(*) AS n FROM state_nodes").get() as { n: number }).n;
  let nodesDeleted = 0;
  let versions = 0;
  let cpuMs = 0;
  const stepsCpuMs: number[] = [];
  while (store.proofsPrunedBefore < latest) {
    const stop = startStopwatch();
    const result = store.pruneProofsBefore(latest, { versionsMax: defaultStateProofPrunerTiming.versionsPerRunMax });
    const step = stop().cpuMs;
    cpuMs += step;
    stepsCpuMs.push(step);
    nodesDeleted += result.nodesDeleted;
    versions += result.versionsDone;
  }
  const rowsAfter = (db.prepare("SELECT count(*) AS n FROM state_nodes").get() as { n: number }).n;
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    versionsPerStep: defaultStateProofPrunerTiming.versionsPerRunMax,
    stateNodeRowsBefore: rowsBefore,
    stateNodeRowsAfter: rowsAfter,
    nodesDeletedPerVersion: Math.round(nodesDeleted / versions),
    cpuMsPerVersion: round1(cpuMs / versions),
    // Steps include SQLite's automatic WAL checkpoints (the node runs them on a worker instead).
    stepCpuMsP50: round1(stepsCpuMs.sort((a, b) => a - b)[Math.floor(stepsCpuMs.length / 2)] as number),
    stepCpuMsMax: round1(stepsCpuMs.at(-1) as number),
  };
}

const HELP = `Usage: npm run bench:state

State store throughput on a real SQLite file (WAL, synchronous=FULL, as the node opens
chain.db): writes per second over a state of ${INITIAL_KEYS} keys, proofs and proof checks per second,
and the consensus pattern (blocks prepared on their uncommitted parent, applied a block later),
each beside the raw SHA-256 rate measured in the same run. Prints one JSON document on stdout;
progress on stderr.

  -h, --help   this help

Environment:
  GHOSTMESH_BENCH_DIR  where the database goes (default: the OS temporary directory)
`;

function main(): void {
  benchCommandLine({ name: "bench/state.ts", help: HELP, options: {} }, () => undefined);
  const machine = machineFacts();
  const directory = mkdtempSync(join(benchDirectory(), "ghostmesh-state-bench-"));
  const db = openBenchDatabase(join(directory, "chain.db"));
  try {
    const store = openStateStore(db);
    progress(`building ${INITIAL_KEYS} keys in ${machine.benchDirectory} (${machine.benchDirectoryFilesystem})`);
    const setupStop = startStopwatch();
    const state = { version: buildInitialState(db, store), nextKey: INITIAL_KEYS };
    const setupMs = setupStop().elapsedMs;
    const sha256Input32BytesPerSecond = sha256PerSecond(32);
    const sha256Input64BytesPerSecond = sha256PerSecond(64);
    const batches = BATCH_SIZES.map((size) => measureBatches(db, store, size, state));
    progress("measuring proofs");
    const proofs = measureProofs(store, state.nextKey);
    progress(`chain blocks: ${CHAIN_ACCOUNTS} accounts, ${CHAIN_WRITES_PER_BLOCK} writes per block`);
    const chainBlocks = measureChainBlocks(join(directory, "chain-blocks.db"));
    const result = {
      benchmark: "state.store",
      command: "npm run bench:state",
      machine,
      initialKeys: INITIAL_KEYS,
      initialBuildWritesPerSecond: perSecond(INITIAL_KEYS, setupMs),
      sha256Input32BytesPerSecond,
      sha256Input64BytesPerSecond,
      batches,
      ...proofs,
      chainBlocks,
      // Each write costs about log2(keys) node hashes; these ratios put the rates beside that limit.
      writesVsRawSha256Ratio: batches.map((b) => Math.round((b.writesPerSecond / sha256Input64BytesPerSecond) * 10_000) / 10_000),
      verifiesVsRawSha256Ratio: Math.round((proofs.verifiesPerSecond / sha256Input64BytesPerSecond) * 10_000) / 10_000,
      latestVersion: store.latestVersion,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    db.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

main();
