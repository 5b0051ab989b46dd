/**
 * Back in consensus after an absence: `npm run bench:restart` (node bench/restart.ts [blocks]).
 * The issue's figure as an operator sees it, with real processes. Builds a certified chain of N
 * blocks (default 10,000; 2 transactions each, QCs signed by 3 of 4 validator keys) straight
 * with the library into the homes of validators 0-2 of a 4-validator devnet, starts those
 * three as `ghostmesh start` processes over libp2p on 127.0.0.1 (they go on committing from
 * the built head: empty blocks every second), then starts validator 3, whose store is still
 * at genesis, and times, from its spawn:
 *
 * - `caughtUpSeconds`: its API answers with a head at or above the others' head at the spawn
 *   (a node serves its API once its start-up block sync is done);
 * - `firstVoteSeconds`: its `ghostmesh_consensus_sent_total{type="vote"}` is above 0, i.e. it
 *   votes again: back in consensus.
 *
 * Everything shares the machine's cores: three validators committing and serving the sync,
 * plus the one catching up. Beside it, the raw all-core ML-DSA-65 verify rate measured in the
 * same run. Prints one JSON document on stdout; progress and node logs go to stderr/files.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NODE_PROCESS_FLAGS } from "../src/cli/nodeFlags.ts";
import { GhostmeshClient } from "../src/client/index.ts";
import type { SigningKey } from "../src/crypto/index.ts";
import { prepareDevnetHomes } from "../src/node/consensus/index.ts";
import { homePaths } from "../src/node/home.ts";
import { configureP2pDevnet, findFreePorts } from "../src/node/p2p/index.ts";
import { buildCertifiedChain } from "../test/node/bundle/chainFixture.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";
import { benchDirectory, machineFacts, round, startStealMeter } from "./lib/machine.ts";
import { metricSum, metricsText } from "./lib/metrics.ts";
import { measureKeyVerifyPerSecondAllCores } from "./lib/verifyRate.ts";
import { nowMs, progress, startStopwatch } from "./lib/timing.ts";

const BLOCKS_DEFAULT = 10_000;
const TXS_PER_BLOCK = 2;
const VALIDATORS = 4;
const VERIFY_SAMPLES = 8_000;
const TARGET_SECONDS = 10;
const POLL_MS = 50;
const STEP_TIMEOUT_MS = 300_000;
/** The command operators run (it enables Node's compile cache, which halves a cold start), with the V8 flags its `#!` line gives. */
const GHOSTMESH_BIN = new URL("../bin/ghostmesh.js", import.meta.url).pathname;

function startNode(home: string, logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  return spawn(process.execPath, [...NODE_PROCESS_FLAGS, GHOSTMESH_BIN, "start", "--home", home], { env: { ...process.env, GHOSTMESH_LOG_LEVEL: "info" }, stdio: ["ignore", log, log] });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value; throws naming `what` after STEP_TIMEOUT_MS or when `child` exits. */
async function waitFor<T>(what: string, child: ChildProcess, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = nowMs() + STEP_TIMEOUT_MS;
  while (nowMs() < deadline) {
    if (child.exitCode !== null) throw new Error(`bench: the node exited (code ${child.exitCode}) while waiting for ${what}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(POLL_MS);
  }
  throw new Error(`bench: timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}`);
}

async function votesSent(api: string): Promise<number> {
  return metricSum(await metricsText(api), "ghostmesh_consensus_sent_total", 'type="vote"');
}

const HELP = `Usage: npm run bench:restart -- [BLOCKS]

Back in consensus after an absence, with real processes: three validators of a 4-validator
devnet run on a certified chain of BLOCKS blocks while the fourth, still at genesis, starts;
reports the seconds until it caught up and until its first vote, beside the raw ML-DSA-65
verify rate. Prints one JSON document on stdout; progress on stderr.

Arguments:
  BLOCKS       length of the chain the restarted validator is behind (default ${BLOCKS_DEFAULT}, 1 to 1000000)
  -h, --help   this help

Environment:
  GHOSTMESH_BENCH_DIR  where the validators' homes go (default: the OS temporary directory)
`;

function parseBlocksArg(): number {
  return benchCommandLine({ name: "bench/restart.ts", help: HELP, options: {}, positionalsMax: 1 }, ({ positionals }) =>
    intArg(positionals[0], "BLOCKS", { min: 1, max: 1_000_000 }, BLOCKS_DEFAULT),
  );
}

async function main(): Promise<void> {
  const blocks = parseBlocksArg();
  const dir = mkdtempSync(join(benchDirectory(), "gm-bench-restart-"));
  const children: ChildProcess[] = [];
  try {
    const machine = machineFacts();
    const homes = prepareDevnetHomes(dir, { validators: VALIDATORS, chainId: "bench-restart", genesisTimeMs: Date.now() - 2 * blocks * 1000 - 60_000 });
    const keys = homes.homes.map((h) => h.key);
    progress("measuring raw ML-DSA-65 verify (all cores)");
    const verifyPerSecond = await measureKeyVerifyPerSecondAllCores(keys[0] as SigningKey, VERIFY_SAMPLES);
    progress(`building a chain of ${blocks} blocks (${TXS_PER_BLOCK} txs each, QCs by 3 of ${VALIDATORS}) for validators 0-2`);
    const buildStop = startStopwatch();
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys, blocks, txsPerBlock: TXS_PER_BLOCK, onProgress: (h) => (h % 2048 < 256 ? progress(`built ${h}`) : undefined) });
    for (const i of [1, 2]) copyFileSync(homePaths(homes.homes[0]!.home).chainDb, homePaths(homes.homes[i]!.home).chainDb);
    const buildSeconds = buildStop().elapsedMs / 1000;

    const ports = await findFreePorts(2 * VALIDATORS);
    const nodes = await configureP2pDevnet(homes, { api: ports.slice(0, VALIDATORS), p2p: ports.slice(VALIDATORS) });
    const api = nodes.map((n) => `http://127.0.0.1:${n.apiPort}`);
    progress("starting validators 0-2 on the built chain");
    for (const i of [0, 1, 2]) children[i] = startNode(nodes[i]!.home, join(dir, `node${i}.log`));
    const client0 = new GhostmeshClient(api[0]!);
    await waitFor("validators 0-2 to commit above the built head", children[0]!, async () => ((await client0.status()).height > blocks ? true : undefined));

    const headAtSpawn = (await client0.status()).height;
    progress(`starting validator 3, ${headAtSpawn} blocks behind`);
    const spawned = nowMs();
    const stolen = startStealMeter();
    children[3] = startNode(nodes[3]!.home, join(dir, "node3.log"));
    const client3 = new GhostmeshClient(api[3]!);
    const caughtUpMs = await waitFor("validator 3 to catch up", children[3], async () => ((await client3.status()).height >= headAtSpawn ? nowMs() - spawned : undefined));
    const firstVoteMs = await waitFor("validator 3 to vote", children[3], async () => ((await votesSent(api[3]!)) > 0 ? nowMs() - spawned : undefined));
    const cpuStolenSeconds = stolen();

    // The same chain: validator 3's block at a height the others committed after it came back.
    const check = (await client3.status()).height;
    const [own, reference] = await Promise.all([client3.block(check), client0.block(check)]);
    if (own.hash !== reference.hash) throw new Error(`bench: validator 3 has block ${own.hash} at height ${check}, validator 0 has ${reference.hash}`);

    const seconds = firstVoteMs / 1000;
    const result = {
      bench: "restart",
      machine,
      chain: { blocks, txsPerBlock: TXS_PER_BLOCK, validators: VALIDATORS, qcSignatures: 3, buildSeconds: round(buildSeconds, 1) },
      restart: {
        blocksBehind: headAtSpawn,
        caughtUpSeconds: round(caughtUpMs / 1000, 2),
        firstVoteSeconds: round(seconds, 2),
        // CPU the VM's other tenants took meanwhile (all vCPUs; null off Linux): seconds of it mean a slow machine, not slow code.
        cpuStolenSeconds,
        includes: "process start, store open, block sync from the three running validators, consensus start, first vote",
        processes: "4 validator processes and this driver on one machine",
      },
      raw: { mldsa65VerifyPerSecondAllCores: verifyPerSecond },
      target: { blocksBehind: 10_000, seconds: TARGET_SECONDS, met: headAtSpawn >= 10_000 && seconds <= TARGET_SECONDS },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const child of children) child?.kill("SIGTERM");
    await Promise.all(children.map((child) => (child === undefined || child.exitCode !== null ? undefined : new Promise((resolve) => child.once("exit", resolve)))));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
