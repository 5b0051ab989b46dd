/**
 * `ghostmesh devnet --validators 4` as real processes over libp2p on 127.0.0.1: transactions
 * commit under load; kill -9 of one validator leaves the other three committing; the killed
 * validator restarted with `ghostmesh start --home` catches up (the engine fetches the blocks
 * it missed) and all four hold identical block hashes at every height; every home verifies.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { NODE_PROCESS_FLAGS } from "../../src/cli/nodeFlags.ts";
import { generateSigningKey } from "../../src/crypto/index.ts";
import { toHex } from "../../src/util/index.ts";
import { cleanEnv, freePort, isAlive, MAIN_SCRIPT, makeTempDir, parseJsonOutput, removeDir, REPO_ROOT, runCli, sleep, waitFor } from "./helpers.ts";

type DevnetFile = { chainId: string; clientKey: string; nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[] };

/** Spawns in a new process group (detached) so that `finally` can kill it and everything it started. */
function spawnGroup(args: readonly string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN_SCRIPT, ...args], { cwd: REPO_ROOT, env: { ...cleanEnv(), GHOSTMESH_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function heightOf(api: string): Promise<number> {
  return (await new GhostmeshClient(api).status()).height;
}

describe("ghostmesh devnet --validators 4 (four processes over libp2p)", () => {
  const dir = makeTempDir("devnet-p2p");
  let devnet: ReturnType<typeof spawnGroup> | undefined;
  let restarted: ReturnType<typeof spawnGroup> | undefined;

  after(() => {
    killGroup(devnet?.child);
    killGroup(restarted?.child);
    removeDir(dir);
  });

  it("keeps committing with one validator killed, and the restarted validator catches up to identical, verifiable chains", async () => {
    devnet = spawnGroup(["devnet", "--validators", "4", "--dir", dir, "--base-port", String(await freePort())]);
    const devnetPath = join(dir, "devnet.json");
    const info = await waitFor("devnet.json", () => {
      if (devnet?.child.exitCode !== null) throw new Error(`devnet exited early: ${devnet?.output()}`);
      return existsSync(devnetPath) ? (JSON.parse(readFileSync(devnetPath, "utf8")) as DevnetFile) : undefined;
    }, 30_000).catch((err: Error) => assert.fail(`${err.message}\n${devnet?.output()}`));
    assert.equal(new Set(info.nodes.map((n) => n.pid)).size, 4, "one process per validator");
    for (const node of info.nodes) {
      const argv = readFileSync(`/proc/${node.pid}/cmdline`, "utf8").split("\0");
      for (const flag of NODE_PROCESS_FLAGS) assert.ok(argv.includes(flag), `${node.name} runs with ${flag}: ${argv.join(" ")}`);
    }
    for (const node of info.nodes) assert.match(node.p2p ?? "", /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/);
    const apis = info.nodes.map((n) => n.api);

    // Two client accounts, registered through different validators.
    const accounts = [generateSigningKey(), generateSigningKey()].map((key) => ({ key, nonce: 0 }));
    const send = async (account: (typeof accounts)[number], api: string, intent: Parameters<typeof buildTx>[3], wait: boolean) => {
      const built = buildTx(account.key, info.chainId, account.nonce++, intent);
      await new GhostmeshClient(api).submitTx(built.bytes, { wait, timeoutMs: 20_000 });
      return toHex(built.hash);
    };
    const registrations = await Promise.all(accounts.map((account, i) => send(account, apis[i]!, { type: "account.register" }, true)));
    // `wait` covers the node it was sent to; the load below sends each account's appends to
    // every node, and one that has not applied the registration yet refuses them (a full test
    // run caught node2 a few milliseconds behind: MEMPOOL_UNKNOWN_ACCOUNT).
    for (const api of apis) {
      for (const hash of registrations) {
        await waitFor(`registration ${hash} committed at ${api}`, async () => ((await new GhostmeshClient(api).tx(hash).catch(() => null))?.status === "committed" ? true : undefined), 20_000);
      }
    }

    // Load: appends through node0..node2, ~20 per second, until stopped. node3 takes part in
    // consensus and receives every transaction by gossip, but no client talks to it: a request
    // in flight at the kill would leave an account's nonce in doubt.
    let loading = true;
    const sent: string[] = [];
    const load = (async () => {
      for (let n = 0; loading; n++) {
        sent.push(await send(accounts[n % 2]!, apis[n % 3]!, { type: "audit.append", record: { action: "load", subject: `n${n}` } }, false));
        await sleep(50);
      }
    })();

    await waitFor("a few blocks under load", async () => ((await heightOf(apis[0]!)) >= 5 ? true : undefined), 20_000);
    const victim = info.nodes[3]!;
    process.kill(victim.pid, "SIGKILL");
    await waitFor(`${victim.name} to die`, () => (isAlive(victim.pid) ? undefined : true), 5_000);
    const heightAtKill = await heightOf(apis[0]!);
    await waitFor("commits to continue on the other three", async () => {
      const heights = await Promise.all(apis.slice(0, 3).map(heightOf));
      return heights.every((h) => h >= heightAtKill + 4) ? true : undefined;
    }, 20_000);
    loading = false;
    await load;
    const lastLoaded = sent.at(-1)!;
    await waitFor("the last load transaction to commit on the three", async () => {
      const statuses = await Promise.all(apis.slice(0, 3).map(async (api) => (await new GhostmeshClient(api).tx(lastLoaded)).status));
      return statuses.every((s) => s === "committed") ? true : undefined;
    }, 20_000);

    restarted = spawnGroup(["start", "--home", victim.home]);
    await waitFor(`${victim.name} to serve again`, () => heightOf(victim.api), 20_000);
    const final = await send(accounts[0]!, apis[1]!, { type: "audit.append", record: { action: "final", subject: "all four" } }, true);
    await waitFor(`${victim.name} to catch up and commit the last transaction`, async () => ((await new GhostmeshClient(victim.api).tx(final)).status === "committed" ? true : undefined), 30_000);

    const heightMin = Math.min(...(await Promise.all(apis.map(heightOf))));
    for (let height = 1; height <= heightMin; height++) {
      const hashes = await Promise.all(apis.map(async (api) => (await new GhostmeshClient(api).block(height)).hash));
      assert.equal(new Set(hashes).size, 1, `identical block hash at height ${height}: ${hashes.join(" ")}`);
    }
    const committed = await Promise.all(sent.map(async (hash) => (await new GhostmeshClient(victim.api).tx(hash)).status));
    assert.ok(committed.every((s) => s === "committed"), "the restarted validator holds every load transaction");

    restarted.child.kill("SIGTERM");
    devnet.child.kill("SIGINT");
    await waitFor("every validator to stop", () => (info.nodes.every((n) => !isAlive(n.pid)) && restarted?.child.exitCode !== null ? true : undefined), 15_000);
    for (const node of info.nodes) {
      const verified = await runCli(["verify", "--home", node.home, "--json"]);
      assert.equal(verified.code, 0, `${node.name}: ${verified.stderr}`);
      assert.equal(parseJsonOutput<{ ok: boolean }>(verified).ok, true);
    }
  });
});
