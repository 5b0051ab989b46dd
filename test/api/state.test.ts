import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx, verifyBlockResponse, verifyStateProofResponse } from "../../src/client/index.ts";
import { accountKey } from "../../src/app/index.ts";
import { STATE_KEY_SIZE_BYTES_MAX } from "../../src/state/index.ts";
import { addressFromPublicKey } from "../../src/crypto/index.ts";
import { toHex } from "../../src/util/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

let t: TestChain;
let key: SigningKey;
let keyHex = "";
let registeredAt = 0;

async function get(url: string) {
  const res = await t.api.inject({ method: "GET", url });
  return { status: res.statusCode, body: res.json() };
}

async function send(nonce: number, intent: Parameters<typeof buildTx>[3]): Promise<number> {
  const built = buildTx(key, t.genesis.chainId, nonce, intent);
  const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().height as number;
}

describe("state API", () => {
  before(async () => {
    t = openTestChain();
    t.producer.start();
    key = generateSigningKey();
    keyHex = toHex(accountKey(addressFromPublicKey(key.alg, key.publicKey)));
    registeredAt = await send(0, { type: "account.register" });
    await send(1, { type: "audit.append", record: { action: "login" } });
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("proves an account at the head against the head block's signed stateRoot", async () => {
    const { status, body } = await get(`/v1/state/proof?key=${keyHex}`);
    assert.equal(status, 200);
    assert.equal(body.height, t.chain.head.height);
    assert.equal(body.key, keyHex);
    assert.match(body.value, /^[0-9a-f]+$/);
    const block = (await get(`/v1/blocks/${body.height}`)).body;
    const header = verifyBlockResponse(block, t.genesis.validators, t.genesis.chainId);
    assert.equal(body.stateRoot, toHex(header.stateRoot));
    verifyStateProofResponse(body, header.stateRoot);
  });

  it("proves absence before the registration and presence from its height on, and a changed value fails", async () => {
    const before = (await get(`/v1/state/proof?key=${keyHex}&height=${registeredAt - 1}`)).body;
    assert.equal(before.value, null);
    verifyStateProofResponse(before, t.chain.state.root(registeredAt - 1));
    const at = (await get(`/v1/state/proof?key=0x${keyHex}&height=${registeredAt}`)).body;
    assert.notEqual(at.value, null);
    verifyStateProofResponse(at, t.chain.state.root(registeredAt));
    assert.throws(() => verifyStateProofResponse({ ...at, value: `${at.value}00` }, t.chain.state.root(registeredAt)), /does not verify/);
    assert.throws(() => verifyStateProofResponse({ ...at, value: null }, t.chain.state.root(registeredAt)), /does not verify/);
  });

  it("refuses a missing key, bad hex, an empty or oversized key, a bad height and a height past the head, naming the problem", async () => {
    const head = t.chain.head.height;
    const cases: { url: string; status: number; message: RegExp }[] = [
      { url: "/v1/state/proof", status: 400, message: /key: required/ },
      { url: "/v1/state/proof?key=zz", status: 400, message: /key: expected an even number of hex/ },
      { url: "/v1/state/proof?key=abc", status: 400, message: /key: expected an even number of hex/ },
      { url: "/v1/state/proof?key=0x", status: 400, message: /key: expected/ },
      { url: `/v1/state/proof?key=${"ab".repeat(STATE_KEY_SIZE_BYTES_MAX + 1)}`, status: 400, message: /key: at most 1024 bytes/ },
      { url: `/v1/state/proof?key=${keyHex}&height=-1`, status: 400, message: /height: expected a non-negative integer/ },
      { url: `/v1/state/proof?key=${keyHex}&height=${head + 1}`, status: 404, message: new RegExp(`no block at height ${head + 1}; the head is at ${head}`) },
    ];
    for (const { url, status, message } of cases) {
      const res = await get(url);
      assert.equal(res.status, status, `${url}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message, url);
    }
  });

  it("a key of the maximum size is served (absent)", async () => {
    const { status, body } = await get(`/v1/state/proof?key=${"ab".repeat(STATE_KEY_SIZE_BYTES_MAX)}`);
    assert.equal(status, 200);
    assert.equal(body.value, null);
    verifyStateProofResponse(body, t.chain.state.root());
  });

  it("the route is in the OpenAPI document with its query parameters", async () => {
    const doc = (await get("/v1/openapi.json")).body;
    const route = doc.paths["/v1/state/proof"]?.get;
    assert.ok(route, "GET /v1/state/proof is documented");
    assert.deepEqual(route.parameters.map((p: { name: string }) => p.name).sort(), ["height", "key"]);
  });
});
