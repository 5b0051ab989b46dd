/**
 * A validator that missed a validator-set switch over libp2p (decision 0605): its engine runs
 * the old epoch, whose messages the others refuse, and it cannot fetch across the switch. Once
 * validators of more than a third of the power send it messages of the later epoch, it checks
 * its lag at once and syncs by range, instead of waiting out `stalledBehindMs` (here ten
 * minutes, as is the interval of its lag checks, so only that signal can bring it back). Found by `npm run soak:devnet -- --epoch-blocks 20`.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { encodeAmount } from "../../../src/app/index.ts";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { addressFromPublicKey, formatAddress } from "../../../src/crypto/index.ts";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes, type DevnetHome } from "../../../src/node/consensus/index.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import type { Genesis } from "../../../src/ledger/index.ts";
import { CHAIN_ID, posGenesisExtras, signNext, waitFor, type Account } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const TIMING = { viewTimeoutBaseMs: 500, backoffPercent: 200, backoffExponentMax: 3 };
// Neither "far behind" nor "stalled" can fire within the test, nor a periodic lag check: only
// the check the later epoch's messages start at once.
const SYNC = { lagBlocksMin: 1_000_000, connectWaitMs: 1_000, lagCheckIntervalMs: 600_000, stalledBehindMs: 600_000 };
const WAIT_MS = 60_000;
const EPOCH_BLOCKS = 5;
const BOND = 1000n;

describe("a validator that missed a validator-set switch", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-epoch-catch-up-"));
  const nodes: (RunningP2pValidator | null)[] = [];

  after(async () => {
    for (const node of [...nodes].reverse()) await node?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (genesis: Genesis, { home, key }: DevnetHome): Promise<RunningP2pValidator> => {
    const base = loadNodeConfig(home, {});
    const config = { ...base, log: { level: "silent" as const }, block: { ...base.block, emptyIntervalMs: 200 } };
    return startP2pValidatorNode({ home, config, genesis, timing: TIMING, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 500 }, sync: SYNC }, { key, logger: silent });
  };

  it("syncs by range as soon as more than a third of the power runs the later epoch, and rejoins consensus there", async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now(), genesisExtras: posGenesisExtras(BOND, EPOCH_BLOCKS) });
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const home of homes.homes) nodes.push(await start(homes.genesis, home));
    const client = new GhostmeshClient(nodes[0]!.api.url);
    const commit = async (tx: { bytes: Uint8Array }) => {
      const response = await client.submitTx(tx.bytes, { wait: true, timeoutMs: WAIT_MS });
      assert.equal(response.status, "committed", JSON.stringify(response));
    };
    const key0 = homes.homes[0]!.key;
    const validator0: Account = { key: key0, address: formatAddress(addressFromPublicKey(key0.alg, key0.publicKey)), nonce: 0 };
    await commit(signNext(validator0, { type: "account.register" }));
    const labelBefore = nodes[0]!.host.epoch!.label;

    // Validator 3 is away while validator 0 doubles its stake and the epoch's end switches to that set.
    await nodes[3]!.stop();
    const behindAt = nodes[0]!.chain.head.height;
    await commit(signNext(validator0, { type: "staking.bond", body: { amount: encodeAmount(BOND) } }));
    await waitFor("validators 0 to 2 to switch sets", () => ([0, 1, 2].every((i) => (nodes[i]!.host.epoch?.label ?? 0) > labelBefore) ? true : undefined), WAIT_MS);
    const label = nodes[0]!.host.epoch!.label;
    assert.deepEqual(nodes[0]!.chain.validatorSets.forEpoch(label).set.validators.map((v) => v.power), [2, 1, 1, 1]);

    nodes[3] = await start(homes.genesis, homes.homes[3]!);
    const late = nodes[3]!;
    assert.ok(late.chain.head.height < label * EPOCH_BLOCKS && late.chain.head.height >= behindAt, `it restarts in the old epoch (height ${late.chain.head.height})`);
    await waitFor("validator 3 to sync the switch and run the new set", () => (!late.resyncing && late.host.epoch?.label === label ? true : undefined), WAIT_MS).catch((err: Error) => {
      assert.fail(`${err.message}: validator 3 at height ${late.chain.head.height}, epoch ${JSON.stringify(late.host.epoch)}, resyncs ${late.resyncs}`);
    });
    assert.ok(late.resyncs >= 1, "by range sync");
    const height = nodes[0]!.chain.head.height + 2;
    // Either may commit a height first: compare once both hold it.
    await waitFor("validator 3 to commit with the others", () => (late.chain.head.height >= height && nodes[0]!.chain.head.height >= height ? true : undefined), WAIT_MS);
    assert.deepEqual(late.chain.store.getBlock(height)!.hash, nodes[0]!.chain.store.getBlock(height)!.hash);
  });
});
