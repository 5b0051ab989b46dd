/**
 * The multi-process devnet as a client sees it: `ghostmesh devnet --validators N` (default four
 * validator processes over libp2p on 127.0.0.1, qstp transport, gossip, real ML-DSA-65
 * everywhere), driven through the HTTP API of all its nodes in turn.
 *
 * - Peak: a flood of pre-signed audit.append transactions, each POSTed with ?wait=true (the
 *   answer comes once the node it was sent to committed it); committed tx/s over the flood.
 * - Half of peak: an open-loop stream at half that rate; commit latency of each transaction is
 *   the time until its ?wait=true answer (submission to commit at the node it was sent to).
 *
 * Everything shares the machine's cores: the node processes plus this client. Each figure
 * stands beside the raw all-core ML-DSA-65 verify rate measured in the same run (every
 * validator verifies every transaction, so the committed rate is bounded near raw / N).
 * The flood keeps `--in-flight` requests open (default 1,024): a closed loop commits at most
 * in-flight / latency per second, so too few open requests measure the client, not the network
 * (256, the earlier default, capped the "peak" near 200 tx/s at 1.3 s latency).
 * `--dandelion off` runs the nodes without the Dandelion++ stem (on by default, as in the node),
 * to show what the stem costs in latency.
 * Each phase also reports `signatureWork` from the nodes' own /metrics counters: blocks,
 * signatures per block and signature checks per transaction over all validators; and
 * `messagesSentPerBlock`, the consensus messages they sent per block, by type.
 * Prints one JSON document on stdout; progress on stderr.
 * `--rate R` pins the open-loop stream at R tx/s instead of half of the measured peak, to trace
 * the latency curve (the peak flood still runs first: it registers the accounts' nonces and warms
 * the nodes, and its figure is still reported).
 * Run: npm run bench:devnet -- [--validators N] [--peak-txs N] [--seconds S] [--rate R] [--in-flight N] [--dandelion on|off] (--help)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GhostmeshClient } from "../src/client/index.ts";
import { findFreePorts } from "../src/node/p2p/index.ts";
import { benchCommandLine, choiceArg, intArg } from "./lib/cli.ts";
import { benchDirectory, loadAverage1m, machineFacts, round } from "./lib/machine.ts";
import { metricSum, metricsText } from "./lib/metrics.ts";
import { nowMs, perSecond, progress, runBounded } from "./lib/timing.ts";
import { auditRecord, generateKeys, prepareTxs, type PreparedTx, type TxPlan } from "./lib/txs.ts";
import { measureVerifyAllCores, verifySamples } from "./lib/verifyRate.ts";

const VALIDATORS_DEFAULT = 4;
/** Above 16 validators votes go to the next leader over the validators' unicast links, not by gossip. */
const VALIDATORS_MAX = 32;
const ACCOUNTS = 200;
const PACER_TICK_MS = 2;
const WAIT_TIMEOUT_MS = 60_000;
/** Blocks every node commits before the bench sends a transaction (waitForChainLive). */
const WARM_HEIGHT = 2;
const MAIN_SCRIPT = new URL("../src/cli/main.ts", import.meta.url).pathname;

type DevnetInfo = { readonly chainId: string; readonly nodes: readonly { readonly name: string; readonly api: string; readonly pid: number }[] };

type BenchArgs = { readonly validators: number; readonly peakTxs: number; readonly seconds: number; readonly rate: number | undefined; readonly inFlight: number; readonly dandelion: boolean };

const HELP = `Usage: npm run bench:devnet -- [--validators N] [--peak-txs N] [--seconds S] [--rate R] [--in-flight N] [--dandelion on|off]

The multi-process devnet (ghostmesh devnet --validators N, libp2p on 127.0.0.1) through the HTTP
API of its nodes: the peak committed throughput under a flood, then commit latency under an
open-loop stream at half of it. Prints one JSON document on stdout; progress on stderr.

Flags:
  --validators N     validator processes (default ${VALIDATORS_DEFAULT}, at most ${VALIDATORS_MAX}; above 16 votes go to
                     the next leader over the validators' unicast links instead of gossip)
  --peak-txs N       transactions in the peak flood (default 4000; rounded up to whole rounds of ${ACCOUNTS} accounts)
  --seconds S        length of the open-loop run (default 8)
  --rate R           the open-loop stream's rate in tx/s (default: half of the measured peak)
  --in-flight N      requests the flood keeps open (default 1024)
  --dandelion on|off the nodes' Dandelion++ stem (default on, as in the node)
  -h, --help         this help

Environment:
  GHOSTMESH_BENCH_DIR  where the devnet's homes go (default: the OS temporary directory)
`;

function parseBenchArgs(): BenchArgs {
  const options = { validators: { type: "string" }, "peak-txs": { type: "string" }, seconds: { type: "string" }, rate: { type: "string" }, "in-flight": { type: "string" }, dandelion: { type: "string" } } as const;
  return benchCommandLine({ name: "bench/devnet-p2p.ts", help: HELP, options }, ({ values }) => {
    // Whole nonce rounds per account, so the half-peak stream continues every nonce chain without a gap.
    const peakTxs = Math.ceil(intArg(values["peak-txs"], "--peak-txs", { min: 1, max: 1_000_000 }, 4_000) / ACCOUNTS) * ACCOUNTS;
    return {
      validators: intArg(values.validators, "--validators", { min: 2, max: VALIDATORS_MAX }, VALIDATORS_DEFAULT),
      peakTxs,
      seconds: intArg(values.seconds, "--seconds", { min: 1, max: 3_600 }, 8),
      rate: intArg(values.rate, "--rate", { min: 1, max: 1_000_000 }),
      inFlight: intArg(values["in-flight"], "--in-flight", { min: 1, max: 100_000 }, 1_024),
      dandelion: choiceArg(values.dandelion, "--dandelion", ["on", "off"] as const, "on") === "on",
    };
  });
}

async function startDevnet(dir: string, args: BenchArgs): Promise<{ child: ChildProcess; info: DevnetInfo }> {
  // Below the OS's ephemeral range: while N nodes start, their own outgoing connections take
  // ephemeral ports, and an API port chosen from that range (listening on port 0) could go to one.
  const [basePort] = await findFreePorts(1);
  const child = spawn(process.execPath, [MAIN_SCRIPT, "devnet", "--validators", String(args.validators), "--dir", dir, "--base-port", String(basePort as number)], {
    env: { ...process.env, GHOSTMESH_LOG_LEVEL: "warn", GHOSTMESH_P2P_DANDELION_ENABLED: String(args.dandelion) },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  const devnetPath = join(dir, "devnet.json");
  // Every process loads the toolchain and makes its keys on the same cores: the wait grows with them.
  const startupMs = Math.max(60_000, args.validators * 10_000);
  const deadline = nowMs() + startupMs;
  while (!existsSync(devnetPath)) {
    if (child.exitCode !== null) throw new Error(`bench: the devnet exited with ${child.exitCode} before serving`);
    if (nowMs() > deadline) throw new Error(`bench: the devnet did not write devnet.json within ${startupMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, info: JSON.parse(readFileSync(devnetPath, "utf8")) as DevnetInfo };
}

/** SIGINT stops every node the devnet started; the process group is killed if it lingers. */
async function stopDevnet(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  const timeout = new Promise((resolve) => setTimeout(resolve, 15_000, "timeout"));
  if ((await Promise.race([exited, timeout])) === "timeout") process.kill(-child.pid, "SIGKILL");
}

/**
 * Until every node has committed WARM_HEIGHT blocks (the devnet's empty blocks): N processes
 * start on the same cores, and the first views time out and back off meanwhile. Transactions
 * sent into that start wait out the backoff, which is the start's cost, not the commit
 * latency this bench reports. Returns the wait in seconds.
 */
async function waitForChainLive(clients: readonly GhostmeshClient[], timeoutMs: number): Promise<number> {
  const startedMs = nowMs();
  for (;;) {
    const heights = await Promise.all(clients.map((client) => client.status().then((status) => status.height, () => 0)));
    if (Math.min(...heights) >= WARM_HEIGHT) return round((nowMs() - startedMs) / 1000, 1);
    if (nowMs() - startedMs > timeoutMs) throw new Error(`bench: the devnet did not commit ${WARM_HEIGHT} blocks on every node within ${timeoutMs / 1000} s (heights ${heights.join(", ")})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function submitAndWait(client: GhostmeshClient, tx: PreparedTx): Promise<void> {
  const response = await client.submitTx(tx.bytes, { wait: true, timeoutMs: WAIT_TIMEOUT_MS });
  if (response.status !== "committed") throw new Error(`bench: transaction ${tx.hashHex} ended ${response.status}`);
}

function appendPlans(keys: TxPlan["key"][], nonceFrom: number, count: number): TxPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const account = i % keys.length;
    const nonce = nonceFrom + Math.floor(i / keys.length);
    return { key: keys[account]!, nonce, type: "audit.append" as const, record: auditRecord(account, nonce) };
  });
}

async function runOpenLoop(clients: readonly GhostmeshClient[], txs: readonly PreparedTx[], ratePerSecond: number) {
  const latenciesMs: number[] = [];
  const pending: Promise<void>[] = [];
  const started = nowMs();
  let next = 0;
  while (next < txs.length) {
    const due = Math.min(txs.length, Math.floor(((nowMs() - started) * ratePerSecond) / 1000) + 1);
    for (; next < due; next++) {
      const submittedAt = nowMs();
      pending.push(submitAndWait(clients[next % clients.length]!, txs[next]!).then(() => void latenciesMs.push(nowMs() - submittedAt)));
    }
    await new Promise((resolve) => setTimeout(resolve, PACER_TICK_MS));
  }
  await Promise.all(pending);
  const sorted = latenciesMs.sort((a, b) => a - b);
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, 1);
  return { offeredTxsPerSecond: ratePerSecond, txs: txs.length, committedTxsPerSecond: perSecond(txs.length, nowMs() - started), commitLatencyMsP50: at(0.5), commitLatencyMsP99: at(0.99) };
}

/** The nodes' own counters, from their /metrics: chain height (the highest), signature work and consensus messages sent by type (summed). */
type SignatureCounts = { readonly height: number; readonly signatures: number; readonly checks: number; readonly sentByType: ReadonlyMap<string, number> };

/** Sums of a counter's series by the value of its `type` label. */
function metricByType(texts: readonly string[], name: string): Map<string, number> {
  const byType = new Map<string, number>();
  for (const text of texts) {
    for (const match of text.matchAll(new RegExp(`^${name}\\{type="([A-Za-z]+)"\\} (\\d+)$`, "gm"))) {
      const type = match[1] as string;
      byType.set(type, (byType.get(type) ?? 0) + Number(match[2]));
    }
  }
  return byType;
}

async function signatureCounts(info: DevnetInfo): Promise<SignatureCounts> {
  const texts = await Promise.all(info.nodes.map((node) => metricsText(node.api)));
  return {
    height: Math.max(...texts.map((text) => metricSum(text, "ghostmesh_chain_height"))),
    signatures: texts.reduce((sum, text) => sum + metricSum(text, "ghostmesh_crypto_signatures_total"), 0),
    checks: texts.reduce((sum, text) => sum + metricSum(text, "ghostmesh_crypto_signature_verifies_total"), 0),
    sentByType: metricByType(texts, "ghostmesh_consensus_sent_total"),
  };
}

/**
 * Signatures made and checks run by the validators over a phase, from their own counters:
 * counts, which the noise of a shared machine does not blur (bench:consensus-node reports the same in one process).
 */
function signatureWorkOf(before: SignatureCounts, after: SignatureCounts, txs: number) {
  const blocks = after.height - before.height;
  return {
    blocks,
    signaturesPerBlock: blocks === 0 ? 0 : round((after.signatures - before.signatures) / blocks, 2),
    signatureChecksPerTx: round((after.checks - before.checks) / txs, 2),
  };
}

/** Consensus messages the validators sent over a phase, per block, by type. */
function messagesSentPerBlockOf(before: SignatureCounts, after: SignatureCounts): Record<string, number> {
  const blocks = after.height - before.height;
  const types = [...after.sentByType.keys()].sort();
  return Object.fromEntries(types.map((type) => [type, blocks === 0 ? 0 : round(((after.sentByType.get(type) ?? 0) - (before.sentByType.get(type) ?? 0)) / blocks, 2)]));
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const machine = machineFacts();
  progress(`machine: ${machine.cpus} cpus, node ${machine.nodeVersion}, load ${machine.loadAverage1mAtStart}`);
  const dir = mkdtempSync(join(benchDirectory(), "gm-bench-devnet-"));
  const { child, info } = await startDevnet(dir, args);
  try {
    const clients = info.nodes.map((node) => new GhostmeshClient(node.api));
    const keys = generateKeys(ACCOUNTS);
    progress(`signing ${ACCOUNTS} registrations and ${args.peakTxs} flood transactions for chain ${info.chainId}`);
    const registrations = await prepareTxs(keys.map((key) => ({ key, nonce: 0, type: "account.register" as const })), info.chainId);
    const flood = await prepareTxs(appendPlans(keys, 1, args.peakTxs), info.chainId);
    const verify = await measureVerifyAllCores(verifySamples(flood.slice(0, 2_000)));
    const verifyAllCoresPerSecond = perSecond(verify.count, verify.elapsedMs);
    progress(`waiting for every node to commit ${WARM_HEIGHT} blocks`);
    const chainLiveAfterSeconds = await waitForChainLive(clients, Math.max(120_000, args.validators * 15_000));
    progress("registering accounts");
    await runBounded(registrations, args.inFlight, (tx, i) => submitAndWait(clients[i % clients.length]!, tx));
    progress(`peak: flooding ${flood.length} transactions`);
    const countsBeforeFlood = await signatureCounts(info);
    const floodStarted = nowMs();
    await runBounded(flood, args.inFlight, (tx, i) => submitAndWait(clients[i % clients.length]!, tx));
    const peakTxsPerSecond = perSecond(flood.length, nowMs() - floodStarted);
    const countsAfterFlood = await signatureCounts(info);
    const rate = args.rate ?? Math.max(1, Math.floor(peakTxsPerSecond / 2));
    const stream = await prepareTxs(appendPlans(keys, 1 + args.peakTxs / ACCOUNTS, rate * args.seconds), info.chainId);
    progress(`${args.rate === undefined ? "half of peak" : "pinned rate"}: ${rate} tx/s for ${args.seconds} s`);
    const countsBeforeStream = await signatureCounts(info);
    const halfPeak = await runOpenLoop(clients, stream, rate);
    const countsAfterStream = await signatureCounts(info);
    const result = {
      benchmark: "ghostmesh.devnet-p2p",
      command: "npm run bench:devnet",
      machine,
      validators: args.validators,
      processes: args.validators,
      transport: "libp2p tcp + qstp (ML-KEM-768+X25519, ML-DSA-65) + yamux + gossipsub on 127.0.0.1",
      client: "HTTP POST /v1/txs?wait=true to the nodes in turn, from this process (shares the cores)",
      floodRequestsInFlight: args.inFlight,
      chainLiveAfterSeconds,
      dandelion: args.dandelion,
      mldsa65VerifyPerSecondAllCores: verifyAllCoresPerSecond,
      txVerifiesPerCommittedTx: args.validators,
      peak: {
        txs: flood.length,
        committedTxsPerSecond: peakTxsPerSecond,
        signatureWork: signatureWorkOf(countsBeforeFlood, countsAfterFlood, flood.length),
        messagesSentPerBlock: messagesSentPerBlockOf(countsBeforeFlood, countsAfterFlood),
      },
      peakVsRawVerifyRatio: round((peakTxsPerSecond * args.validators) / verifyAllCoresPerSecond, 2),
      halfPeak: { ...halfPeak, ratePinned: args.rate !== undefined, signatureWork: signatureWorkOf(countsBeforeStream, countsAfterStream, stream.length), messagesSentPerBlock: messagesSentPerBlockOf(countsBeforeStream, countsAfterStream) },
      loadAverage1mAtEnd: loadAverage1m(),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopDevnet(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
