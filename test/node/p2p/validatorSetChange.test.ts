/**
 * A validator outside genesis joins over libp2p (decision 0605): four genesis validators and a
 * fifth node on 127.0.0.1. The fifth is refused by the others' permissioned allowlists until it
 * bonds and the set chosen at the epoch's end names it; they then admit it, it catches up by
 * range sync, and from then on its signature is part of the certificates — the chain commits
 * with two genesis validators stopped, which the genesis set alone could not.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { encodeAmount } from "../../../src/app/index.ts";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { addressFromPublicKey, formatAddress, generateSigningKey } from "../../../src/crypto/index.ts";
import { signerIndices, verifyQuorumCertificate } from "../../../src/ledger/index.ts";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { initHome } from "../../../src/node/home.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { CHAIN_ID, posGenesisExtras, signNext, waitFor, type Account } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const TIMING = { viewTimeoutBaseMs: 500, backoffPercent: 200, backoffExponentMax: 3 };
const SYNC = { lagBlocksMin: 8, connectWaitMs: 1_000, lagCheckIntervalMs: 250 };
const WAIT_MS = 60_000;
const BOND = 1000n;

const posGenesis = posGenesisExtras(BOND, 5);

describe("a validator outside genesis joins the set over libp2p", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-set-change-"));
  const nodes: RunningP2pValidator[] = [];

  after(async () => {
    for (const node of [...nodes].reverse()) await node.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("is admitted once the set names it, catches up, and signs the certificates the chain needs", async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now(), genesisExtras: posGenesis });
    const joinerKey = generateSigningKey();
    const joinerHome = join(dir, "joiner");
    initHome(joinerHome, { chainId: CHAIN_ID, name: "joiner", genesisTimeMs: homes.genesis.genesisTime, keyProtection: { plain: true }, genesis: homes.genesis, key: joinerKey });
    const all = [...homes.homes, { name: "joiner", home: joinerHome, key: joinerKey }];
    await configureP2pDevnet({ ...homes, homes: all }, { api: [0, 0, 0, 0, 0], p2p: await findFreePorts(5) });
    for (const { home, key } of all) {
      const config = { ...loadNodeConfig(home, {}), log: { level: "silent" as const }, block: { ...loadNodeConfig(home, {}).block, emptyIntervalMs: 200 } };
      nodes.push(await startP2pValidatorNode({ home, config, genesis: homes.genesis, timing: TIMING, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 500 }, sync: SYNC }, { key, logger: silent }));
    }
    const joiner = nodes[4]!;
    assert.equal(joiner.host.epoch?.selfIndex, null, "outside the genesis set it starts as an observer");
    assert.equal(joiner.p2p.peers().length, 0, "permissioned validators refuse an identity no set names");

    const client = new GhostmeshClient(nodes[0]!.api.url);
    const commit = async (tx: { bytes: Uint8Array }) => {
      const response = await client.submitTx(tx.bytes, { wait: true, timeoutMs: WAIT_MS });
      assert.equal(response.status, "committed", JSON.stringify(response));
      return (response as { height: number }).height;
    };
    const funderKey = homes.homes[0]!.key;
    const funder: Account = { key: funderKey, address: formatAddress(addressFromPublicKey(funderKey.alg, funderKey.publicKey)), nonce: 0 };
    const joinerAccount: Account = { key: joinerKey, address: formatAddress(addressFromPublicKey(joinerKey.alg, joinerKey.publicKey)), nonce: 0 };
    await commit(signNext(funder, { type: "account.register" }));
    await commit(signNext(funder, { type: "token.transfer", to: addressFromPublicKey(joinerKey.alg, joinerKey.publicKey), amount: 10_000n }));
    await commit(signNext(joinerAccount, { type: "account.register" }));
    await commit(signNext(joinerAccount, { type: "staking.bond", body: { amount: encodeAmount(3n * BOND) } }));

    await waitFor("the joiner to sign as a member of the set", () => (!joiner.resyncing && joiner.host.epoch?.selfIndex === 4 ? true : undefined), WAIT_MS);
    assert.ok(joiner.resyncs >= 1, "it caught up by range sync once admitted");
    // Validators 0 and 1 run that set too before 2 and 3 stop, so the commit below is the new set's from its first view, not a race with their switch.
    const label = joiner.host.epoch!.label;
    await waitFor("validators 0 and 1 to switch as well", () => ([0, 1].every((i) => !nodes[i]!.resyncing && nodes[i]!.host.epoch?.label === label) ? true : undefined), WAIT_MS);

    // Validators 0 and 1 alone hold too little power; with the joiner they commit.
    await nodes[3]!.stop();
    await nodes[2]!.stop();
    const height = await commit(signNext(joinerAccount, { type: "audit.append", record: { action: "joined", data: {} } }));
    await waitFor("the joiner to commit it too", () => (joiner.chain.head.height >= height ? true : undefined), WAIT_MS);
    const row = joiner.chain.store.getBlock(height)!;
    assert.deepEqual(row.hash, nodes[0]!.chain.store.getBlock(height)!.hash);
    const qc = joiner.chain.store.certificate(height);
    const set = joiner.chain.validatorSets.forHeight(height).set;
    verifyQuorumCertificate(qc, set.validators, CHAIN_ID);
    assert.ok(signerIndices(qc.signers, set.validators.length).includes(4), "the joiner's signature is in the certificate");
  });
});
