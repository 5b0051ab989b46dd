import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { toHex } from "../../src/util/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

let t: TestChain;
let key: SigningKey;

async function post(payload: Uint8Array | string, contentType = "application/cbor", query = "") {
  return t.api.inject({ method: "POST", url: `/v1/txs${query}`, headers: { "content-type": contentType }, payload: typeof payload === "string" ? payload : Buffer.from(payload) });
}

function snapshot() {
  return { height: t.chain.head.height, logSize: t.chain.head.logSize, pool: t.mempool.size };
}

describe("POST /v1/txs", () => {
  before(async () => {
    t = openTestChain();
    t.producer.start();
    key = generateSigningKey();
    const registration = buildTx(key, t.genesis.chainId, 0, { type: "account.register" });
    const res = await post(registration.bytes, "application/cbor", "?wait=true");
    assert.equal(res.statusCode, 200, res.body);
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("commits a valid audit.append and answers with hash and height", async () => {
    const built = buildTx(key, t.genesis.chainId, 1, { type: "audit.append", record: { action: "deploy", subject: "api" } });
    const res = await post(built.bytes, "application/cbor", "?wait=true");
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.hash, toHex(built.hash));
    assert.equal(body.status, "committed");
    assert.ok(body.height >= 1);
    const tx = (await t.api.inject({ method: "GET", url: `/v1/txs/${body.hash}` })).json();
    assert.equal(tx.status, "committed");
    assert.equal(tx.type, "audit.append");
  });

  it("a transaction submitted again is waited for: pending, then committed, with wait=true; refused as known without it", async () => {
    const nonce = t.mempool.nextNonce(buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).signedTx.tx.from);
    const built = buildTx(key, t.genesis.chainId, nonce, { type: "audit.append", record: { action: "again" } });
    const first = await post(built.bytes);
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(built.bytes);
    assert.deepEqual([again.statusCode, again.json().error.code], [409, "MEMPOOL_DUPLICATE"]);
    const waited = await post(built.bytes, "application/cbor", "?wait=true");
    assert.equal(waited.statusCode, 200, waited.body);
    assert.deepEqual([waited.json().hash, waited.json().status], [toHex(built.hash), "committed"]);
    const afterCommit = await post(built.bytes, "application/cbor", "?wait=true");
    assert.equal(afterCommit.statusCode, 200, afterCommit.body);
    assert.deepEqual(afterCommit.json(), waited.json(), "a committed transaction submitted again answers its commit");
    assert.equal((await post(built.bytes)).statusCode, 409, "without wait, admission's refusal stands");
    // A transaction that was never committed still gets admission's refusal with wait=true.
    const stale = buildTx(key, t.genesis.chainId, 0, { type: "audit.append", record: { action: "stale" } });
    const refused = await post(stale.bytes, "application/cbor", "?wait=true");
    assert.deepEqual([refused.statusCode, refused.json().error.code], [409, "MEMPOOL_NONCE_TOO_LOW"]);
  });

  it("accepts JSON {tx: hex}", async () => {
    const nonce = t.mempool.nextNonce(buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).signedTx.tx.from);
    const built = buildTx(key, t.genesis.chainId, nonce, { type: "audit.append", record: { action: "json" } });
    const res = await post(JSON.stringify({ tx: toHex(built.bytes) }), "application/json", "?wait=true");
    assert.equal(res.statusCode, 200, res.body);
  });

  const rejections: [string, () => Promise<{ statusCode: number; json(): { error: { code: string; message: string } } }>, number, string][] = [
    ["malformed bytes", () => post(new Uint8Array([0xa2, 0x01])), 400, "CODEC_MALFORMED"],
    ["a bad signature", async () => {
      const built = buildTx(key, t.genesis.chainId, t.mempool.nextNonce(built0().from), { type: "audit.append", record: { action: "x" } });
      const sig = new Uint8Array(built.signedTx.sig);
      sig[10] = (sig[10] as number) ^ 1;
      return post(encodeCanonical({ ...built.signedTx, sig }));
    }, 422, "MEMPOOL_BAD_SIGNATURE"],
    ["a wrong nonce", () => post(buildTx(key, t.genesis.chainId, 0, { type: "audit.append", record: { action: "x" } }).bytes), 409, "MEMPOOL_NONCE_TOO_LOW"],
    ["a nonce far ahead", () => post(buildTx(key, t.genesis.chainId, 100_000, { type: "audit.append", record: { action: "x" } }).bytes), 409, "MEMPOOL_NONCE_TOO_HIGH"],
    ["a wrong chain id", () => post(buildTx(key, "other-chain", 5, { type: "audit.append", record: { action: "x" } }).bytes), 400, "LEDGER_WRONG_CHAIN"],
    ["an unregistered sender", () => post(buildTx(generateSigningKey(), t.genesis.chainId, 0, { type: "audit.append", record: { action: "x" } }).bytes), 422, "MEMPOOL_UNKNOWN_ACCOUNT"],
    ["a second registration", () => post(buildTx(key, t.genesis.chainId, t.mempool.nextNonce(built0().from), { type: "account.register" }).bytes), 409, "MEMPOOL_ACCOUNT_EXISTS"],
    ["an oversized body", () => post(new Uint8Array(20 * 1024 * 1024)), 413, "API_BODY_TOO_LARGE"],
    ["an unknown field in the transaction", () => {
      const built = buildTx(key, t.genesis.chainId, 9, { type: "audit.append", record: { action: "x" } });
      return post(encodeCanonical({ ...built.signedTx, tx: { ...built.signedTx.tx, fee2: 1 } }));
    }, 400, "CODEC_SCHEMA"],
    ["an unknown field in the JSON envelope", () => post(JSON.stringify({ tx: "00", extra: 1 }), "application/json"), 400, "API_BAD_REQUEST"],
    ["records on a non-batch transaction", () => {
      const built = buildTx(key, t.genesis.chainId, 9, { type: "audit.append", record: { action: "x" } });
      return post(encodeCanonical({ ...built.signedTx, records: [{ action: "y" }] }));
    }, 400, "LEDGER_UNEXPECTED_RECORDS"],
    ["a batch whose records do not match the signed root", () => {
      const built = buildTx(key, t.genesis.chainId, 9, { type: "audit.batch", records: [{ action: "a" }, { action: "b" }] });
      return post(encodeCanonical({ ...built.signedTx, records: [{ action: "a" }, { action: "c" }] }));
    }, 400, "LEDGER_BATCH_ROOT_MISMATCH"],
    ["an unsupported content type", () => post("hello", "text/plain"), 415, "API_UNSUPPORTED_MEDIA_TYPE"],
  ];
  function built0() {
    return buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).signedTx.tx;
  }

  for (const [what, send, status, code] of rejections) {
    it(`refuses ${what} with ${status} ${code} and changes nothing`, async () => {
      const before = snapshot();
      const res = await send();
      assert.equal(res.statusCode, status, JSON.stringify(res.json()));
      assert.equal(res.json().error.code, code);
      assert.ok(res.json().error.message.length > 10, "message explains the problem");
      assert.deepEqual(snapshot(), before);
    });
  }

  it("names the bad field in schema errors", async () => {
    const built = buildTx(key, t.genesis.chainId, 9, { type: "audit.append", record: { action: "x" } });
    const res = await post(encodeCanonical({ ...built.signedTx, tx: { ...built.signedTx.tx, nonce: "seven" } }));
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /signedTx\.tx\.nonce/);
  });

  it("never answers 5xx to random bytes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const before = snapshot();
        const res = await post(bytes);
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `status ${res.statusCode}`);
        assert.deepEqual(snapshot(), before);
      }),
      { numRuns: 200 },
    );
  });
  it("answers a wait on a transaction execution refuses with 422 and the app's code, and GET shows it refused", async () => {
    const from = buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).signedTx.tx.from;
    const nonce = t.mempool.nextNonce(from);
    // The account holds no tokens: admission accepts the transfer (a signature and a nonce), execution refuses it.
    const built = buildTx(key, t.genesis.chainId, nonce, { type: "token.transfer", to: new Uint8Array(20).fill(7), amount: 5n });
    const before = snapshot();
    const res = await post(built.bytes, "application/cbor", "?wait=true&timeoutMs=20000");
    assert.equal(res.statusCode, 422, res.body);
    const error = res.json().error;
    assert.equal(error.code, "API_TX_REFUSED");
    assert.equal(error.refusalCode, "APP_INSUFFICIENT_BALANCE");
    assert.match(error.message, /refused at execution/);
    const shown = (await t.api.inject({ method: "GET", url: `/v1/txs/${toHex(built.hash)}` })).json();
    assert.deepEqual([shown.status, shown.code], ["refused", "APP_INSUFFICIENT_BALANCE"]);
    assert.equal(t.chain.head.logSize, before.logSize, "nothing of it reached the log");
  });

  it("a wait that runs out on a transaction held behind a nonce gap names the nonce it waits for, and GET shows it", async () => {
    const from = buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).signedTx.tx.from;
    const nonce = t.mempool.nextNonce(from);
    // As after a refused predecessor: the client counted on nonce `nonce`, which never commits.
    const built = buildTx(key, t.genesis.chainId, nonce + 1, { type: "audit.append", record: { action: "gap" } });
    const res = await post(built.bytes, "application/cbor", "?wait=true&timeoutMs=50");
    const error = res.json().error;
    assert.equal(error.code, "API_TIMEOUT", res.body);
    assert.deepEqual([error.nonce, error.nonceExpected], [nonce + 1, nonce]);
    assert.match(error.message, new RegExp(`carries nonce ${nonce + 1} and waits for its sender's transaction with nonce ${nonce}`));
    const shown = (await t.api.inject({ method: "GET", url: `/v1/txs/${toHex(built.hash)}` })).json();
    assert.deepEqual(shown, { hash: toHex(built.hash), status: "pending", nonce: nonce + 1, nonceExpected: nonce });
    const filler = buildTx(key, t.genesis.chainId, nonce, { type: "audit.append", record: { action: "fills the gap" } });
    assert.equal((await post(filler.bytes, "application/cbor", "?wait=true")).statusCode, 200);
    const waited = await post(built.bytes, "application/cbor", "?wait=true&timeoutMs=20000");
    assert.deepEqual([waited.statusCode, waited.json().status], [200, "committed"], waited.body);
  });
});

describe("POST /v1/txs?wait=true on a transaction whose nonce never comes", () => {
  it("answers 422 API_TX_REFUSED with MEMPOOL_NONCE_GAP_EXPIRED once it has waited waitingBlocksMax blocks", async () => {
    const chain = openTestChain({ mempool: { waitingBlocksMax: 2 } });
    try {
      chain.producer.start();
      const [stuck, busy] = [generateSigningKey(), generateSigningKey()];
      const send = (bytes: Uint8Array, query = "?wait=true") => chain.api.inject({ method: "POST", url: `/v1/txs${query}`, headers: { "content-type": "application/cbor" }, payload: Buffer.from(bytes) });
      for (const key of [stuck, busy]) assert.equal((await send(buildTx(key, chain.genesis.chainId, 0, { type: "account.register" }).bytes)).statusCode, 200);
      const gapped = buildTx(stuck, chain.genesis.chainId, 2, { type: "audit.append", record: { action: "waits for nonce 1" } });
      const waiting = send(gapped.bytes, "?wait=true&timeoutMs=60000");
      // Three more blocks commit while it waits; at the third it has waited more than two.
      for (let nonce = 1; nonce <= 3; nonce++) assert.equal((await send(buildTx(busy, chain.genesis.chainId, nonce, { type: "audit.append", record: { action: "block" } }).bytes)).statusCode, 200);
      const res = await waiting;
      assert.equal(res.statusCode, 422, res.body);
      assert.deepEqual([res.json().error.code, res.json().error.refusalCode], ["API_TX_REFUSED", "MEMPOOL_NONCE_GAP_EXPIRED"]);
      const shown = (await chain.api.inject({ method: "GET", url: `/v1/txs/${toHex(gapped.hash)}` })).json();
      assert.deepEqual([shown.status, shown.code], ["refused", "MEMPOOL_NONCE_GAP_EXPIRED"]);
      assert.equal(chain.mempool.size, 0);
    } finally {
      await chain.close();
      removeDir(chain.dir);
    }
  });
});
