/**
 * Helpers shared by the end-to-end tests: run the real `ghostmesh` command as a child process,
 * find free ports, make temp dirs, start and stop real nodes. Every child a test starts is
 * tracked so `stopAll` can kill what a failing test left behind.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePorts } from "../../src/node/p2p/ports.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MAIN_SCRIPT = join(REPO_ROOT, "src", "cli", "main.ts");
export const BIN_SCRIPT = join(REPO_ROOT, "bin", "ghostmesh.js");

const CLI_TIMEOUT_MS_DEFAULT = 30_000;
const NODE_READY_TIMEOUT_MS = 20_000;
const NODE_STOP_TIMEOUT_MS = 10_000;

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Spawns `node src/cli/main.ts ...args` (or another script) and collects its output. */
export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; execPath?: string; script?: string } = {}): Promise<CliResult> {
  const child = track(
    spawn(opts.execPath ?? process.execPath, [opts.script ?? MAIN_SCRIPT, ...args], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(), ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timeoutMs = opts.timeoutMs ?? CLI_TIMEOUT_MS_DEFAULT;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ghostmesh ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Node's on-disk compile cache (it covers type-stripped TypeScript): every child loads the
 * same ~100 modules, and the cache halves a CLI start on a busy 2-core machine. Entries are
 * keyed by source hash, so a stale cache can only miss, never run old code.
 */
const COMPILE_CACHE_DIR = join(tmpdir(), "ghostmesh-e2e-compile-cache");
const CLI_CACHE_DIR = join(tmpdir(), "ghostmesh-e2e-cli-cache");

/** The environment without GHOSTMESH_* settings of whoever runs the tests. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR };
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("GHOSTMESH_")) env[name] = value;
  // The CLI keeps verified validator sets under XDG_CACHE_HOME (one file per genesis): in /tmp, not the user's home.
  env.XDG_CACHE_HOME = CLI_CACHE_DIR;
  return env;
}

/** Exactly one JSON document on stdout, or a failure that shows what was printed. */
export function parseJsonOutput<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch (err) {
    throw new Error(`stdout is not exactly one JSON document (${(err as Error).message})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/**
 * A port that was free a moment ago, below the OS's ephemeral range where it has one (see
 * findFreePorts): a node started seconds later on it (or, for `devnet --base-port`, on the ports
 * after it) cannot meet it taken by another test's outgoing connection or `listen(0)`.
 */
export async function freePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  assert.ok(port !== undefined, "findFreePorts gave a port");
  return port;
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ghostmesh-e2e-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 50): Promise<T> {
  // Monotonic: a wall clock stepped by NTP must not stretch or cut a test's patience.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await fn();
    } catch {
      value = undefined;
    }
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The last `countMax` warning, error and fatal lines of a node's JSON log (pino levels 40, 50, 60). */
export function warningLines(lines: readonly string[], countMax: number): string[] {
  return lines.filter((line) => /"level":(40|50|60)/.test(line)).slice(-countMax);
}

/**
 * What each node of a network says about itself, for a failing test's message: its head
 * height (or why the API did not answer), the time of its last commit, and its last warnings
 * and errors from node.log. A test that waits on the network cannot see why it stalled
 * otherwise once its temp dir is gone.
 */
export async function networkReport(nodes: readonly { name: string; api: string; home: string }[]): Promise<string> {
  const lines = await Promise.all(
    nodes.map(async (node) => {
      let head: string;
      try {
        const response = await fetch(`${node.api}/v1/status`, { signal: AbortSignal.timeout(2_000) });
        head = `height ${((await response.json()) as { height: number }).height}`;
      } catch (err) {
        head = `status failed: ${(err as Error).message}`;
      }
      const logPath = join(node.home, "node.log");
      const log = existsSync(logPath) ? readFileSync(logPath, "utf8").split("\n").filter((line) => line.length > 0) : [];
      const lastCommit = log.findLast((line) => line.includes('"Committed block"'));
      const problems = warningLines(log, 10);
      return [`${node.name}: ${head}; last commit: ${lastCommit?.slice(0, 240) ?? "none"}`, ...problems.map((line) => `  ${line.slice(0, 400)}`)].join("\n");
    }),
  );
  return `the network at ${new Date().toISOString()} (wall clock):\n${lines.join("\n")}`;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export type RunningNode = {
  readonly child: ChildProcess;
  readonly api: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** SIGTERM, then wait for a clean exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** `ghostmesh start --home HOME --api-port PORT`, resolved once GET /v1/status answers. */
export async function startNode(home: string, extraArgs: readonly string[] = []): Promise<RunningNode> {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const child = track(
    spawn(process.execPath, [MAIN_SCRIPT, "start", "--home", home, "--api-port", String(port), ...extraArgs], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(), GHOSTMESH_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const node: RunningNode = {
    child,
    api,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), NODE_STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  await waitFor(
    `node ${home} to serve ${api}`,
    async () => {
      if (child.exitCode !== null) throw new Error("exited");
      const response = await fetch(`${api}/v1/status`);
      return response.ok ? true : undefined;
    },
    NODE_READY_TIMEOUT_MS,
  ).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}; node exit code ${child.exitCode}; output:\n${output}`);
  });
  return node;
}

/** Kills every child still running (for `after` hooks of failing tests). */
export function killAllChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Seeded PRNG (mulberry32) so byte positions chosen by a test replay from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
