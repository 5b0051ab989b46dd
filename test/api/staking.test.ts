import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { addressFromPublicKey, formatAddress, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { encodeAmount } from "../../src/app/index.ts";
import { buildTx, type TxIntent } from "../../src/client/index.ts";
import type { Genesis } from "../../src/ledger/index.ts";
import { makeGenesis, openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

/** A one-validator PoS chain (the validator bonded 1,000,000 at genesis; the delegator holds 50,000). */
function openPosChain(validatorKey: SigningKey, delegator: Uint8Array): TestChain {
  const validator = addressFromPublicKey(validatorKey.alg, validatorKey.publicKey);
  const genesis: Genesis = {
    ...makeGenesis(validatorKey, "staking-api"),
    mode: "pos",
    bonds: [{ validator, amount: "1000000" }],
    allocations: [{ address: delegator, amount: "50000" }],
  };
  return openTestChain({ key: validatorKey, genesis });
}

describe("staking API", () => {
  const validatorKey = generateSigningKey();
  const delegatorKey = generateSigningKey();
  const validator = addressFromPublicKey(validatorKey.alg, validatorKey.publicKey);
  const delegator = addressFromPublicKey(delegatorKey.alg, delegatorKey.publicKey);
  let t: TestChain;

  async function send(nonce: number, intent: TxIntent) {
    const built = buildTx(delegatorKey, t.genesis.chainId, nonce, intent);
    const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
    assert.equal(res.statusCode, 200, res.body);
  }
  async function get(url: string) {
    const res = await t.api.inject({ method: "GET", url });
    return { status: res.statusCode, body: res.json() };
  }

  before(async () => {
    t = openPosChain(validatorKey, delegator);
    t.producer.start();
    await send(0, { type: "account.register" });
    await send(1, { type: "staking.delegate", body: { validator, amount: encodeAmount(30_000n) } });
    await send(2, { type: "staking.unbond", body: { validator, amount: encodeAmount(10_000n) } });
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("lists the validator set and the candidates with stake as decimal strings", async () => {
    const { status, body } = await get("/v1/staking/validators");
    assert.equal(status, 200);
    assert.equal(body.mode, "pos");
    assert.equal(body.totalBonded, "1020000");
    assert.deepEqual(body.candidates, [{ address: formatAddress(validator), stake: "1020000", jailed: false, jailedUntilEpoch: 0, missed: 0, inValidatorSet: true }]);
    assert.equal(body.validatorSet[0].address, formatAddress(validator));
  });

  it("shows an address's delegations and pending unbondings, and the chain's unbonding queue", async () => {
    const { body } = await get(`/v1/staking/delegations/${formatAddress(delegator)}`);
    assert.deepEqual(body.delegations, [{ validator: formatAddress(validator), amount: "20000" }]);
    assert.equal(body.unbonding.length, 1);
    assert.equal(body.unbonding[0].amount, "10000");
    const queue = (await get("/v1/staking/unbonding")).body.unbonding;
    assert.deepEqual(queue.map((u: { delegator: string; amount: string }) => [u.delegator, u.amount]), [[formatAddress(delegator), "10000"]]);
  });

  it("answers 400 for a malformed address", async () => {
    assert.equal((await get("/v1/staking/delegations/nope")).status, 400);
  });
});
