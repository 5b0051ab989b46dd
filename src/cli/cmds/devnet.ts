import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { addressFromPublicKey, generateSigningKey, loadKeyFile, saveKeyFile } from "../../crypto/index.ts";
import { CHAIN_MODES, ROLES, type ChainMode, type GenesisParams, type Validator } from "../../ledger/index.ts";
import { GhostmeshClient } from "../../client/index.ts";
import { loadNodeConfig, renderNodeConfig } from "../../node/config.ts";
import { homePaths, initHome, loadGenesis } from "../../node/home.ts";
import { prepareDevnetHomes, startInProcessDevnet, type DevnetGenesisExtras, type DevnetHomes } from "../../node/consensus/index.ts";
import { configureP2pDevnet, findFreePorts } from "../../node/p2p/index.ts";
import { intFlag, parseFlags, UsageError, type Command, type Io } from "../command.ts";
import { NODE_PROCESS_FLAGS } from "../nodeFlags.ts";
import { DEVNET_CHILD_ENV } from "./start.ts";

const MAIN_SCRIPT = fileURLToPath(new URL("../main.ts", import.meta.url));
/**
 * How long the nodes get to serve their APIs. Each start costs a node seconds of CPU (Node, the
 * type-stripped sources, libp2p, SQLite, keys), and nodes started together share the machine's
 * cores: twenty on two cores took more than 30 s. So the wait is 30 s per round of starts the
 * cores can run side by side. A node that exits is reported at once, whatever the wait.
 */
export function readyTimeoutMs(nodes: number, cores: number): number {
  return READY_TIMEOUT_MS_PER_ROUND * Math.max(1, Math.ceil(nodes / Math.max(1, cores)));
}
const READY_TIMEOUT_MS_PER_ROUND = 30_000;
const READY_PROGRESS_INTERVAL_MS = 5_000;
const DEVNET_BOND = "1000000";
const DEVNET_VALIDATOR_BALANCE = "1000000";
const DEVNET_CLIENT_BALANCE = "1000000000";


export type DevnetFile = {
  chainId: string;
  clientKey: string;
  nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[];
};

export const devnetCommand: Command = {
  name: "devnet",
  summary: "Run a local development network (keys in plain files; not for production)",
  help: `Usage: ghostmesh devnet [--validators N] [--dir DIR] [--base-port PORT] [--chain-id ID] [--in-process]
                       [--mode poa|pos] [--epoch-blocks N] [--voting-period EPOCHS] [--timelock EPOCHS]

Creates (or reuses) node homes under DIR (DIR/node0, DIR/node1, ...), starts every node, and
once all serve writes DIR/devnet.json = {chainId, clientKey, nodes: [{name, home, api, p2p, pid}]}.
clientKey is a plain key file that can sign transactions. Node logs go to DIR/<node>/node.log.
Ctrl-C stops all.

Every node runs as its own process (ghostmesh start --home DIR/<node>); a node that dies is
not restarted. With N > 1 the validators share one genesis (equal voting power) and reach
consensus over libp2p on 127.0.0.1: each home's config.yaml gets its API port, its p2p
listen address and the other nodes as bootstrap peers (ports chosen free at each devnet
start), so \`ghostmesh start --home DIR/<node>\` restarts any one of them on its own ports.
p2p in devnet.json is each node's multiaddr (with its PeerId).

  --validators N   number of validators (default: the size of the devnet in DIR, else 4)
  --dir DIR        where homes live (default .devnet)
  --base-port P    first API port to try (default 8080; the next free ports are used)
  --chain-id ID    chain id for a new devnet (default ghostmesh-devnet)
  --in-process     N > 1 only: run every validator inside this process over an in-memory
                   network instead (one pid, p2p null; for benchmarks and debugging)

Genesis of a new devnet (ignored, with a warning, when DIR already holds one):
  --mode poa|pos          poa (default): a fixed authority set; pos: each validator self-bonds
                          ${DEVNET_BOND} and the validator set follows stake
  --epoch-blocks N        blocks per epoch (default ${100})
  --voting-period E       governance voting period in epochs (default 10)
  --timelock E            epochs between a proposal passing and its execution (default 5)
The client key holds ${DEVNET_CLIENT_BALANCE} tokens and every role (admin included); each
validator holds ${DEVNET_VALIDATOR_BALANCE}.`,
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      validators: { type: "string" },
      dir: { type: "string" },
      "base-port": { type: "string" },
      "chain-id": { type: "string" },
      "in-process": { type: "boolean" },
      mode: { type: "string" },
      "epoch-blocks": { type: "string" },
      "voting-period": { type: "string" },
      timelock: { type: "string" },
    });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const dir = resolve(values.dir ?? ".devnet");
    // Without --validators, an existing devnet resumes with its own size.
    const existing = join(dir, "node0");
    const validators = intFlag(values.validators, "validators", { min: 1, max: 100 }) ?? (existsSync(homePaths(existing).genesis) ? loadGenesis(existing).validators.length : 4);
    const basePort = intFlag(values["base-port"], "base-port", { min: 1, max: 65_535 }) ?? 8080;
    const chainId = values["chain-id"] ?? "ghostmesh-devnet";
    mkdirSync(dir, { recursive: true });
    const clientKey = join(dir, "client.key.json");
    if (!existsSync(clientKey)) saveKeyFile(clientKey, generateSigningKey(), { plain: true });
    const genesisExtras = devnetGenesisExtras(values, addressOfKeyFile(clientKey));
    if (existsSync(homePaths(existing).genesis) && (values.mode ?? values["epoch-blocks"] ?? values["voting-period"] ?? values.timelock) !== undefined) {
      io.stderr(`Warning: ${dir} already holds a devnet; --mode, --epoch-blocks, --voting-period and --timelock apply only to a new one (remove ${dir} to start over)\n`);
    }
    const flags = { dir, validators, basePort, chainId, clientKey, genesisExtras };
    if (validators > 1 && values["in-process"] === true) return runInProcess(flags, io);
    const nodes = validators > 1 ? await prepareP2pNodes(flags, io) : await prepareSingleNode(flags, io);
    return runProcesses(flags, nodes, io);
  },
};

type DevnetFlags = {
  readonly dir: string;
  readonly validators: number;
  readonly basePort: number;
  readonly chainId: string;
  readonly clientKey: string;
  readonly genesisExtras: DevnetGenesisExtras;
};


function addressOfKeyFile(path: string): Uint8Array {
  const key = loadKeyFile(path);
  return addressFromPublicKey(key.alg, key.publicKey);
}

/** The genesis fields the devnet flags choose; checked here so a bad flag fails before any home is written. */
function devnetGenesisExtras(values: { mode?: string; "epoch-blocks"?: string; "voting-period"?: string; timelock?: string }, client: Uint8Array): DevnetGenesisExtras {
  const mode = values.mode ?? "poa";
  if (!(CHAIN_MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode: "${mode}" is not one of ${CHAIN_MODES.join(", ")}`);
  const epochBlocks = intFlag(values["epoch-blocks"], "epoch-blocks", { min: 1, max: 1_000_000 });
  const votingPeriod = intFlag(values["voting-period"], "voting-period", { min: 1, max: 10_000 });
  const timelock = intFlag(values.timelock, "timelock", { min: 0, max: 10_000 });
  const params: Record<string, Record<string, number>> = {};
  if (epochBlocks !== undefined) params.chain = { epochBlocks };
  if (votingPeriod !== undefined || timelock !== undefined) {
    params.governance = { ...(votingPeriod === undefined ? {} : { votingPeriodEpochs: votingPeriod }), ...(timelock === undefined ? {} : { timelockEpochs: timelock }) };
  }
  return (validators: readonly Validator[]) => ({
    ...(mode === "pos" ? { mode: mode as ChainMode, bonds: validators.map((v) => ({ validator: v.address, amount: DEVNET_BOND })) } : {}),
    allocations: [{ address: client, amount: DEVNET_CLIENT_BALANCE }, ...validators.map((v) => ({ address: v.address, amount: DEVNET_VALIDATOR_BALANCE }))],
    roles: [{ address: client, roles: [...ROLES] }],
    ...(Object.keys(params).length > 0 ? { params: params as GenesisParams } : {}),
  });
}
type DevnetNodePlan = { readonly name: string; readonly home: string; readonly apiPort: number; readonly p2p: string | null; readonly chainId: string };

async function prepareSingleNode(flags: DevnetFlags, io: Io): Promise<DevnetNodePlan[]> {
  const name = "node0";
  const home = join(flags.dir, name);
  if (!existsSync(homePaths(home).genesis)) {
    const key = generateSigningKey();
    const validators: Validator[] = [{ name, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }];
    const genesis = { chainId: flags.chainId, genesisTime: Date.now(), validators, ...flags.genesisExtras(validators) };
    initHome(home, { chainId: flags.chainId, name, genesisTimeMs: genesis.genesisTime, keyProtection: { plain: true }, genesis, key });
    io.stderr(`Created ${home}\n`);
  }
  const apiPort = await freePort(flags.basePort);
  writeApiPort(home, apiPort);
  return [{ name, home, apiPort, p2p: null, chainId: loadGenesis(home).chainId }];
}

/** The API port of a one-validator devnet goes in its config, so ghostmesh start --home reuses it. */
function writeApiPort(home: string, apiPort: number): void {
  const config = loadNodeConfig(home, {});
  writeFileSync(homePaths(home).config, renderNodeConfig({ ...config, api: { ...config.api, port: apiPort } }));
}

async function prepareP2pNodes(flags: DevnetFlags, io: Io): Promise<DevnetNodePlan[]> {
  const homes: DevnetHomes = prepareDevnetHomes(flags.dir, { validators: flags.validators, chainId: flags.chainId, genesisTimeMs: Date.now(), genesisExtras: flags.genesisExtras });
  if (homes.created) io.stderr(`Created ${homes.homes.map((h) => h.home).join(", ")}\n`);
  const p2pPorts = await findFreePorts(homes.homes.length);
  const apiPorts: number[] = [];
  let next = flags.basePort;
  while (apiPorts.length < homes.homes.length) {
    const port = await freePort(next);
    if (!p2pPorts.includes(port)) apiPorts.push(port);
    next = port + 1;
  }
  const nodes = await configureP2pDevnet(homes, { api: apiPorts, p2p: p2pPorts });
  return nodes.map((node) => ({ name: node.name, home: node.home, apiPort: node.apiPort, p2p: node.p2p, chainId: homes.genesis.chainId }));
}

/**
 * One \`ghostmesh start\` process per node; devnet.json once every node serves. SIGINT/SIGTERM
 * stop them all; a node that dies is reported and not restarted; returns when all have exited.
 */
async function runProcesses(flags: DevnetFlags, plans: readonly DevnetNodePlan[], io: Io): Promise<number> {
  const running = new Set<ChildProcess>();
  let allExited: () => void = () => {};
  const exited = new Promise<void>((done) => (allExited = done));
  const stop = () => {
    for (const child of running) child.kill("SIGTERM");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const children = plans.map((plan) => {
    const child = spawnNode(plan.home);
    running.add(child);
    child.on("exit", (code, signal) => {
      running.delete(child);
      io.stderr(`${plan.name} exited (${signal ?? `code ${code}`}); not restarting. See ${join(plan.home, "node.log")}\n`);
      if (running.size === 0) allExited();
    });
    return child;
  });
  const devnetPath = join(flags.dir, "devnet.json");
  const timeoutMs = readyTimeoutMs(plans.length, availableParallelism());
  let serving = 0;
  const progress = setInterval(() => io.stderr(`devnet: ${serving}/${plans.length} nodes serve their API (waiting up to ${timeoutMs / 1000} s)\n`), READY_PROGRESS_INTERVAL_MS);
  try {
    await Promise.all(plans.map(async (plan, i) => {
      await waitReady(`http://127.0.0.1:${plan.apiPort}`, children[i] as ChildProcess, timeoutMs);
      serving++;
    }));
  } catch (err) {
    stop();
    await exited;
    throw err;
  } finally {
    clearInterval(progress);
  }
  const devnet: DevnetFile = {
    chainId: plans[0]?.chainId ?? flags.chainId,
    clientKey: flags.clientKey,
    nodes: plans.map((plan, i) => ({ name: plan.name, home: plan.home, api: `http://127.0.0.1:${plan.apiPort}`, p2p: plan.p2p, pid: children[i]?.pid as number })),
  };
  writeFileSync(devnetPath, `${JSON.stringify(devnet, null, 2)}\n`);
  printReady(io, devnet, devnetPath);
  await exited;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  rmSync(devnetPath, { force: true });
  return 0;
}


/** N validators in this process over the in-memory network; runs until SIGINT/SIGTERM. */
async function runInProcess(flags: DevnetFlags, io: Io): Promise<number> {
  const homes = prepareDevnetHomes(flags.dir, { validators: flags.validators, chainId: flags.chainId, genesisTimeMs: Date.now(), genesisExtras: flags.genesisExtras });
  if (homes.created) io.stderr(`Created ${homes.homes.map((h) => h.home).join(", ")}\n`);
  const apiPorts: number[] = [];
  for (let i = 0; i < homes.homes.length; i++) apiPorts.push(await freePort((apiPorts[i - 1] ?? flags.basePort - 1) + 1));
  const devnet = await startInProcessDevnet({ homes, apiPorts, env: io.env });
  const info: DevnetFile = {
    chainId: homes.genesis.chainId,
    clientKey: flags.clientKey,
    nodes: devnet.validators.map((v, i) => ({ name: homes.homes[i]!.name, home: homes.homes[i]!.home, api: v.api.url, p2p: null, pid: process.pid })),
  };
  const devnetPath = join(flags.dir, "devnet.json");
  writeFileSync(devnetPath, `${JSON.stringify(info, null, 2)}\n`);
  printReady(io, info, devnetPath);
  await new Promise<void>((done) => {
    const shutdown = () => {
      process.off("SIGINT", shutdown);
      process.off("SIGTERM", shutdown);
      done();
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  });
  io.stderr("Stopping the devnet\n");
  await devnet.stop();
  rmSync(devnetPath, { force: true });
  return 0;
}

/** What a node last wrote to stderr (where `ghostmesh start` reports why it stops), by process. */
const stderrTails = new WeakMap<ChildProcess, string>();
const STDERR_TAIL_CHARS = 1024;

function spawnNode(home: string): ChildProcess {
  const log = createWriteStream(join(home, "node.log"), { flags: "a" });
  // stdin is a pipe the node watches: when this process ends, however it ends, the node stops.
  const child = spawn(process.execPath, [...NODE_PROCESS_FLAGS, MAIN_SCRIPT, "start", "--home", home], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, [DEVNET_CHILD_ENV]: "1" } });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.stderr?.on("data", (chunk: Buffer) => stderrTails.set(child, ((stderrTails.get(child) ?? "") + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS)));
  return child;
}

/** The node's last non-empty stderr line, once its output has closed (at most a second after it exited). */
async function lastStderrLine(child: ChildProcess): Promise<string | undefined> {
  if (child.stderr !== null && !child.stderr.closed) {
    await Promise.race([new Promise((resolve) => child.once("close", resolve)), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  return (stderrTails.get(child) ?? "").split("\n").map((line) => line.trim()).filter((line) => line.length > 0).at(-1);
}

async function waitReady(api: string, child: ChildProcess, timeoutMs: number) {
  const client = new GhostmeshClient(api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const last = await lastStderrLine(child);
      throw new UsageError(`the node exited with code ${child.exitCode} before serving${last === undefined ? "" : `: ${last}`}; see its node.log`);
    }
    try {
      return await client.status();
    } catch {
      if (Date.now() > deadline) throw new UsageError(`the node did not serve ${api} within ${timeoutMs} ms; see its node.log`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function freePort(from: number): Promise<number> {
  for (let port = from; port < Math.min(from + 1000, 65_536); port++) if (await portIsFree(port)) return port;
  throw new UsageError(`no free port from ${from} to ${from + 999}`);
}

function printReady(io: Io, devnet: DevnetFile, path: string): void {
  const node = devnet.nodes[0]!;
  const apis = devnet.nodes.map((n) => n.api).join(", ");
  io.stderr(
    `Devnet ${devnet.chainId} is up: ${apis} (details in ${path})\n` +
      `Try:\n  npx ghostmesh tx send --node ${node.api} --key ${devnet.clientKey} --type audit.append --data '{"action":"deploy","subject":"api"}' --wait\n` +
      `  npx ghostmesh query checkpoint --node ${node.api}\nCtrl-C stops the devnet.\n`,
  );
}
