/**
 * Consensus in the node: n = 4 validators in ONE process (shared genesis, each with its own
 * SQLite store, mempool and consensus host, on the in-memory network), real ML-DSA-65
 * signatures everywhere: transactions, proposals, votes, QCs.
 *
 * - Peak: a flood of pre-signed audit.append transactions, submitted round-robin to the four
 *   validators (as the API does: admission, then gossip), until every validator committed all.
 * - Half of peak: an open-loop stream at half that rate; commit latency of each transaction
 *   is from its submission to its commit at the validator it was submitted to, and its three
 *   phases (p50 of each): submitted to admitted there; admitted to first sent in a proposal (the
 *   proposals are recorded as the network carries them and decoded after the run); that
 *   proposal to the commit.
 *
 * One process hosts four validators, so every transaction is verified four times on the same
 * cores (each validator admits it): the raw ML-DSA-65 verify rate of this machine, measured in
 * the same run, bounds the peak at about rawAllCores / 4 (DESIGN §6).
 * Prints one JSON object on stdout; progress on stderr.
 * Run: ./node_modules/.bin/node bench/consensus-node.ts [--peak-txs N] [--seconds S] [--rate R] [--votes all|nextLeader] [--signing threadpool|inline] [--helper-nice N] [--block-txs-max N]
 *   --rate pins the open-loop rate (latency at a chosen load) instead of half the measured peak;
 *   --helper-nice overrides the node's threads.helperNice (0: helper threads keep their priority);
 *   --votes overrides the node's vote delivery (by default "all" for committees up to 16);
 *   --block-txs-max caps the transactions in a block (block.txsMax).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { EventLoopUtilization } from "node:perf_hooks";
import { pino } from "pino";
import { defaultNodeConfig, type NodeConfig } from "../src/node/config.ts";
import { HELPER_THREAD_NICE_MAX, lowerHelperThreadPriority } from "../src/node/threadPriority.ts";
import { SIGNING_RESERVATION_VIEWS_MIN } from "../src/node/consensus/signingReservation.ts";
import { InMemoryNetwork, NetworkTopic, prepareDevnetHomes, startValidatorNode, voteDeliveryFor, type AbsentLeaderCause, type RunningValidator } from "../src/node/consensus/index.ts";
import { decodeConsensusMessage, SIGNING_RESERVATION_VIEWS } from "../src/consensus/index.ts";
import { signatureWorkCounts, type SignatureWorkCounts } from "../src/crypto/index.ts";
import { BLOCK_TXS_MAX, hashTx } from "../src/ledger/index.ts";
import { assert, toHex } from "../src/util/index.ts";
import type { Logger } from "../src/node/types.ts";
import type { VoteDelivery } from "../src/consensus/index.ts";
import { benchCommandLine, choiceArg, intArg } from "./lib/cli.ts";
import { BENCH_CHAIN_ID } from "./lib/fixture.ts";
import { metricSum, metricsText } from "./lib/metrics.ts";
import { benchDirectory, loadAverage1m, machineFacts, processWrites, round, startStealMeter, threadCpuMsSince, threadCpuSnapshot, type ProcessWrites, type ThreadCpuSnapshot } from "./lib/machine.ts";
import { nowMs, perSecond, progress, quantileOfSorted, runBounded } from "./lib/timing.ts";
import { auditRecord, generateKeys, prepareTxs, type PreparedTx, type TxPlan } from "./lib/txs.ts";
import { measureThreadpoolHandoffLoopCpuUs, measureVerifyAllCores, measureVerifySyncPerSecond, verifySamples } from "./lib/verifyRate.ts";

const VALIDATORS = 4;
/** Many senders keep each sender's nonce chain short, as many independent clients would. */
const ACCOUNTS = 200;
/** Enough admissions in flight to keep every threadpool thread verifying. */
const SUBMIT_IN_FLIGHT_MAX = 256;
/** The open-loop generator wakes this often and submits what is due. */
const PACER_TICK_MS = 2;
/** Issue #3, "Done when" (reported here and in the README, never asserted in tests). */
const TARGET_P50_COMMIT_LATENCY_MS_MAX = 50;
/** Four validators tolerate one fault: with two stopped nothing commits. */
const STOPPED_VALIDATORS_MAX = 1;

const HELP = `Usage: ./node_modules/.bin/node bench/consensus-node.ts [--peak-txs N] [--seconds S] [--rate R] [--votes all|nextLeader] [--signing threadpool|inline] [--helper-nice N] [--block-txs-max N]
       [--signing-reservation-views N] [--stop-validators N]

Four validators in one process, real ML-DSA-65 signatures and SQLite stores: the peak committed
throughput under a flood, then commit latency under an open-loop stream at half of it (the
issue's target: p50 <= ${TARGET_P50_COMMIT_LATENCY_MS_MAX} ms). Prints one JSON object on stdout; progress on stderr.

Flags:
  --peak-txs N       transactions in the peak flood (default 6000; rounded up to whole rounds of ${ACCOUNTS} accounts)
  --seconds S        length of the open-loop run (default 8)
  --rate R           pin the open-loop rate to R tx/s instead of half of the measured peak
  --votes D          vote delivery: all or nextLeader (default: the node's, all for up to 16 validators)
  --signing M        threadpool (default) or inline: where consensus signatures are made
  --helper-nice N    nice value for the helper threads, 0 to ${HELPER_THREAD_NICE_MAX} (default ${defaultNodeConfig.threads.helperNice}, as threads.helperNice; 0 leaves them alone)
  --block-txs-max N  transactions a block holds at most, 1 to ${BLOCK_TXS_MAX} (default ${defaultNodeConfig.block.txsMax}, as block.txsMax); a smaller
                     cap lowers the peak, and with it the rate at half of it
  --signing-reservation-views N
                     views each signing reservation covers, ${SIGNING_RESERVATION_VIEWS_MIN} or more (default ${SIGNING_RESERVATION_VIEWS}, the node's); a
                     reservation is written and fsynced every half of it: a larger span measures
                     what those writes cost
  --stop-validators N
                     validators stopped after the peak, before the run at half of it: 0 (default)
                     or 1 (four validators tolerate one fault); the stream then goes to the others,
                     and every view the stopped one leads has no proposal
  -h, --help         this help

Environment:
  GHOSTMESH_BENCH_DIR  where the validators' databases go (default: the OS temporary directory)
`;

type BenchArgs = { peakTxs: number; seconds: number; rate: number | undefined; votes: VoteDelivery | undefined; signing: "threadpool" | "inline"; helperNice: number; blockTxsMax: number; signingReservationViews: number; stopValidators: number };

function parseBenchArgs(): BenchArgs {
  const options = { "peak-txs": { type: "string" }, seconds: { type: "string" }, rate: { type: "string" }, votes: { type: "string" }, signing: { type: "string" }, "helper-nice": { type: "string" }, "block-txs-max": { type: "string" }, "signing-reservation-views": { type: "string" }, "stop-validators": { type: "string" } } as const;
  return benchCommandLine({ name: "bench/consensus-node.ts", help: HELP, options }, ({ values }) => {
    const votes = values.votes === undefined ? undefined : choiceArg(values.votes, "--votes", ["all", "nextLeader"] as const, "all");
    return {
      peakTxs: intArg(values["peak-txs"], "--peak-txs", { min: 1, max: 1_000_000 }, 6_000),
      seconds: intArg(values.seconds, "--seconds", { min: 1, max: 3_600 }, 8),
      rate: intArg(values.rate, "--rate", { min: 1, max: 1_000_000 }),
      votes,
      signing: choiceArg(values.signing, "--signing", ["threadpool", "inline"] as const, "threadpool"),
      helperNice: intArg(values["helper-nice"], "--helper-nice", { min: 0, max: HELPER_THREAD_NICE_MAX }, defaultNodeConfig.threads.helperNice),
      blockTxsMax: intArg(values["block-txs-max"], "--block-txs-max", { min: 1, max: BLOCK_TXS_MAX }, defaultNodeConfig.block.txsMax),
      signingReservationViews: intArg(values["signing-reservation-views"], "--signing-reservation-views", { min: SIGNING_RESERVATION_VIEWS_MIN, max: 1_000_000_000 }, SIGNING_RESERVATION_VIEWS),
      stopValidators: intArg(values["stop-validators"], "--stop-validators", { min: 0, max: STOPPED_VALIDATORS_MAX }, 0),
    };
  });
}

const ARGS = parseBenchArgs();
/** A whole number of transactions per account, so the half-peak stream continues every nonce chain without a gap. */
const PEAK_TXS = Math.ceil(ARGS.peakTxs / ACCOUNTS) * ACCOUNTS;
const HALF_PEAK_SECONDS = ARGS.seconds;

const silent = pino({ level: "silent" }) as unknown as Logger;
const config: NodeConfig = { ...defaultNodeConfig, block: { ...defaultNodeConfig.block, txsMax: ARGS.blockTxsMax }, api: { host: "127.0.0.1", port: 0 }, log: { level: "silent" }, threads: { helperNice: ARGS.helperNice } };

type Cluster = { readonly dir: string; readonly network: InMemoryNetwork; readonly validators: readonly RunningValidator[] };

async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(benchDirectory(), "gm-bench-consensus-"));
  const homes = prepareDevnetHomes(dir, { validators: VALIDATORS, chainId: BENCH_CHAIN_ID, genesisTimeMs: Date.now() });
  const network = new InMemoryNetwork(VALIDATORS);
  const validators: RunningValidator[] = [];
  const voteDelivery = ARGS.votes === undefined ? {} : { voteDelivery: ARGS.votes };
  for (const home of homes.homes) {
    validators.push(await startValidatorNode({ home: home.home, config, genesis: homes.genesis, signing: ARGS.signing, signingReservationViews: ARGS.signingReservationViews, ...voteDelivery }, { key: home.key, network, logger: silent }));
  }
  return { dir, network, validators };
}

/** Resolves, per validator, the time each watched transaction committed there. */
class CommitWatch {
  readonly committedAtMs: Map<string, number>[];
  private readonly waiting: Set<string>[];
  private readonly done: (() => void)[] = [];
  private readonly stopped = new Set<number>();

  constructor(validators: readonly RunningValidator[]) {
    this.committedAtMs = validators.map(() => new Map());
    this.waiting = validators.map(() => new Set());
    validators.forEach((validator, i) => {
      validator.host.on("committed", (event) => {
        const at = nowMs();
        for (const hash of event.txHashes) if (this.waiting[i]!.delete(hash)) this.committedAtMs[i]!.set(hash, at);
        if (this.waiting.every((set) => set.size === 0)) for (const resolve of this.done.splice(0)) resolve();
      });
    });
  }

  /** Resolves once every validator not stopped committed every one of `hashes`. */
  watch(hashes: readonly string[]): Promise<void> {
    this.waiting.forEach((set, i) => {
      if (!this.stopped.has(i)) for (const hash of hashes) set.add(hash);
    });
    return new Promise((resolve) => this.done.push(resolve));
  }

  /** Validator `i` was stopped: it commits nothing more, and nothing waits for it. */
  stop(i: number): void {
    this.stopped.add(i);
    this.waiting[i]!.clear();
  }
}

/** When each transaction was admitted at the validator it was submitted to, by hash (hex). */
const admittedAtMs = new Map<string, number>();

async function submit(validator: RunningValidator, tx: PreparedTx): Promise<void> {
  const poolTx = await validator.mempool.admit(tx.bytes);
  admittedAtMs.set(tx.hashHex, nowMs());
  validator.host.notifyAdmitted(poolTx, tx.bytes);
}

/**
 * Records each consensus frame once, when its sender queues it (a broadcast queues one frame
 * object to every peer); decoding waits until the run is over, so it takes no time from the
 * validators. Returns the function that stops recording and gives, per transaction hash (hex),
 * when a proposal carrying it was first sent.
 */
function recordProposals(network: InMemoryNetwork): () => Map<string, number> {
  const frames: { readonly atMs: number; readonly bytes: Uint8Array }[] = [];
  const seen = new WeakSet<Uint8Array>();
  const stop = network.observe((_from, _to, frame) => {
    if (frame.topic !== NetworkTopic.consensus || seen.has(frame.bytes)) return;
    seen.add(frame.bytes);
    frames.push({ atMs: nowMs(), bytes: frame.bytes });
  });
  return () => {
    stop();
    const proposedAtMs = new Map<string, number>();
    for (const { atMs, bytes } of frames) {
      const message = decodeConsensusMessage(bytes);
      if (message.type !== "proposal") continue;
      for (const signedTx of message.block.txs) {
        const hashHex = toHex(hashTx(signedTx.tx));
        if (!proposedAtMs.has(hashHex)) proposedAtMs.set(hashHex, atMs);
      }
    }
    return proposedAtMs;
  };
}

function appendPlans(keys: readonly TxPlan["key"][], nonceFrom: number, count: number): TxPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const account = i % keys.length;
    const nonce = nonceFrom + Math.floor(i / keys.length);
    return { key: keys[account]!, nonce, type: "audit.append" as const, record: auditRecord(account, nonce) };
  });
}

async function runFlood(cluster: Cluster, watch: CommitWatch, txs: readonly PreparedTx[]): Promise<{ seconds: number; txsPerSecond: number }> {
  const committed = watch.watch(txs.map((tx) => tx.hashHex));
  const started = nowMs();
  await runBounded(txs, SUBMIT_IN_FLIGHT_MAX, (tx, i) => submit(cluster.validators[i % VALIDATORS]!, tx));
  await committed;
  const elapsedMs = nowMs() - started;
  return { seconds: round(elapsedMs / 1000, 2), txsPerSecond: perSecond(txs.length, elapsedMs) };
}

/** Submits tx i at start + i / rate (open loop: the schedule does not wait for commits). */
async function runOpenLoop(cluster: Cluster, watch: CommitWatch, txs: readonly PreparedTx[], ratePerSecond: number, running: number) {
  const committed = watch.watch(txs.map((tx) => tx.hashHex));
  const proposals = recordProposals(cluster.network);
  const cpuBefore = cpuSnapshot();
  const submittedAtMs = new Array<number>(txs.length);
  const admissions: Promise<void>[] = [];
  const started = nowMs();
  let next = 0;
  while (next < txs.length) {
    const due = Math.min(txs.length, Math.floor(((nowMs() - started) * ratePerSecond) / 1000) + 1);
    for (; next < due; next++) {
      submittedAtMs[next] = nowMs();
      admissions.push(submit(cluster.validators[next % running]!, txs[next]!));
    }
    await new Promise((resolve) => setTimeout(resolve, PACER_TICK_MS));
  }
  await Promise.all(admissions);
  await committed;
  const elapsedMs = nowMs() - started;
  // Before decoding the recorded proposals: that is the bench's work, not the validators'.
  const cpuUsed = cpuUsedSince(cpuBefore);
  const proposedAtMs = proposals();
  // At the validator the client submitted to (what the client sees), and at the first
  // validator to commit (the transaction is final from then on: commits never revert).
  const committedAtMs = watch.committedAtMs.slice(0, running);
  const atSubmitter = txs.map((tx, i) => (committedAtMs[i % running]!.get(tx.hashHex) as number) - (submittedAtMs[i] as number));
  const atFirst = txs.map((tx, i) => Math.min(...committedAtMs.map((at) => at.get(tx.hashHex) as number)) - (submittedAtMs[i] as number));
  const submitter = quantiles(atSubmitter);
  const first = quantiles(atFirst);
  const admitted = (tx: PreparedTx): number => admittedAtMs.get(tx.hashHex) as number;
  const proposed = (tx: PreparedTx): number => proposedAtMs.get(tx.hashHex) as number;
  const phasesMsP50 = {
    submittedToAdmitted: quantiles(txs.map((tx, i) => admitted(tx) - (submittedAtMs[i] as number))).p50,
    admittedToProposed: quantiles(txs.map((tx) => proposed(tx) - admitted(tx))).p50,
    proposedToCommitted: quantiles(txs.map((tx, i) => (committedAtMs[i % running]!.get(tx.hashHex) as number) - proposed(tx))).p50,
  };
  return {
    offeredTxsPerSecond: ratePerSecond,
    txs: txs.length,
    committedTxsPerSecond: perSecond(txs.length, elapsedMs),
    commitLatencyMsP50: submitter.p50,
    commitLatencyMsP99: submitter.p99,
    commitLatencyMsMax: submitter.max,
    firstCommitLatencyMsP50: first.p50,
    firstCommitLatencyMsP99: first.p99,
    /** At the validator the client submitted to; the p50s need not add up to the total's. */
    phasesMsP50,
    cpuUsed,
  };
}

function quantiles(values: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => round(quantileOfSorted(sorted, q), 1);
  return { p50: at(0.5), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0, 1) };
}

type CpuUsed = {
  readonly elapsedMs: number;
  readonly mainMs: number;
  readonly processMs: number;
  /** Signatures made and checks run (by OpenSSL: cached verdicts not counted), by thread. */
  readonly signatureWork: SignatureWorkCounts;
  readonly eventLoopBusyShare: number;
  readonly writes: ProcessWrites | null;
  readonly threadsMs: Record<string, number> | null;
};

/**
 * The CPU counters (of the event loop all four validators share, and of the whole process),
 * the loop's utilization (time not waiting for events) and the process's writes, now.
 */
function cpuSnapshot(): {
  atMs: number;
  main: NodeJS.CpuUsage;
  process: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
  writes: ProcessWrites | null;
  threads: ThreadCpuSnapshot | null;
  signatureWork: SignatureWorkCounts;
} {
  return {
    atMs: nowMs(),
    main: process.threadCpuUsage(),
    process: process.cpuUsage(),
    elu: performance.eventLoopUtilization(),
    writes: processWrites(),
    threads: threadCpuSnapshot(),
    signatureWork: signatureWorkCounts(),
  };
}

/** What was used and written since `cpuSnapshot()` gave `before`. */
function cpuUsedSince(before: ReturnType<typeof cpuSnapshot>): CpuUsed {
  const ms = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;
  const writes = processWrites();
  const written = before.writes === null || writes === null ? null : { bytes: writes.bytes - before.writes.bytes, calls: writes.calls - before.writes.calls };
  const eventLoopBusyShare = performance.eventLoopUtilization(before.elu).utilization;
  const threadsMs = threadCpuMsSince(before.threads);
  const work = signatureWorkCounts();
  const signatureWork = {
    signsOnLoop: work.signsOnLoop - before.signatureWork.signsOnLoop,
    signsOnThreadpool: work.signsOnThreadpool - before.signatureWork.signsOnThreadpool,
    verifiesOnLoop: work.verifiesOnLoop - before.signatureWork.verifiesOnLoop,
    verifiesOnThreadpool: work.verifiesOnThreadpool - before.signatureWork.verifiesOnThreadpool,
  };
  return { elapsedMs: nowMs() - before.atMs, mainMs: ms(process.threadCpuUsage(before.main)), processMs: ms(process.cpuUsage(before.process)), eventLoopBusyShare, writes: written, threadsMs, signatureWork };
}

/**
 * Per committed block and per committed transaction. The event loop's CPU per transaction is
 * the steadiest figure of a run (latency moves with the VM's speed): with four validators on
 * one loop it is what bounds the latency at a given rate. Writes are the whole process's (four
 * validators' SQLite WAL frames and checkpoints; null off Linux). The loop's busy share is the
 * part of the run it was not waiting for events; its CPU share, the part it ran on a core: the
 * gap is time it had work but waited (for a core the threadpool held, or in a system call).
 * Per thread name (Linux): the threadpool's CPU per block is the signing and verifying.
 * The signatures made and checked per block are counts, not timings: they show a change in
 * a block's work that the noise of CPU times hides.
 */
function cpuPer(used: CpuUsed, blocks: number, txs: number) {
  const per = (value: number, count: number, digits = 3): number => (count === 0 ? 0 : round(value / count, digits));
  return {
    eventLoopBusyShare: round(used.eventLoopBusyShare, 3),
    eventLoopCpuShare: used.elapsedMs === 0 ? 0 : round(used.mainMs / used.elapsedMs, 3),
    eventLoopCpuMsPerBlock: per(used.mainMs, blocks),
    processCpuMsPerBlock: per(used.processMs, blocks),
    eventLoopCpuMsPerTx: per(used.mainMs, txs),
    processCpuMsPerTx: per(used.processMs, txs),
    writtenBytesPerTx: used.writes === null ? null : per(used.writes.bytes, txs, 0),
    writeCallsPerTx: used.writes === null ? null : per(used.writes.calls, txs, 1),
    threadCpuMsPerBlock: used.threadsMs === null ? null : Object.fromEntries(Object.entries(used.threadsMs).filter(([, ms]) => ms > 0).map(([name, ms]) => [name, per(ms, blocks, 2)])),
    signatureWorkPerBlock: {
      signs: per(used.signatureWork.signsOnLoop + used.signatureWork.signsOnThreadpool, blocks, 2),
      verifiesOnThreadpool: per(used.signatureWork.verifiesOnThreadpool, blocks, 2),
      verifiesOnLoop: per(used.signatureWork.verifiesOnLoop, blocks, 2),
    },
  };
}

/**
 * What the target leaves for each block's fixed work, in this run's own numbers. At half of
 * peak a transaction commits about `roundsPerCommitP50` rounds (blocks) after its submission,
 * so a p50 of 50 ms needs rounds of 50 ms over that. The transactions' own work takes about
 * rate x (process CPU per transaction at peak, where blocks of hundreds share each block's
 * cost) of the cores; the rest of the cores, over a round of that length, is what a block's
 * fixed work (its signatures and vote checks, the steps' SQLite transactions, for the four
 * validators) may cost if the cores were never idle. `perBlockCpuMsAboveTxWork` is what a
 * block cost at half of peak beyond its transactions' share at the peak's price.
 */
function perBlockBudget(input: { cpus: number; rate: number; p50Ms: number; elapsedMs: number; blocks: number; txsPerBlock: number; cpuMsPerBlock: number; peakCpuMsPerTx: number }) {
  const roundMs = input.blocks === 0 ? 0 : input.elapsedMs / input.blocks;
  const roundsPerCommitP50 = roundMs === 0 ? 0 : input.p50Ms / roundMs;
  const roundMsForTarget = roundsPerCommitP50 === 0 ? 0 : TARGET_P50_COMMIT_LATENCY_MS_MAX / roundsPerCommitP50;
  const txWorkCores = (input.rate * input.peakCpuMsPerTx) / 1000;
  return {
    roundMs: round(roundMs, 1),
    roundsPerCommitP50: round(roundsPerCommitP50, 2),
    roundMsForTarget: round(roundMsForTarget, 1),
    txWorkCores: round(txWorkCores, 2),
    perBlockCpuMsBudget: round(Math.max(0, input.cpus - txWorkCores) * roundMsForTarget, 1),
    perBlockCpuMsAboveTxWork: round(input.cpuMsPerBlock - input.txsPerBlock * input.peakCpuMsPerTx, 1),
  };
}

/** Views the running validators timed out at once because their leader would not propose, by cause, summed (from each node's /metrics). */
async function absentLeaderTimeouts(validators: readonly RunningValidator[]): Promise<{ disconnected: number; silent: number }> {
  const texts = await Promise.all(validators.map((validator) => metricsText(validator.api.url)));
  const sum = (cause: AbsentLeaderCause): number => texts.reduce((total, text) => total + metricSum(text, "ghostmesh_consensus_absent_leader_timeouts_total", `cause="${cause}"`), 0);
  return { disconnected: sum("disconnected"), silent: sum("silent") };
}

function viewOf(validator: RunningValidator): number {
  const stats = validator.host.stats();
  assert(stats !== null, "viewOf: the validator's consensus runs");
  return stats.view;
}

function blockStats(validator: RunningValidator, heightFrom: number) {
  const heightTo = validator.chain.head.height;
  let txs = 0;
  let empty = 0;
  for (const row of validator.chain.store.iterateBlocks(heightFrom + 1)) {
    const count = validator.chain.store.txsOfBlock(row.height).length;
    txs += count;
    if (count === 0) empty += 1;
  }
  const blocks = heightTo - heightFrom;
  return { blocks, txsInBlocks: txs, emptyBlocks: empty, txsPerBlockMean: blocks === 0 ? 0 : round(txs / blocks, 1) };
}

async function main(): Promise<void> {
  const machine = machineFacts();
  progress(`machine: ${machine.cpus} cpus, node ${machine.nodeVersion}, load ${machine.loadAverage1mAtStart}`);
  const keys = generateKeys(ACCOUNTS);
  const halfPeakTxsMax = PEAK_TXS * HALF_PEAK_SECONDS;
  progress(`signing ${ACCOUNTS} registrations and ${PEAK_TXS} flood transactions`);
  const registrations = await prepareTxs(keys.map((key) => ({ key, nonce: 0, type: "account.register" as const })));
  const flood = await prepareTxs(appendPlans(keys, 1, PEAK_TXS));
  const samples = verifySamples(flood.slice(0, 2_000));
  const verifyOneCoreSync = measureVerifySyncPerSecond(samples, 1_000);
  const verifyAllCores = await measureVerifyAllCores(samples);
  const verifyAllCoresPerSecond = perSecond(verifyAllCores.count, verifyAllCores.elapsedMs);
  const threadpoolHandoffLoopCpuUs = await measureThreadpoolHandoffLoopCpuUs(samples);
  const cluster = await startCluster();
  // As `ghostmesh start` does with the default configuration (threads.helperNice).
  const threadsLowered = config.threads.helperNice > 0 ? await lowerHelperThreadPriority(config.threads.helperNice) : null;
  try {
    const watch = new CommitWatch(cluster.validators);
    progress("registering accounts");
    await runFlood(cluster, watch, registrations);
    const heightBeforePeak = cluster.validators[0]!.chain.head.height;
    progress(`peak: flooding ${flood.length} transactions`);
    const peakCpuBefore = cpuSnapshot();
    const peak = await runFlood(cluster, watch, flood);
    const peakBlocks = blockStats(cluster.validators[0]!, heightBeforePeak);
    const peakCpu = cpuPer(cpuUsedSince(peakCpuBefore), peakBlocks.blocks, peakBlocks.txsInBlocks);
    const rate = ARGS.rate ?? Math.max(1, Math.floor(peak.txsPerSecond / 2));
    const halfPeakCount = Math.min(halfPeakTxsMax, rate * HALF_PEAK_SECONDS);
    progress(`signing ${halfPeakCount} transactions for half of peak (${rate} tx/s)`);
    const stream = await prepareTxs(appendPlans(keys, 1 + Math.ceil(PEAK_TXS / ACCOUNTS), halfPeakCount));
    const running = VALIDATORS - ARGS.stopValidators;
    for (let i = running; i < VALIDATORS; i++) {
      progress(`stopping validator ${i}`);
      watch.stop(i);
      await cluster.validators[i]!.stop();
    }
    const heightBeforeHalf = cluster.validators[0]!.chain.head.height;
    const viewBeforeHalf = viewOf(cluster.validators[0]!);
    const runningValidators = cluster.validators.slice(0, running);
    const absentBefore = await absentLeaderTimeouts(runningValidators);
    progress(`half of peak: ${rate} tx/s for ${HALF_PEAK_SECONDS} s`);
    const stolen = startStealMeter();
    const { cpuUsed, ...halfPeak } = await runOpenLoop(cluster, watch, stream, rate, running);
    const cpuStolenSeconds = stolen();
    const halfPeakBlocks = blockStats(cluster.validators[0]!, heightBeforeHalf);
    // Above 1 when views end without a block: timed out (a stopped leader's), or their block was not certified.
    const viewsPerBlock = halfPeakBlocks.blocks === 0 ? 0 : round((viewOf(cluster.validators[0]!) - viewBeforeHalf) / halfPeakBlocks.blocks, 2);
    const absentAfter = await absentLeaderTimeouts(runningValidators);
    const absentLeaderViewsTimedOutAtOnce = { disconnected: absentAfter.disconnected - absentBefore.disconnected, silent: absentAfter.silent - absentBefore.silent };
    const cpu = cpuPer(cpuUsed, halfPeakBlocks.blocks, halfPeakBlocks.txsInBlocks);
    const result = {
      benchmark: "ghostmesh.consensus-node",
      command: "./node_modules/.bin/node bench/consensus-node.ts",
      machine,
      validators: VALIDATORS,
      /** Stopped after the peak: the run at half of it had this many validators fewer. */
      stoppedValidators: ARGS.stopValidators,
      inOneProcess: true,
      /** Nice value of the helper threads (threads.helperNice), and how many were lowered (null: not Linux). */
      helperThreads: { nice: config.threads.helperNice, lowered: threadsLowered },
      voteDelivery: ARGS.votes ?? voteDeliveryFor(VALIDATORS),
      signing: ARGS.signing,
      blockTxsMax: config.block.txsMax,
      signingReservationViews: ARGS.signingReservationViews,
      mldsa65VerifyPerSecondAllCores: verifyAllCoresPerSecond,
      mldsa65VerifyPerSecondOneCoreSync: verifyOneCoreSync,
      /** The event loop's CPU per verify handed to an idle threadpool, beyond the check (µs): what each signature or check a block hands off costs the shared loop. */
      threadpoolHandoffLoopCpuUs,
      /** Each of the four validators admits (verifies) every transaction. */
      txVerifiesPerCommittedTx: VALIDATORS,
      peak: { txs: flood.length, seconds: peak.seconds, committedTxsPerSecond: peak.txsPerSecond, ...peakBlocks, ...peakCpu },
      peakVsRawVerifyRatio: round((peak.txsPerSecond * VALIDATORS) / verifyAllCoresPerSecond, 2),
      // cpuStolenSeconds: CPU the VM's other tenants took during the half-peak run (all vCPUs; null off Linux).
      // Over the running validators: views each timed out without its timer, by why their leader would not propose.
      halfPeak: { ...halfPeak, ...halfPeakBlocks, viewsPerBlock, absentLeaderViewsTimedOutAtOnce, ...cpu, cpuStolenSeconds, ratePinned: ARGS.rate !== undefined },
      target: {
        commitLatencyMsP50Max: TARGET_P50_COMMIT_LATENCY_MS_MAX,
        met: halfPeak.commitLatencyMsP50 <= TARGET_P50_COMMIT_LATENCY_MS_MAX,
        ...perBlockBudget({
          cpus: machine.cpus,
          rate,
          p50Ms: halfPeak.commitLatencyMsP50,
          elapsedMs: cpuUsed.elapsedMs,
          blocks: halfPeakBlocks.blocks,
          txsPerBlock: halfPeakBlocks.txsPerBlockMean,
          cpuMsPerBlock: cpu.processCpuMsPerBlock,
          peakCpuMsPerTx: peakCpu.processCpuMsPerTx,
        }),
      },
      loadAverage1mAtEnd: loadAverage1m(),
    };
    const { target } = result;
    progress(
      `${ARGS.rate === undefined ? "half of peak" : "pinned rate"}: p50 ${halfPeak.commitLatencyMsP50} ms at ${rate} tx/s (peak ${peak.txsPerSecond} tx/s); target p50 <= ${target.commitLatencyMsP50Max} ms ${target.met ? "met" : "not met"}. ` +
        `It needs rounds of ${target.roundMsForTarget} ms (now ${target.roundMs} ms), where a block's fixed work may cost ${target.perBlockCpuMsBudget} ms of CPU; it cost ${target.perBlockCpuMsAboveTxWork} ms`,
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const validator of [...cluster.validators].reverse()) await validator.stop();
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}

await main();
