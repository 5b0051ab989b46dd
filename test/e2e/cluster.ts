/**
 * A multi-validator network of real `ghostmesh start --home` processes for perturbation tests
 * (CometBFT's e2e runner: setup, start, load, perturb, check). Unlike `ghostmesh devnet`, the
 * test owns every process, so it can pause one (SIGSTOP), run one inside a network namespace
 * (netns.ts) or wipe and restart one, while the others keep their ports and identities.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import type { Genesis } from "../../src/ledger/index.ts";
import { loadNodeConfig, renderNodeConfig } from "../../src/node/config.ts";
import { prepareDevnetHomes, type DevnetGenesisExtras } from "../../src/node/consensus/index.ts";
import { homePaths } from "../../src/node/home.ts";
import { findFreePorts } from "../../src/node/p2p/index.ts";
import { loadOrCreateNodeKey } from "../../src/p2p/index.ts";
import { toHex } from "../../src/util/index.ts";
import { cleanEnv, freePort, isAlive, MAIN_SCRIPT, REPO_ROOT, sleep, waitFor } from "./helpers.ts";
import type { Netns } from "./netns.ts";

const LOOPBACK = "127.0.0.1";
/** Inside a fresh namespace nothing else listens, so fixed ports are free. */
const NETNS_API_PORT = 8080;
const NETNS_P2P_PORT = 26656;
const NODE_READY_TIMEOUT_MS = 60_000;
const NODE_STOP_TIMEOUT_MS = 15_000;
/** Output kept per node for failure reports (info-level logs: JSON lines, about 20 KB per node per run). */
const NODE_OUTPUT_CHARS_MAX = 200_000;
/** Set by `ghostmesh devnet` on its nodes: they stop when their stdin closes, so a test killed by SIGKILL leaves no orphans. */
const DEVNET_CHILD_ENV = "GHOSTMESH_DEVNET_CHILD";

export type ClusterNode = {
  readonly name: string;
  /** Index in the genesis validator set (the bit in a certificate's signer bitmap). */
  readonly index: number;
  readonly home: string;
  /** The validator's key (plain in a devnet home): its account signs its own staking transactions. */
  readonly key: SigningKey;
  readonly api: string;
  readonly client: GhostmeshClient;
  /** argv prefix to run this node's process (`ip netns exec NAME` for a namespaced one). */
  readonly execPrefix: readonly string[];
  /** Where every run of this node appends its whole output, when asked for (createCluster's logDir). */
  readonly logFile: string | null;
  process: NodeProcess | null;
};

export type NodeProcess = {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
};

export type Cluster = { readonly chainId: string; readonly genesis: Genesis; readonly nodes: readonly ClusterNode[] };

/**
 * `validators` homes under `dir` sharing one genesis. Without a namespace every node listens on
 * 127.0.0.1. With one, node `netnsNode` runs inside it and the others listen on the
 * namespace's outside address (reachable from inside, and locally from the root namespace).
 */
export async function createCluster(
  dir: string,
  opts: { readonly validators: number; readonly chainId: string; readonly netns: Netns | null; readonly netnsNode: number; readonly genesisExtras?: DevnetGenesisExtras; readonly logDir?: string },
): Promise<Cluster> {
  const homes = prepareDevnetHomes(dir, { validators: opts.validators, chainId: opts.chainId, genesisTimeMs: Date.now(), ...(opts.genesisExtras === undefined ? {} : { genesisExtras: opts.genesisExtras }) });
  const outsideHost = opts.netns?.hostAddress ?? LOOPBACK;
  const p2pPorts = await findFreePorts(homes.homes.length, outsideHost);
  const plans = [];
  for (const [i, { name, home, key }] of homes.homes.entries()) {
    const inside = opts.netns !== null && i === opts.netnsNode;
    const p2pHost = inside ? (opts.netns as Netns).innerAddress : outsideHost;
    const p2pPort = inside ? NETNS_P2P_PORT : (p2pPorts[i] as number);
    const apiHost = inside ? (opts.netns as Netns).innerAddress : LOOPBACK;
    const apiPort = inside ? NETNS_API_PORT : await freePort();
    const peerId = peerIdFromPrivateKey(await loadOrCreateNodeKey(homePaths(home).p2pKey)).toString();
    plans.push({ name, home, key, index: i, inside, apiHost, apiPort, listen: `/ip4/${p2pHost}/tcp/${p2pPort}`, dial: `/ip4/${p2pHost}/tcp/${p2pPort}/p2p/${peerId}` });
  }
  for (const plan of plans) {
    const config = loadNodeConfig(plan.home, {});
    const bootstrap = plans.filter((other) => other !== plan).map((other) => other.dial);
    writeFileSync(homePaths(plan.home).config, renderNodeConfig({ ...config, api: { host: plan.apiHost, port: plan.apiPort }, p2p: { ...config.p2p, listen: plan.listen, bootstrap } }));
  }
  const nodes = plans.map((plan): ClusterNode => {
    const api = `http://${plan.apiHost}:${plan.apiPort}`;
    const logFile = opts.logDir === undefined ? null : join(opts.logDir, `${plan.name}.log`);
    return { name: plan.name, index: plan.index, home: plan.home, key: plan.key, api, client: new GhostmeshClient(api), execPrefix: plan.inside ? (opts.netns as Netns).execPrefix : [], logFile, process: null };
  });
  return { chainId: homes.genesis.chainId, genesis: homes.genesis, nodes };
}

function spawnNode(node: ClusterNode): NodeProcess {
  const [command, ...prefixArgs] = [...node.execPrefix, process.execPath];
  const child = spawn(command as string, [...prefixArgs, MAIN_SCRIPT, "start", "--home", node.home], {
    cwd: REPO_ROOT,
    // GHOSTMESH_E2E_NODE_LOG_LEVEL=debug makes the nodes log what a stall investigation needs.
    env: { ...cleanEnv(), GHOSTMESH_LOG_LEVEL: process.env.GHOSTMESH_E2E_NODE_LOG_LEVEL ?? "info", [DEVNET_CHILD_ENV]: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const logFile = node.logFile === null ? null : createWriteStream(node.logFile, { flags: "a" });
  const append = (chunk: string) => {
    output = (output + chunk).slice(-NODE_OUTPUT_CHARS_MAX);
    logFile?.write(chunk);
  };
  child.stdout?.setEncoding("utf8").on("data", append);
  child.stderr?.setEncoding("utf8").on("data", append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  // After the pipes' last data: "close" follows "exit" once stdout and stderr have ended.
  child.once("close", () => logFile?.end());
  // `ip netns exec` execs the command in place, so the pid is the node's own.
  return { child, pid: child.pid as number, exited, output: () => output };
}

/** Starts the node's process and resolves once its API answers. */
export async function startClusterNode(node: ClusterNode): Promise<void> {
  const running = spawnNode(node);
  node.process = running;
  await waitFor(`${node.name} to serve ${node.api}`, async () => {
    if (running.child.exitCode !== null) throw new Error("exited");
    return (await node.client.status()).height;
  }, NODE_READY_TIMEOUT_MS).catch((err: Error) => {
    running.child.kill("SIGKILL");
    throw new Error(`${err.message}; exit code ${running.child.exitCode}; output:\n${running.output()}`);
  });
}

/** SIGTERM (after SIGCONT, in case it is paused), then the exit; SIGKILL if it hangs. */
export async function stopClusterNode(node: ClusterNode): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const running = node.process;
  if (running === null) return { code: 0, signal: null };
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill("SIGCONT");
    running.child.kill("SIGTERM");
  }
  const timer = setTimeout(() => running.child.kill("SIGKILL"), NODE_STOP_TIMEOUT_MS);
  const result = await running.exited;
  clearTimeout(timer);
  return result;
}

export function killCluster(cluster: Cluster | undefined): void {
  for (const node of cluster?.nodes ?? []) {
    const pid = node.process?.pid;
    if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGKILL");
  }
}

/** Deletes the node's chain data (blocks, state, consensus safety state, peer scores); keeps its p2p key, so its PeerId in the others' bootstrap lists still holds. */
export function wipeChainData(node: { readonly home: string }): void {
  const paths = homePaths(node.home);
  for (const file of readdirSync(paths.data)) if (join(paths.data, file) !== paths.p2pKey) rmSync(join(paths.data, file), { recursive: true, force: true });
}

export async function heightOf(node: ClusterNode): Promise<number> {
  return (await node.client.status()).height;
}

/** Waits until every node in `nodes` is at `height` or above; the failure names each node's height. */
export async function waitHeights(what: string, nodes: readonly ClusterNode[], height: number, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  await waitFor(what, async () => {
    const heights = await Promise.all(nodes.map((node) => heightOf(node).catch(() => -1)));
    last = nodes.map((node, i) => `${node.name}=${heights[i]}`);
    return heights.every((h) => h >= height) ? true : undefined;
  }, timeoutMs, 100).catch((err: Error) => {
    throw new Error(`${err.message} (target ${height}; heights ${last.join(" ")})`);
  });
}

/**
 * While validators are out, the `live` ones keep committing: each reaches `heights` past the
 * highest of them at the start, and at least `msMin` pass. Returns that start and the lowest
 * live height at the end.
 */
export async function commitsContinue(live: readonly ClusterNode[], opts: { readonly heights: number; readonly msMin: number; readonly timeoutMs: number }): Promise<{ start: number; end: number }> {
  const start = Math.max(...(await Promise.all(live.map(heightOf))));
  await Promise.all([waitHeights(`commits to continue on ${live.map((n) => n.name).join(",")}`, live, start + opts.heights, opts.timeoutMs), sleep(opts.msMin)]);
  const end = Math.min(...(await Promise.all(live.map(heightOf))));
  return { start, end };
}

/** Waits until every node in `nodes` reports itself in consensus (`syncing: false`): a node syncing by range checks transactions against a state that may be behind. */
export async function waitInConsensus(what: string, nodes: readonly ClusterNode[], timeoutMs: number): Promise<void> {
  await waitFor(what, async () => ((await Promise.all(nodes.map((node) => node.client.status().then((status) => status.syncing, () => true)))).every((syncing) => !syncing) ? true : undefined), timeoutMs, 100);
}

/** An account the caller signs for; `nonce` is the next one to use. */
export type LoadAccount = { readonly key: SigningKey; nonce: number };

/** How long a submission may take to commit (Dandelion++ embargoes add up to 6 s; the machine is shared). */
const TX_COMMIT_WAIT_MS = 60_000;

/**
 * Audit appends from two accounts, one at a time, each to the next of the current target nodes,
 * until stopped; markers come from a third account. Targets are only nodes the test is not
 * about to perturb: a request in flight to a node that gets paused or cut off would stall the
 * loop and leave a nonce in doubt.
 */
export class Load {
  readonly sent: string[] = [];
  readonly #chainId: string;
  readonly #accounts: LoadAccount[];
  readonly #marker: LoadAccount = { key: generateSigningKey(), nonce: 0 };
  #targets: readonly ClusterNode[];
  #running = false;
  #inFlight: Promise<void> = Promise.resolve();
  #loop: Promise<void> = Promise.resolve();
  #failure: unknown = undefined;
  readonly #intervalMs: number;

  constructor(chainId: string, targets: readonly ClusterNode[], intervalMs: number) {
    this.#chainId = chainId;
    this.#accounts = [generateSigningKey(), generateSigningKey()].map((key) => ({ key, nonce: 0 }));
    this.#targets = targets;
    this.#intervalMs = intervalMs;
  }

  /** Registers the accounts (waiting for commit), then starts the loop. */
  async start(): Promise<void> {
    const accounts = [...this.#accounts, this.#marker];
    await Promise.all(accounts.map((account, i) => this.#send(account, this.#pick(i), { type: "account.register" }, true)));
    this.#running = true;
    this.#loop = (async () => {
      for (let n = 0; this.#running; n++) {
        const account = this.#accounts[n % this.#accounts.length] as LoadAccount;
        this.#inFlight = this.#send(account, this.#pick(n), { type: "audit.append", record: { action: "load", subject: `n${n}` } }, false).then(() => undefined);
        await this.#inFlight;
        await sleep(this.#intervalMs);
      }
    })();
    // Kept so stop() can rethrow it; marked handled so it cannot crash the runner first.
    this.#loop.catch((err: unknown) => {
      this.#failure = err;
    });
  }

  /** Throws what stopped the loop, if a send failed. */
  assertRunning(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** New targets; resolves once no request to an old target is in flight. */
  async retarget(targets: readonly ClusterNode[]): Promise<void> {
    this.#targets = targets;
    await this.#inFlight;
  }

  /** One audit append from an account of its own (so the loop's nonces stay in order), through `node`, waiting until `node` reports it committed. Returns its hash. */
  async marker(node: ClusterNode, subject: string): Promise<string> {
    return this.submitAndWait(this.#marker, node, { type: "audit.append", record: { action: "marker", subject } });
  }

  /** One transaction from the caller's account through `node`, counted among the sent, waiting until `node` reports it committed. Returns its hash. */
  async submitAndWait(account: LoadAccount, node: ClusterNode, intent: Parameters<typeof buildTx>[3]): Promise<string> {
    return this.#send(account, node, intent, true);
  }

  /** Submits; with `wait`, then polls `node` until it reports the transaction committed (up to TX_COMMIT_WAIT_MS). */
  async #send(account: LoadAccount, node: ClusterNode, intent: Parameters<typeof buildTx>[3], wait: boolean): Promise<string> {
    const built = buildTx(account.key, this.#chainId, account.nonce++, intent);
    const hash = toHex(built.hash);
    await node.client.submitTx(built.bytes).catch((err: Error) => {
      throw new Error(`${node.name} refused ${hash} (nonce ${built.signedTx.tx.nonce} of ${toHex(built.signedTx.tx.from)}): ${err.message}`, { cause: err });
    });
    // Accepted by a node: it must end up on every node.
    this.sent.push(hash);
    if (wait) await waitFor(`${node.name} to commit ${hash}`, async () => ((await node.client.tx(hash)).status === "committed" ? true : undefined), TX_COMMIT_WAIT_MS, 100);
    return hash;
  }

  /** Stops the loop; rethrows a failed send. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  #pick(n: number): ClusterNode {
    return this.#targets[n % this.#targets.length] as ClusterNode;
  }
}
