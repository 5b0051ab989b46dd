/** ghostmesh verify replays a chain holding an emergency rollback: the restore reads past versions. */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { balanceKey, encodeAmount, readBalance, readProposal } from "../../src/app/index.ts";
import { buildTx, type TxIntent } from "../../src/client/index.ts";
import { addressFromPublicKey, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { ChainStore, type Genesis } from "../../src/ledger/index.ts";
import { verifyStore } from "../../src/node/verify.ts";
import { makeGenesis, openTestChain, removeDir } from "../helpers/testChain.ts";

const OTHER = new Uint8Array(20).fill(0x77);
const LATER = new Uint8Array(20).fill(0x78);
const FUNDS = 10_000n;

let dir = "";
let genesis: Genesis;
let rollbackHeight = 0;
let balancesAtEnd: { other: bigint; later: bigint; laterRow: Uint8Array | null } = { other: 0n, later: 0n, laterRow: null };
let rollbackKeysRestored: number | undefined;

describe("verify: a chain with an emergency rollback", () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gm-rollback-"));
    const key: SigningKey = generateSigningKey();
    const validator = addressFromPublicKey(key.alg, key.publicKey);
    genesis = { ...makeGenesis(key), allocations: [{ address: validator, amount: FUNDS.toString() }], roles: [{ address: validator, roles: ["admin", "emergency_rollback"] }] };
    const t = openTestChain({ dir, key, genesis });
    const { chain, api, producer } = t;
    producer.start();
    let nonce = 0;
    const send = async (intent: TxIntent): Promise<void> => {
      const built = buildTx(key, genesis.chainId, nonce++, intent);
      const res = await api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
      assert.equal(res.statusCode, 200, res.body);
    };
    await send({ type: "account.register" });
    await send({ type: "token.transfer", to: OTHER, amount: 100n });
    rollbackHeight = chain.head.height;
    await send({ type: "token.transfer", to: OTHER, amount: 5n });
    await send({ type: "token.transfer", to: LATER, amount: 50n });
    await send({ type: "gov.propose", body: { title: "undo", deposit: encodeAmount(1000n), content: { type: "emergency", action: "rollback", height: rollbackHeight } } });
    // The only validator votes yes: 100% of the set's power, the fast path executes at once.
    await send({ type: "gov.vote", body: { proposalId: 1, option: "yes" } });
    const get = (k: Uint8Array) => chain.state.get(k) ?? undefined;
    const proposal = readProposal(get, 1);
    assert.equal(proposal?.status, "executed", proposal?.reason);
    rollbackKeysRestored = proposal?.rollbackKeysRestored;
    balancesAtEnd = { other: readBalance(get, OTHER), later: readBalance(get, LATER), laterRow: chain.state.get(balanceKey(LATER)) };
    await t.close();
  });
  after(() => removeDir(dir));

  it("restored the balances of the snapshot height, deleting a key it did not have", () => {
    assert.ok(rollbackHeight >= 2);
    assert.equal(balancesAtEnd.other, 100n);
    assert.equal(balancesAtEnd.later, 0n);
    assert.equal(balancesAtEnd.laterRow, null, "the balance created after the snapshot is deleted from the state tree");
    assert.ok((rollbackKeysRestored ?? 0) >= 3);
  });

  it("verifies: the replay reads the snapshot from the stored tree and reaches every header's state root", async () => {
    const store = new ChainStore(join(dir, "chain.db"));
    try {
      const report = await verifyStore(store, genesis);
      assert.ok(report.height >= rollbackHeight + 4, `verified up to ${report.height}`);
    } finally {
      store.close();
    }
  });
});
