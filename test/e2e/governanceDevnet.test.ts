/**
 * Issue 5 on a real network: `ghostmesh devnet --mode pos --epoch-blocks 10 --voting-period 2
 * --timelock 1` (four validator processes over libp2p, empty blocks every 500 ms so epochs
 * pass without traffic). Through the CLI with `--home` signing:
 * - a param change voted yes by 3 of 4 equal stakes (75 % ≥ 67 %) executes exactly at the end
 *   of the epoch its timelock ends in: the post-state of that block has the new value, the
 *   block before the old one;
 * - a param change vetoed by 2 of 4 (50 % > 33.4 %) ends vetoed, never executes, and its
 *   deposit is burned (the total supply drops by it);
 * - staking rewards accrue at every epoch end, at the rate in force: 1 % of a 1,000,000 bond,
 *   then 2 % after the change;
 * - a validator that unbonds its whole stake (`stake unbond`) leaves the set at the epoch's
 *   end (decision 0605): blocks after it name the 3-member set and carry its certificates, and
 *   `query proof --verify` checks a checkpoint there from the genesis file, epoch by epoch.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeWith, s } from "../../src/codec/index.ts";
import { decodeAmount } from "../../src/app/index.ts";
import { addressFromPublicKey, formatAddress, loadKeyFile, parseAddress } from "../../src/crypto/index.ts";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { signerIndices } from "../../src/ledger/index.ts";
import { toHex } from "../../src/util/index.ts";
import { cleanEnv, freePort, MAIN_SCRIPT, makeTempDir, networkReport, parseJsonOutput, removeDir, REPO_ROOT, runCli, waitFor } from "./helpers.ts";

type DevnetFile = { chainId: string; clientKey: string; nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[] };
type Proposal = { id: number; status: string; votingEndsEpoch: number; executeEpoch: number | null; executedHeight: number | null };

const EPOCH_BLOCKS = 10;

function spawnGroup(args: readonly string[]): { child: ChildProcess; output: () => string } {
  const env = { ...cleanEnv(), GHOSTMESH_LOG_LEVEL: "warn", GHOSTMESH_BLOCK_EMPTY_INTERVAL_MS: "500" };
  const child = spawn(process.execPath, [MAIN_SCRIPT, ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

/** The execution refusals a validator logged (the API does not say why a transaction never committed). */
function refusals(home: string): string {
  const log = readFileSync(join(home, "node.log"), "utf8");
  return log.split("\n").filter((line) => line.includes("do not apply")).slice(-5).join("\n");
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** A balance-like state record (0x03 ‖ address, 0x06) after block `height`, from the proven state API. */
async function amountAt(api: string, keyHex: string, height: number): Promise<bigint> {
  const proof = await getJson<{ value: string | null }>(`${api}/v1/state/proof?key=${keyHex}&height=${height}`);
  if (proof.value === null) return 0n;
  const raw = decodeWith(s.bytes({ maxSize: 32 }), Buffer.from(proof.value, "hex"), "amount");
  return raw.length === 0 ? 0n : decodeAmount(raw);
}

async function rewardRateAt(api: string, height: number): Promise<number> {
  return (await getJson<{ params: { staking: { rewardRateBps: number } } }>(`${api}/v1/params?height=${height}`)).params.staking.rewardRateBps;
}

describe("governance and staking on a PoS devnet with short epochs (four processes)", () => {
  const dir = makeTempDir("gov-devnet");
  let devnet: ReturnType<typeof spawnGroup> | undefined;

  after(() => {
    if (devnet?.child.pid !== undefined) {
      try {
        process.kill(-devnet.child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    removeDir(dir);
  });

  it("executes a passed param change exactly when its timelock ends, never a vetoed one, and pays rewards per epoch", async () => {
    devnet = spawnGroup(["devnet", "--dir", dir, "--base-port", String(await freePort()), "--mode", "pos", "--epoch-blocks", String(EPOCH_BLOCKS), "--voting-period", "2", "--timelock", "1"]);
    const devnetPath = join(dir, "devnet.json");
    const info = await waitFor("devnet.json", () => {
      if (devnet?.child.exitCode !== null) throw new Error(`devnet exited early: ${devnet?.output()}`);
      return existsSync(devnetPath) ? (JSON.parse(readFileSync(devnetPath, "utf8")) as DevnetFile) : undefined;
    }, 30_000).catch((err: Error) => assert.fail(`${err.message}\n${devnet?.output()}`));
    const [n0, n1, n2, n3] = info.nodes as [DevnetFile["nodes"][0], DevnetFile["nodes"][0], DevnetFile["nodes"][0], DevnetFile["nodes"][0]];
    const api = n0.api;

    const params = parseJsonOutput<{ chain: { epochBlocks: number }; governance: { votingPeriodEpochs: number; timelockEpochs: number; minDeposit: number } }>(
      await runCli(["query", "params", "--node", api, "--json"]),
    );
    assert.deepEqual([params.chain.epochBlocks, params.governance.votingPeriodEpochs, params.governance.timelockEpochs], [EPOCH_BLOCKS, 2, 1]);

    // devnet.json means every node serves its API; consensus may still be starting.
    await waitFor("the first committed block", async () => ((await getJson<{ height: number }>(`${api}/v1/status`)).height >= 1 ? true : undefined), 30_000, 100).catch(
      async (err: Error) => assert.fail(`${err.message}\n${await networkReport(info.nodes)}`),
    );

    const propose = async (home: string, value: number) => {
      const result = await runCli(["gov", "propose", "--node", api, "--home", home, "--type", "param-change", "--param", "staking.rewardRateBps", "--value", String(value), "--json"], { timeoutMs: 60_000 });
      if (result.code !== 0) assert.fail(`gov propose: ${result.stderr}\n${await networkReport(info.nodes)}`);
      return parseJsonOutput<{ proposalId: number; hash: string; height: number }>(result);
    };
    // Votes are signed here and sent straight to the API: a CLI process per vote would cost
    // seconds on a loaded machine, and the voting period is two 10-block epochs.
    const client = new GhostmeshClient(api);
    const nonces = new Map<string, number>();
    const vote = async (home: string, proposalId: number, option: "yes" | "no" | "abstain" | "veto") => {
      const key = loadKeyFile(join(home, "validator.key.json"));
      const from = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
      let nonce = nonces.get(from) ?? (await client.account(from)).nextNonce;
      if (nonce === 0) await client.submitTx(buildTx(key, info.chainId, nonce++, { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 });
      nonces.set(from, nonce + 1);
      return client.submitTx(buildTx(key, info.chainId, nonce, { type: "gov.vote", body: { proposalId, option } }).bytes, { wait: true, timeoutMs: 30_000 });
    };
    const [passing, vetoed] = await Promise.all([propose(n0.home, 200), propose(n1.home, 300)]);
    assert.equal(typeof passing.height, "number");
    assert.notEqual(passing.proposalId, vetoed.proposalId);
    const votes = await Promise.all([
      vote(n0.home, passing.proposalId, "yes").then(() => vote(n0.home, vetoed.proposalId, "yes")),
      vote(n1.home, passing.proposalId, "yes").then(() => vote(n1.home, vetoed.proposalId, "veto")),
      vote(n2.home, passing.proposalId, "yes").then(() => vote(n2.home, vetoed.proposalId, "veto")),
    ]).catch(async (err: Error) => assert.fail(`${err.message}; refusals in node0's log:\n${refusals(n0.home)}\n${await networkReport(info.nodes)}`));
    assert.deepEqual(votes.map((v) => v.status), ["committed", "committed", "committed"]);

    const show = async (id: number) => parseJsonOutput<Proposal>(await runCli(["gov", "show", String(id), "--node", api, "--json"]));
    const executed = await waitFor("the passing proposal to execute", async () => {
      const p = await show(passing.proposalId);
      return p.status === "executed" ? p : undefined;
    }, 90_000, 500).catch(async (err: Error) => assert.fail(`${err.message}\n${await networkReport(info.nodes)}`));
    const vetoedFinal = await show(vetoed.proposalId);
    assert.equal(vetoedFinal.status, "vetoed");

    // Tallied at the end of epoch votingEndsEpoch, executed at the end of epoch + timelock.
    assert.equal(executed.executeEpoch, executed.votingEndsEpoch + 1);
    const executedHeight = (executed.executeEpoch! + 1) * EPOCH_BLOCKS - 1;
    assert.equal(executed.executedHeight, executedHeight);
    await waitFor("a block past the execution", async () => ((await getJson<{ height: number }>(`${api}/v1/status`)).height > executedHeight + EPOCH_BLOCKS ? true : undefined), 30_000, 200);
    assert.equal(await rewardRateAt(api, executedHeight - 1), 100, "the old rate holds until the executing block");
    assert.equal(await rewardRateAt(api, executedHeight), 200, "the executing block's post-state has the new rate");
    const head = (await getJson<{ height: number }>(`${api}/v1/status`)).height;
    assert.equal(await rewardRateAt(api, head), 200, "the vetoed 300 never took effect");

    // Rewards: n3 never transacts, so its balance moves only by rewards on its 1,000,000 bond.
    const genesis = JSON.parse(readFileSync(join(n3.home, "genesis.json"), "utf8")) as { validators: { name: string; address: string }[] };
    const n3Address = genesis.validators.find((v) => v.name === n3.name)!.address;
    const n3Balance = `03${toHex(parseAddress(n3Address))}`;
    const epochEnd = (epoch: number) => (epoch + 1) * EPOCH_BLOCKS - 1;
    const firstEpochEnd = epochEnd(0);
    assert.equal((await amountAt(api, n3Balance, firstEpochEnd)) - (await amountAt(api, n3Balance, firstEpochEnd - 1)), 10_000n, "1 % of the bond at an epoch end");
    assert.equal((await amountAt(api, n3Balance, firstEpochEnd + 1)) - (await amountAt(api, n3Balance, firstEpochEnd)), 0n, "nothing between epoch ends");
    const laterEnd = epochEnd(executed.executeEpoch! + 1);
    assert.equal((await amountAt(api, n3Balance, laterEnd)) - (await amountAt(api, n3Balance, laterEnd - 1)), 20_000n, "2 % once the change executed");

    // The vetoed deposit is burned: the supply fell by it at the vetoing tally, and rose only by rewards otherwise.
    const vetoTally = epochEnd(vetoedFinal.votingEndsEpoch);
    const supply = (height: number) => amountAt(api, "06", height);
    const rewardsAtTally = 4n * 1_000_000n * BigInt(await rewardRateAt(api, vetoTally - 1)) / 10_000n;
    assert.equal((await supply(vetoTally)) - (await supply(vetoTally - 1)), rewardsAtTally - BigInt(params.governance.minDeposit));
  });

  it("switches consensus to the three validators left when the fourth unbonds its whole stake", async () => {
    const info = JSON.parse(readFileSync(join(dir, "devnet.json"), "utf8")) as DevnetFile;
    const n3 = info.nodes[3]!;
    const api = info.nodes[0]!.api;
    const n3Key = loadKeyFile(join(n3.home, "validator.key.json"));
    const n3Address = formatAddress(addressFromPublicKey(n3Key.alg, n3Key.publicKey));
    const unbond = await runCli(["stake", "unbond", n3Address, "1000000", "--node", api, "--home", n3.home, "--wait", "--json"], { timeoutMs: 60_000 });
    if (unbond.code !== 0) assert.fail(`stake unbond: ${unbond.stderr}\n${await networkReport(info.nodes)}`);
    const sent = parseJsonOutput<{ hash: string; height: number }>(unbond);
    const unbondHeight = sent.height;
    // The set chosen at the end of the unbond's epoch signs from the next epoch on.
    const switchEpoch = Math.floor(unbondHeight / EPOCH_BLOCKS) + 1;
    const firstHeight = switchEpoch * EPOCH_BLOCKS;
    await waitFor("blocks after the set change", async () => ((await getJson<{ height: number }>(`${api}/v1/status`)).height > firstHeight + 2 ? true : undefined), 60_000, 200).catch(
      async (err: Error) => assert.fail(`${err.message}\n${await networkReport(info.nodes)}`),
    );
    type SetJson = { epoch: number; hash: string; validators: { address: string }[] };
    const before = await getJson<SetJson & { epochBlocks: number }>(`${api}/v1/validator-sets/${switchEpoch - 1}`);
    const after = await getJson<SetJson>(`${api}/v1/validator-sets/${switchEpoch}`);
    assert.equal(before.validators.length, 4);
    assert.deepEqual(after.validators.map((v) => v.address), info.nodes.slice(0, 3).map((node) => {
      const key = loadKeyFile(join(node.home, "validator.key.json"));
      return formatAddress(addressFromPublicKey(key.alg, key.publicKey));
    }));
    const block = await getJson<{ header: { validatorSetHash: string }; certificate: { signers: string } }>(`${api}/v1/blocks/${firstHeight + 1}`);
    assert.equal(block.header.validatorSetHash, after.hash, "blocks after the switch name the three-member set");
    assert.deepEqual(signerIndices(Buffer.from(block.certificate.signers, "hex"), 3), [0, 1, 2], "all three members signed, in a bitmap of three");
    const checkpointHeight = parseJsonOutput<{ height: number }>(await runCli(["query", "checkpoint", "--node", api])).height;
    assert.ok(checkpointHeight > firstHeight);
    const proved = await runCli(["query", "proof", sent.hash, "--verify", "--node", api, "--genesis", join(n3.home, "genesis.json")]);
    assert.equal(proved.code, 0, proved.stderr);
    const checked = parseJsonOutput<{ verified: boolean; checkpoint: { epoch: number; validatorsChecked: number } }>(proved);
    assert.equal(checked.verified, true);
    assert.ok(checked.checkpoint.epoch >= switchEpoch);
    assert.equal(checked.checkpoint.validatorsChecked, 3);
  });
});
