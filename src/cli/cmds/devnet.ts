import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSigningKey, saveKeyFile } from "../../crypto/index.ts";
import { GhostmeshClient } from "../../client/index.ts";
import { homePaths, initHome } from "../../node/home.ts";
import { prepareDevnetHomes, startInProcessDevnet } from "../../node/consensus/index.ts";
import { intFlag, parseFlags, UsageError, type Command, type Io } from "../command.ts";

const MAIN_SCRIPT = fileURLToPath(new URL("../main.ts", import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export type DevnetFile = {
  chainId: string;
  clientKey: string;
  nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[];
};

export const devnetCommand: Command = {
  name: "devnet",
  summary: "Run a local development network (keys in plain files; not for production)",
  help: `Usage: ghostmesh devnet [--validators N] [--dir DIR] [--base-port PORT] [--chain-id ID]

Creates (or reuses) node homes under DIR (DIR/node0, DIR/node1, ...), starts every node, and
once all serve writes DIR/devnet.json = {chainId, clientKey, nodes: [{name, home, api, p2p, pid}]}.
clientKey is a plain key file that can sign transactions. Node logs go to DIR/<node>/node.log.
Ctrl-C stops all.

With one validator, the node runs as its own process (ghostmesh start); if it dies it is not
restarted. With N > 1, the N validators (shared genesis, equal voting power, each with its own
home, store and API port) run inside this devnet process and reach consensus over an
in-memory network, until peer-to-peer networking lands: every node's pid in devnet.json is
this process's pid, and p2p is null.

  --validators N   number of validators (default 1)
  --dir DIR        where homes live (default .devnet)
  --base-port P    first API port to try (default 8080; the next free ports are used)
  --chain-id ID    chain id for a new devnet (default ghostmesh-devnet)`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { validators: { type: "string" }, dir: { type: "string" }, "base-port": { type: "string" }, "chain-id": { type: "string" } });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const validators = intFlag(values.validators, "validators", { min: 1, max: 100 }) ?? 1;
    const dir = resolve(values.dir ?? ".devnet");
    const basePort = intFlag(values["base-port"], "base-port", { min: 1, max: 65_535 }) ?? 8080;
    const chainId = values["chain-id"] ?? "ghostmesh-devnet";
    mkdirSync(dir, { recursive: true });
    const clientKey = join(dir, "client.key.json");
    if (!existsSync(clientKey)) saveKeyFile(clientKey, generateSigningKey(), { plain: true });
    if (validators > 1) return runInProcess({ dir, validators, basePort, chainId, clientKey }, io);
    const name = "node0";
    const home = join(dir, name);
    if (!existsSync(homePaths(home).genesis)) {
      initHome(home, { chainId, name, genesisTimeMs: Date.now(), keyProtection: { plain: true } });
      io.stderr(`Created ${home}\n`);
    }
    const port = await freePort(basePort);
    const child = spawnNode(home, port);
    const api = `http://127.0.0.1:${port}`;
    const running = new Set<ChildProcess>([child]);
    const exited = new Promise<void>((done) => {
      child.on("exit", (code, signal) => {
        running.delete(child);
        io.stderr(`${name} exited (${signal ?? `code ${code}`}); not restarting. See ${join(home, "node.log")}\n`);
        if (running.size === 0) done();
      });
    });
    const status = await waitReady(api, child);
    const devnet: DevnetFile = { chainId: status.chainId, clientKey, nodes: [{ name, home, api, p2p: null, pid: child.pid as number }] };
    const devnetPath = join(dir, "devnet.json");
    writeFileSync(devnetPath, `${JSON.stringify(devnet, null, 2)}\n`);
    printReady(io, devnet, devnetPath);

    const stop = () => {
      for (const c of running) c.kill("SIGTERM");
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await exited;
    rmSync(devnetPath, { force: true });
    return 0;
  },
};

type InProcessFlags = { readonly dir: string; readonly validators: number; readonly basePort: number; readonly chainId: string; readonly clientKey: string };

/** N validators in this process over the in-memory network; runs until SIGINT/SIGTERM. */
async function runInProcess(flags: InProcessFlags, io: Io): Promise<number> {
  const homes = prepareDevnetHomes(flags.dir, { validators: flags.validators, chainId: flags.chainId, genesisTimeMs: Date.now() });
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

function spawnNode(home: string, port: number): ChildProcess {
  const log = createWriteStream(join(home, "node.log"), { flags: "a" });
  const child = spawn(process.execPath, [MAIN_SCRIPT, "start", "--home", home, "--api-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitReady(api: string, child: ChildProcess) {
  const client = new GhostmeshClient(api);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new UsageError(`the node exited with code ${child.exitCode} before serving; see its node.log`);
    try {
      return await client.status();
    } catch {
      if (Date.now() > deadline) throw new UsageError(`the node did not serve ${api} within ${READY_TIMEOUT_MS} ms`);
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
