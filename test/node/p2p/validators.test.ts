/**
 * Four validators in one test process, each with its own libp2p host on 127.0.0.1 (real TCP
 * sockets, qstp, yamux, gossipsub): they find each other from their bootstrap lists, commit
 * transactions submitted to different validators, and hold identical chains.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes, type DevnetHomes } from "../../../src/node/consensus/index.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GossipTopic } from "../../../src/p2p/index.ts";
import { blockHashes, CHAIN_ID, newAccount, signNext, waitFor } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };

describe("validators over libp2p: four hosts on 127.0.0.1 in one process", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-validators-"));
  let homes: DevnetHomes;
  const validators: RunningP2pValidator[] = [];

  before(async () => {
    homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const { home, key } of homes.homes) {
      const config = { ...loadNodeConfig(home, {}), log: { level: "silent" as const } };
      validators.push(await startP2pValidatorNode({ home, config, genesis: homes.genesis, timing: TIMING, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 1000 } }, { key, logger: silent }));
    }
  });

  after(async () => {
    for (const validator of [...validators].reverse()) await validator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects every validator to the three others, authenticated as genesis validators", async () => {
    await waitFor("a full mesh of validator connections", () => (validators.every((v) => v.p2p.peers().length === 3 && v.p2p.topicPeers(GossipTopic.vote).length === 3) ? true : undefined), 20_000);
    for (const [i, validator] of validators.entries()) {
      const indices = validator.p2p.peers().map((peer) => validator.network.peers.indexOf(peer.identity.address)).sort();
      assert.deepEqual(indices, [0, 1, 2, 3].filter((other) => other !== i));
    }
  });

  it("commits transactions submitted to different validators, with identical block hashes at every height", async () => {
    const accounts = [newAccount(), newAccount(), newAccount(), newAccount()];
    const client = (i: number) => new GhostmeshClient(validators[i]!.api.url);
    await Promise.all(
      accounts.map(async (account, i) => {
        const response = await client(i).submitTx(signNext(account, { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 });
        assert.equal(response.status, "committed");
      }),
    );
    const hashes: string[] = [];
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        accounts.map(async (account, i) => {
          const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: `svc-${i}`, data: { round } } });
          hashes.push(tx.hash);
          const response = await client((i + round + 1) % 4).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 });
          assert.equal(response.status, "committed");
        }),
      );
    }
    for (const [i] of validators.entries()) {
      for (const hash of hashes) await waitFor(`validator ${i} to commit ${hash}`, async () => ((await client(i).tx(hash)).status === "committed" ? true : undefined), 20_000);
    }
    const height = Math.min(...validators.map((v) => v.chain.head.height));
    assert.ok(height >= 2, `at least two blocks committed (height ${height})`);
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
    for (const validator of validators) assert.equal(validator.p2p.isBanned(validators[0]!.p2p.peerId), false);
  });
});
