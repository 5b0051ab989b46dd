/**
 * `ghostmesh devnet --validators 4` as a user runs it: one process hosting four validators,
 * devnet.json naming each node's API (one pid, p2p null), a transaction sent to one node
 * committed at every node, a clean exit on SIGINT, and `ghostmesh verify` passing on every home.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { cleanEnv, freePort, isAlive, MAIN_SCRIPT, makeTempDir, parseJsonOutput, removeDir, REPO_ROOT, runCli, waitFor } from "../../e2e/helpers.ts";

type DevnetFile = { chainId: string; clientKey: string; nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[] };

describe("ghostmesh devnet --validators 4 (one process, in-memory network)", () => {
  const dir = makeTempDir("devnet4");
  let devnet: ChildProcess | undefined;
  let stderr = "";

  after(() => {
    devnet?.kill("SIGKILL");
    removeDir(dir);
  });

  it("serves four validators that commit a transaction sent to any of them, exits 0 on SIGINT, and leaves stores that verify", async () => {
    const basePort = await freePort();
    devnet = spawn(process.execPath, [MAIN_SCRIPT, "devnet", "--validators", "4", "--in-process", "--dir", dir, "--base-port", String(basePort)], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    devnet.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    devnet.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => devnet?.once("exit", (code) => resolve(code)));
    const devnetPath = join(dir, "devnet.json");
    const info = await waitFor(
      "devnet.json",
      () => {
        if (devnet?.exitCode !== null) throw new Error(`devnet exited early: ${stderr}`);
        return existsSync(devnetPath) ? (JSON.parse(readFileSync(devnetPath, "utf8")) as DevnetFile) : undefined;
      },
      30_000,
    );
    assert.equal(info.nodes.length, 4);
    assert.deepEqual(info.nodes.map((n) => n.name), ["node0", "node1", "node2", "node3"]);
    for (const node of info.nodes) {
      assert.equal(node.pid, devnet.pid, "every validator runs in the devnet process");
      assert.equal(node.p2p, null);
      assert.equal(node.home, join(dir, node.name));
    }
    assert.equal(new Set(info.nodes.map((n) => n.api)).size, 4, "each validator has its own API");

    const sent = await runCli(["tx", "send", "--node", info.nodes[2]!.api, "--key", info.clientKey, "--type", "audit.append", "--data", '{"action":"deploy","subject":"api"}', "--wait", "--json"]);
    assert.equal(sent.code, 0, sent.stderr);
    const { hash } = parseJsonOutput<{ hash: string; height: number }>(sent);
    for (const node of info.nodes) {
      const client = new GhostmeshClient(node.api);
      await waitFor(`${node.name} to commit ${hash}`, async () => ((await client.tx(hash)).status === "committed" ? true : undefined), 15_000);
      assert.equal((await client.status()).validators.length, 4);
    }

    devnet.kill("SIGINT");
    assert.equal(await exited, 0, `devnet exit; stderr:\n${stderr}`);
    assert.equal(isAlive(devnet.pid as number), false);
    assert.equal(existsSync(devnetPath), false, "devnet.json is removed on exit");
    for (const node of info.nodes) {
      const verified = await runCli(["verify", "--home", node.home, "--json"]);
      assert.equal(verified.code, 0, `${node.name}: ${verified.stderr}`);
      const report = parseJsonOutput<{ ok: boolean; txs: number }>(verified);
      assert.equal(report.ok, true);
      assert.equal(report.txs, 2, "the client's registration and its append");
    }
  });
});
