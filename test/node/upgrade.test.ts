/**
 * An on-chain upgrade (governance `upgrade` proposal, decision 0603): once its plan is executed,
 * a node of another version produces nothing from the activation height on and says why; the
 * plan's version would carry on.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { readUpgradePlan } from "../../src/app/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { addressFromPublicKey, generateSigningKey, verifyAsync } from "../../src/crypto/index.ts";
import { encodeAmount } from "../../src/app/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { Mempool, defaultMempoolOptions } from "../../src/mempool/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { SingleValidatorProducer } from "../../src/node/producer.ts";
import { NODE_SOFTWARE_VERSION, upgradeRequiredAt } from "../../src/node/upgrade.ts";

const dir = mkdtempSync(join(tmpdir(), "gm-upgrade-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function waitUntil(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (let waitedMs = 0; !done(); waitedMs += 10) {
    if (waitedMs > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("on-chain upgrades", () => {
  it("stops a node of another version at the activation height of an executed upgrade plan", async () => {
    const key = generateSigningKey();
    const self = addressFromPublicKey(key.alg, key.publicKey);
    const genesis: Genesis = {
      chainId: "upgrade-test",
      genesisTime: Date.now(),
      validators: [{ name: "v0", address: self, alg: key.alg, publicKey: key.publicKey, power: 1 }],
      allocations: [{ address: self, amount: "1000" }],
      params: { chain: { epochBlocks: 2 }, governance: { votingPeriodEpochs: 1, timelockEpochs: 0, minDeposit: 10 } },
    };
    const logged: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(line) });
    const chain = new Chain(genesis, new ChainStore(join(dir, "chain.db")));
    const mempool = new Mempool({ ...defaultMempoolOptions, chainId: genesis.chainId }, { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: null });
    const producer = new SingleValidatorProducer(
      { intervalMs: 5, txsMax: 100, entriesMax: 1000, bytesMax: 1 << 20, emptyIntervalMs: 20 },
      { chain, mempool, key, clock: { nowMs: () => Date.now() }, logger, metrics: null },
    );
    producer.start();
    try {
      const activationHeight = chain.head.height + 14;
      await mempool.admit(buildTx(key, genesis.chainId, 0, { type: "account.register" }).bytes);
      const deposit = encodeAmount(10n);
      await mempool.admit(buildTx(key, genesis.chainId, 1, { type: "gov.propose", body: { title: "v9", deposit, content: { type: "upgrade", version: "9.9.9", activationHeight } } }).bytes);
      await waitUntil("the proposal", () => chain.head.height >= 1 && mempool.size === 0);
      await mempool.admit(buildTx(key, genesis.chainId, 2, { type: "gov.vote", body: { proposalId: 1, option: "yes" } }).bytes);
      const get = (k: Uint8Array) => chain.state.get(k) ?? undefined;
      await waitUntil("the executed plan", () => readUpgradePlan(get) !== undefined);
      assert.deepEqual(readUpgradePlan(get), { version: "9.9.9", activationHeight, proposalId: 1 });
      await waitUntil("the block before activation", () => chain.head.height === activationHeight - 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(chain.head.height, activationHeight - 1, `this node (${NODE_SOFTWARE_VERSION}) makes no block at the activation height`);
      assert.ok(upgradeRequiredAt(get, activationHeight) !== undefined);
      assert.equal(upgradeRequiredAt(get, activationHeight, "9.9.9"), undefined, "the plan's version carries on");
      assert.equal(upgradeRequiredAt(get, activationHeight - 1), undefined, "heights before activation run on the old version");
      assert.equal(logged.filter((line) => line.includes("install 9.9.9")).length, 1, "said once, with what to install");
    } finally {
      await producer.stop();
    }
  });
});
