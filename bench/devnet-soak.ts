/**
 * Devnet soak: four validator processes over libp2p under a steady load, perturbed at random
 * for as long as asked, in the spirit of CometBFT's e2e runner with its random perturbations
 * (not in CI: `npm run soak:devnet`). Each step picks, from one seeded RNG, a perturbation and a
 * validator: a pause (SIGSTOP), a kill -9 and restart, a clean restart, a wipe of its chain data
 * and a rejoin from scratch, a cut of its network link (inside a network namespace, as root), or
 * a pause of two validators at once (no quorum: nothing may commit). The others must keep
 * committing through a single validator's perturbation and resume once a quorum is back. After
 * every step the network must agree: every node at the same height with identical blocks, and
 * every transaction a node accepted committed on every node (test/e2e/invariants.ts). At the
 * end, with the nodes stopped, `ghostmesh verify` on every home.
 *
 * With `--epoch-blocks N` the chain is proof-of-stake with epochs of N blocks, and after every
 * step one validator (drawn) moves its stake between 3 and 4 units, so the set's powers change
 * and consensus switches sets at epoch ends while the perturbations go on (decision 0605). At
 * the end every node's sets are walked from genesis as a light client does, and must agree.
 *
 * Each step reports two times from the end of its perturbation: `caughtUpMs`, until every node
 * that was out has a head at or above the height the others had then, and `recoveredMs`, until
 * a new transaction committed, every node agreed and the nodes that were out are in consensus
 * again (it includes the marker transaction's Dandelion++ embargo, up to 6 s). The report lists
 * the slowest steps; `--log-dir` keeps every node's whole log to trace them.
 *
 *   node bench/devnet-soak.ts [--minutes M] [--seed S] [--interval-ms MS] [--epoch-blocks N] [--log-dir DIR] (--help)
 *
 * Timing is the machine's, so a seed replays the sequence of perturbations, not the run. Prints
 * one JSON object on stdout and progress on stderr; exit 1 on the first broken invariant, with
 * the step, the seed, and each node's warnings and the tail of its log. Ctrl-C stops the nodes
 * and cleans up (exit 130).
 */
import { strict as assert } from "node:assert";
import { randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { encodeAmount } from "../src/app/index.ts";
import { ValidatorSetWalk, verifyCheckpointFromGenesis } from "../src/client/index.ts";
import { addressFromPublicKey } from "../src/crypto/index.ts";
import type { DevnetGenesisExtras } from "../src/node/consensus/index.ts";
import { Rng } from "../src/sim/rng.ts";
import { errorMessage, toHex } from "../src/util/index.ts";
import { commitsContinue, createCluster, heightOf, killCluster, Load, startClusterNode, stopClusterNode, waitHeights, waitInConsensus, wipeChainData, type Cluster, type ClusterNode, type LoadAccount } from "../test/e2e/cluster.ts";
import { makeTempDir, mapLimit, parseJsonOutput, removeDir, runCli, sleep, warningLines } from "../test/e2e/helpers.ts";
import { InvariantChecker } from "../test/e2e/invariants.ts";
import { createNetns, netnsSupported, type Netns } from "../test/e2e/netns.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";
import { machineFacts } from "./lib/machine.ts";
import { nowMs, progress } from "./lib/timing.ts";

const VALIDATORS = 4;
/** The validator run inside the network namespace: the one a link cut applies to. */
const NETNS_NODE = 3;
/** Blocks the live validators must commit while one is out. */
const HEIGHTS_DURING_PERTURBATION = 3;
/** A perturbation lasts this long at least and at most (drawn), so that timeouts and redials fire. */
const PERTURBATION_MS_MIN = 2_000;
const PERTURBATION_MS_MAX = 8_000;
/**
 * Heights that may still commit after two validators stop: votes already sent can complete a
 * QC or two, and the API's height trails the engine's commit by one more.
 */
const HEIGHTS_IN_FLIGHT_MAX = 3;
/** Per wait; generous because the machine is shared. Only a failing run waits this long. */
const STEP_TIMEOUT_MS = 120_000;
const FAILURE_LOG_CHARS = 6_000;
const FAILURE_PROBLEM_LINES = 40;

const PERTURBATIONS = ["pause", "kill", "restart", "wipe", "disconnect", "quorum-loss"] as const;
type Perturbation = (typeof PERTURBATIONS)[number];
/** Relative weights: a wipe re-syncs the whole chain, which grows long over a soak, so it is drawn least often. */
const WEIGHTS: Readonly<Record<Perturbation, number>> = { pause: 3, kill: 3, restart: 2, wipe: 1, disconnect: 2, "quorum-loss": 1 };

/**
 * Stake of a validator, in units of STAKE_UNIT: 3 or 4. Powers are stakes over their gcd, so
 * any mix gives powers of 3 and 4 (all equal: the genesis set), and no validator ever holds a
 * third of the power: one out always leaves a quorum, two out never do, as with equal powers.
 */
const STAKE_UNIT = 1000n;
const STAKE_UNITS_LOW = 3n;

const HELP = `Usage: node bench/devnet-soak.ts [--minutes M] [--seed S] [--interval-ms MS] [--epoch-blocks N] [--log-dir DIR]

Four validator processes over libp2p under load, perturbed at random until M minutes have
passed: pause, kill -9, clean restart, wipe and rejoin, network cut (root, ip netns), and two
validators paused at once. After every step: identical blocks and every accepted transaction
committed on every node; at the end, ghostmesh verify on every home. Exit 1 on a broken
invariant; Ctrl-C stops the nodes and cleans up (exit 130). Not part of npm test.

Flags:
  --minutes M        how long to perturb, 1 to 1440 (default 30)
  --seed S           seed of the perturbation sequence, 0 to 4294967295 (default: drawn, printed)
  --interval-ms MS   pause between load transactions, 20 to 10000 (default 200)
  --epoch-blocks N   a proof-of-stake chain with epochs of N blocks (1 to 100000); after every
                     step a drawn validator moves its stake between 3 and 4 units, so consensus
                     switches validator sets at epoch ends; at the end every node's sets are
                     walked from genesis as a light client does (default 0: no staking)
  --log-dir DIR      append each node's whole log to DIR/<node>.log (created if missing); set
                     GHOSTMESH_E2E_NODE_LOG_LEVEL=debug for what a stall investigation needs
  -h, --help         this help`;

type Settings = { readonly minutes: number; readonly seed: number; readonly intervalMs: number; readonly epochBlocks: number; readonly logDir: string | null };

function readSettings(): Settings {
  const options = { minutes: { type: "string" }, seed: { type: "string" }, "interval-ms": { type: "string" }, "epoch-blocks": { type: "string" }, "log-dir": { type: "string" } } as const;
  return benchCommandLine({ name: "bench/devnet-soak.ts", help: HELP, options }, ({ values }) => ({
    minutes: intArg(values.minutes, "--minutes", { min: 1, max: 1440 }, 30),
    seed: intArg(values.seed, "--seed", { min: 0, max: 0xffffffff }, randomInt(0, 0xffffffff)),
    intervalMs: intArg(values["interval-ms"], "--interval-ms", { min: 20, max: 10_000 }, 200),
    epochBlocks: intArg(values["epoch-blocks"], "--epoch-blocks", { min: 0, max: 100_000 }, 0),
    logDir: values["log-dir"] === undefined ? null : resolve(values["log-dir"]),
  }));
}

function draw(rng: Rng, netns: Netns | null): Perturbation {
  const kinds = PERTURBATIONS.filter((kind) => kind !== "disconnect" || netns !== null);
  let ticket = rng.below(kinds.reduce((sum, kind) => sum + WEIGHTS[kind], 0));
  for (const kind of kinds) {
    if (ticket < WEIGHTS[kind]) return kind;
    ticket -= WEIGHTS[kind];
  }
  throw new Error("unreachable: a ticket below the weights' sum picks a kind");
}

/**
 * Proof of stake with epochs of `epochBlocks`: every validator bonds 3 units. No rewards, so
 * stakes stay whole units; no downtime jailing, since the soak takes validators out on purpose
 * and a jailed one would leave a set of three, where the next pause stops the chain.
 */
function stakingGenesis(epochBlocks: number): DevnetGenesisExtras {
  return (validators) => ({
    mode: "pos",
    bonds: validators.map((v) => ({ validator: v.address, amount: String(STAKE_UNITS_LOW * STAKE_UNIT) })),
    allocations: validators.map((v) => ({ address: v.address, amount: "1000000" })),
    params: { chain: { epochBlocks }, staking: { rewardRateBps: 0, downtimeMinSignedBps: 0 } },
  });
}

/** Each validator stakes from its own account, signed with its key, through its own node. */
class StakeChurn {
  changes = 0;
  readonly #load: Load;
  readonly #nodes: readonly ClusterNode[];
  readonly #accounts: readonly LoadAccount[];
  /** True while validator i holds 4 units rather than 3. */
  readonly #high: boolean[];

  constructor(load: Load, nodes: readonly ClusterNode[]) {
    this.#load = load;
    this.#nodes = nodes;
    this.#accounts = nodes.map((node) => ({ key: node.key, nonce: 0 }));
    this.#high = nodes.map(() => false);
  }

  /** Registers the validators' accounts (a bond needs the account's key on chain). */
  async start(): Promise<void> {
    await Promise.all(this.#nodes.map((node, i) => this.#load.submitAndWait(this.#accounts[i] as LoadAccount, node, { type: "account.register" })));
  }

  /** A drawn validator bonds or unbonds one unit, waiting for the commit; returns what changed. */
  async step(rng: Rng): Promise<string> {
    const i = rng.below(this.#nodes.length);
    const node = this.#nodes[i] as ClusterNode;
    const account = this.#accounts[i] as LoadAccount;
    const amount = encodeAmount(STAKE_UNIT);
    const high = this.#high[i] === true;
    if (high) await this.#load.submitAndWait(account, node, { type: "staking.unbond", body: { validator: addressFromPublicKey(account.key.alg, account.key.publicKey), amount } });
    else await this.#load.submitAndWait(account, node, { type: "staking.bond", body: { amount } });
    this.#high[i] = !high;
    this.changes++;
    const units = this.#high.map((h) => (h ? STAKE_UNITS_LOW + 1n : STAKE_UNITS_LOW)).join("/");
    return `${node.name} ${high ? "unbonded" : "bonded"} a unit (stakes ${units})`;
  }
}

/**
 * Every node's validator sets, epoch by epoch, walked from genesis and verified as a light
 * client does (each set from the previous one's certified header and state proofs), then its
 * checkpoint against its epoch's set. The nodes must agree on every epoch they all know.
 */
async function walkValidatorSets(cluster: Cluster): Promise<{ readonly epochs: number; readonly switches: number }> {
  const hashesByNode = await Promise.all(cluster.nodes.map(async (node) => {
    const walk = new ValidatorSetWalk(node.client, cluster.genesis);
    const checkpoint = await node.client.checkpoint();
    const hashes: string[] = [];
    // Ascending, so each epoch extends the walk by one.
    for (let epoch = 0; epoch <= walk.epochOf(checkpoint.height); epoch++) hashes.push(toHex((await walk.forEpoch(epoch)).hash));
    await verifyCheckpointFromGenesis(walk, checkpoint);
    return hashes;
  }));
  const epochs = Math.min(...hashesByNode.map((hashes) => hashes.length));
  const reference = hashesByNode[0] as string[];
  for (const [i, hashes] of hashesByNode.entries()) {
    for (let epoch = 0; epoch < epochs; epoch++) assert.equal(hashes[epoch], reference[epoch], `${cluster.nodes[i]?.name} and ${cluster.nodes[0]?.name} differ on the set of epoch ${epoch}`);
  }
  let switches = 0;
  for (let epoch = 1; epoch < epochs; epoch++) if (reference[epoch] !== reference[epoch - 1]) switches++;
  return { epochs, switches };
}

type Step = { readonly step: number; readonly kind: Perturbation; readonly nodes: readonly string[]; readonly heightAtStart: number; readonly outMs: number; readonly caughtUpMs: number; readonly recoveredMs: number };

const SLOWEST_STEPS_REPORTED = 5;

/** Milliseconds from `fromMs` until every node of `out` has a head at `height` or above. */
async function caughtUpMsOf(out: readonly ClusterNode[], height: number, fromMs: number): Promise<number> {
  await waitHeights(`${out.map((n) => n.name).join(",")} back at height ${height}`, out, height, STEP_TIMEOUT_MS);
  return Math.round(nowMs() - fromMs);
}

async function main(): Promise<number> {
  const settings = readSettings();
  const staking = settings.epochBlocks > 0;
  progress(`devnet soak: ${settings.minutes} min, seed ${settings.seed}${staking ? `, proof of stake with epochs of ${settings.epochBlocks} blocks` : ""} (replay the sequence: --seed ${settings.seed}${staking ? ` --epoch-blocks ${settings.epochBlocks}` : ""})`);
  const rng = new Rng(settings.seed);
  const dir = makeTempDir("devnet-soak");
  const netns = (await netnsSupported()) ? await createNetns() : null;
  let cluster: Cluster | undefined;
  let load: Load | undefined;
  const steps: Step[] = [];
  const startedMs = nowMs();
  // Ctrl-C reaches the nodes too (one process group), so the soak cannot go on: it cleans up.
  const interrupted = new Promise<number>((resolve) => {
    process.once("SIGINT", () => {
      progress(`interrupted at step ${steps.length + 1}: stopping the nodes and cleaning up`);
      process.stdout.write(`${JSON.stringify({ benchmark: "ghostmesh.devnet-soak", seed: settings.seed, steps: steps.length, interrupted: true })}\n`);
      resolve(130);
    });
  });
  const soak = async (): Promise<number> => {
    if (settings.logDir !== null) mkdirSync(settings.logDir, { recursive: true });
    cluster = await createCluster(dir, { validators: VALIDATORS, chainId: "ghostmesh-soak", netns, netnsNode: NETNS_NODE, ...(staking ? { genesisExtras: stakingGenesis(settings.epochBlocks) } : {}), ...(settings.logDir === null ? {} : { logDir: settings.logDir }) });
    const nodes = cluster.nodes;
    await Promise.all(nodes.map(startClusterNode));
    const checker = new InvariantChecker(nodes, STEP_TIMEOUT_MS, { incremental: true });
    const others = (...out: ClusterNode[]): ClusterNode[] => nodes.filter((n) => !out.includes(n));
    load = new Load(cluster.chainId, nodes, settings.intervalMs);
    await load.start();
    const churn = staking ? new StakeChurn(load, nodes) : null;
    await churn?.start();
    await waitHeights("a few blocks under load", nodes, 3, STEP_TIMEOUT_MS);
    progress(`network of ${VALIDATORS} up in ${Math.round(nowMs() - startedMs)} ms (namespace: ${netns?.name ?? "none: no link cuts"})`);

    const activeLoad = load;
    /** An acknowledgement means "in my pool", not "durable": what was sent commits before a node loses its pool. */
    const settle = (): Promise<unknown> => checker.check(activeLoad.sent);

    const deadlineMs = startedMs + settings.minutes * 60_000;
    for (let step = 1; nowMs() < deadlineMs; step++) {
      const kind = draw(rng, netns);
      const victim = kind === "disconnect" ? (nodes[NETNS_NODE] as ClusterNode) : (nodes[rng.below(VALIDATORS)] as ClusterNode);
      const second = kind === "quorum-loss" ? (others(victim)[rng.below(VALIDATORS - 1)] as ClusterNode) : null;
      const out = second === null ? [victim] : [victim, second];
      const outMs = rng.between(PERTURBATION_MS_MIN, PERTURBATION_MS_MAX);
      const live = others(...out);
      await activeLoad.retarget(live);
      if (kind === "kill" || kind === "wipe") await settle();
      const heightAtStart = await heightOf(live[0] as ClusterNode);
      progress(`step ${step} (${Math.round((nowMs() - startedMs) / 1000)} s): ${kind} ${out.map((n) => n.name).join(" and ")} for ${outMs} ms at height ${heightAtStart}`);
      const stepStartedMs = nowMs();
      await perturb(kind, out, live, outMs, netns);
      const recoveredFromMs = nowMs();
      const caughtUp = caughtUpMsOf(out, await heightOf(live[0] as ClusterNode), recoveredFromMs);
      // Awaited below; a failure here must not go unhandled meanwhile.
      caughtUp.catch(() => undefined);
      activeLoad.assertRunning();
      await activeLoad.marker(live[0] as ClusterNode, `after step ${step}`);
      const rebuilt = kind === "kill" || kind === "wipe" ? out : [];
      const report = await checker.check(activeLoad.sent, { rebuilt });
      // A node syncing by range answers NODE_SYNCING to what its stale state cannot judge.
      await waitInConsensus(`${out.map((n) => n.name).join(",")} back in consensus`, out, STEP_TIMEOUT_MS);
      await activeLoad.retarget(nodes);
      const recoveredMs = Math.round(nowMs() - recoveredFromMs);
      const caughtUpMs = await caughtUp;
      steps.push({ step, kind, nodes: out.map((n) => n.name), heightAtStart, outMs: Math.round(recoveredFromMs - stepStartedMs), caughtUpMs, recoveredMs });
      progress(`  agreed: ${report.height} heights, ${report.txs} transactions on every node (caught up in ${caughtUpMs} ms, recovered in ${recoveredMs} ms)`);
      if (churn !== null) progress(`  stake: ${await churn.step(rng)}`);
    }

    await activeLoad.stop();
    const final = await checker.check(activeLoad.sent, { rebuilt: nodes });
    progress(`final: every height 1..${final.height} and ${final.txs} transactions compared on every node`);
    const sets = staking ? await walkValidatorSets(cluster) : null;
    if (sets !== null) progress(`validator sets of ${sets.epochs} epochs walked from genesis on every node, identical: ${sets.switches} switches`);
    progress("stopping and verifying every home");
    const exits = await Promise.all(nodes.map(stopClusterNode));
    assert.deepEqual(exits, nodes.map(() => ({ code: 0, signal: null })), "every validator stops cleanly");
    await mapLimit(nodes, 2, async (n) => {
      const verified = await runCli(["verify", "--home", n.home, "--json"], { timeoutMs: STEP_TIMEOUT_MS });
      assert.equal(verified.code, 0, `${n.name}: ghostmesh verify: ${verified.stderr}`);
      assert.equal(parseJsonOutput<{ ok: boolean }>(verified).ok, true, `${n.name} verifies`);
    });
    const counts = Object.fromEntries(PERTURBATIONS.map((kind) => [kind, steps.filter((s) => s.kind === kind).length]));
    const report = {
      benchmark: "ghostmesh.devnet-soak",
      command: `node bench/devnet-soak.ts --minutes ${settings.minutes} --seed ${settings.seed} --interval-ms ${settings.intervalMs}${staking ? ` --epoch-blocks ${settings.epochBlocks}` : ""}`,
      machine: machineFacts(),
      validators: VALIDATORS,
      seed: settings.seed,
      seconds: Math.round((nowMs() - startedMs) / 1000),
      networkNamespace: netns !== null,
      steps: steps.length,
      perturbations: counts,
      heightFinal: final.height,
      txsCommitted: final.txs,
      caughtUpMsMax: Math.max(0, ...steps.map((s) => s.caughtUpMs)),
      recoveredMsMax: Math.max(0, ...steps.map((s) => s.recoveredMs)),
      slowestSteps: [...steps].sort((a, b) => b.recoveredMs - a.recoveredMs).slice(0, SLOWEST_STEPS_REPORTED),
      ...(sets === null || churn === null ? {} : { epochBlocks: settings.epochBlocks, stakeChanges: churn.changes, epochs: sets.epochs, validatorSetSwitches: sets.switches }),
      verified: nodes.length,
      ok: true,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  };
  try {
    const running = soak();
    // Once interrupted, what the abandoned step throws as its nodes go is no failure.
    running.catch(() => undefined);
    return await Promise.race([running, interrupted]);
  } catch (err) {
    process.stderr.write(`\nSOAK FAILED at step ${steps.length + 1}: ${errorMessage(err)}\nseed ${settings.seed}; steps before: ${JSON.stringify(steps.slice(-5))}\n`);
    for (const n of cluster?.nodes ?? []) {
      const output = n.process?.output() ?? "";
      process.stderr.write(`--- ${n.name} warnings and errors ---\n${warningLines(output.split("\n"), FAILURE_PROBLEM_LINES).join("\n")}\n--- ${n.name} log (tail) ---\n${output.slice(-FAILURE_LOG_CHARS)}\n`);
    }
    process.stdout.write(`${JSON.stringify({ benchmark: "ghostmesh.devnet-soak", seed: settings.seed, steps: steps.length, ok: false, error: errorMessage(err) })}\n`);
    return 1;
  } finally {
    await load?.stop().catch(() => undefined);
    killCluster(cluster);
    await Promise.all((cluster?.nodes ?? []).map((n) => n.process?.exited));
    await netns?.remove();
    removeDir(dir);
  }
}

/** Takes `out` out of the network in the way `kind` names, for `outMs` at least, and brings it back. */
async function perturb(
  kind: Perturbation,
  out: readonly ClusterNode[],
  live: readonly ClusterNode[],
  outMs: number,
  netns: Netns | null,
): Promise<void> {
  const victim = out[0] as ClusterNode;
  // The live validators commit HEIGHTS_DURING_PERTURBATION blocks, and the drawn time passes.
  const othersCommit = () => commitsContinue(live, { heights: HEIGHTS_DURING_PERTURBATION, msMin: outMs, timeoutMs: STEP_TIMEOUT_MS });
  switch (kind) {
    case "pause": {
      const pid = victim.process?.pid as number;
      process.kill(pid, "SIGSTOP");
      try {
        await othersCommit();
      } finally {
        process.kill(pid, "SIGCONT");
      }
      return;
    }
    case "kill": {
      victim.process?.child.kill("SIGKILL");
      await victim.process?.exited;
      await othersCommit();
      await startClusterNode(victim);
      return;
    }
    case "restart":
    case "wipe": {
      const stopped = await stopClusterNode(victim);
      assert.deepEqual(stopped, { code: 0, signal: null }, `${victim.name} stops cleanly on SIGTERM`);
      if (kind === "wipe") wipeChainData(victim);
      await othersCommit();
      await startClusterNode(victim);
      return;
    }
    case "disconnect": {
      assert(netns !== null, "a link cut needs the namespace");
      await netns.setLink(false);
      try {
        await othersCommit();
      } finally {
        await netns.setLink(true);
      }
      return;
    }
    case "quorum-loss": {
      // Two of four are not a quorum: past the votes already in flight, nothing may commit.
      const pids = out.map((n) => n.process?.pid as number);
      for (const pid of pids) process.kill(pid, "SIGSTOP");
      try {
        const before = Math.max(...(await Promise.all(live.map(heightOf))));
        await sleep(outMs);
        const after = Math.max(...(await Promise.all(live.map(heightOf))));
        assert.ok(after - before <= HEIGHTS_IN_FLIGHT_MAX, `two validators of four committed ${after - before} blocks (${before} to ${after}) while the other two were paused`);
      } finally {
        for (const pid of pids) process.kill(pid, "SIGCONT");
      }
      return;
    }
  }
}

process.exitCode = await main();
// An interrupted step may still hold timers of its waits.
process.exit();
