import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatAddress, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx, verifyCheckpoint, verifyConsistencyResponse, verifyInclusionResponse } from "../../src/client/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

let t: TestChain;
let key: SigningKey;
const hashes: string[] = [];
let batchHash = "";

async function get(url: string) {
  const res = await t.api.inject({ method: "GET", url });
  return { status: res.statusCode, body: res.json() };
}

async function send(nonce: number, intent: Parameters<typeof buildTx>[3]) {
  const built = buildTx(key, t.genesis.chainId, nonce, intent);
  const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().hash as string;
}

describe("read API", () => {
  before(async () => {
    t = openTestChain();
    t.producer.start();
    key = generateSigningKey();
    hashes.push(await send(0, { type: "account.register" }));
    for (let i = 1; i <= 4; i++) hashes.push(await send(i, { type: "audit.append", record: { action: i % 2 ? "deploy" : "login", subject: `s${i}` } }));
    batchHash = await send(5, { type: "audit.batch", records: Array.from({ length: 300 }, (_, i) => ({ action: "batch", subject: `r${i}`, data: { i } })) });
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("status reports chain id, height and log size", async () => {
    const { status, body } = await get("/v1/status");
    assert.equal(status, 200);
    assert.equal(body.chainId, t.genesis.chainId);
    assert.equal(body.height, t.chain.head.height);
    assert.equal(body.logSize, 305);
    assert.equal(body.stateProofsFromHeight, 0, "a node that prunes no proofs proves every height");
  });

  it("serves blocks with their hash and 404s past the head", async () => {
    const { body } = await get("/v1/blocks/1");
    assert.match(body.hash, /^[0-9a-f]{64}$/);
    assert.equal(body.header.height, 1);
    const missing = await get(`/v1/blocks/${t.chain.head.height + 1}`);
    assert.equal(missing.status, 404);
    assert.equal((await get("/v1/blocks/abc")).status, 400);
  });

  it("checkpoint verifies and every inclusion proof verifies against it", async () => {
    const checkpoint = (await get("/v1/checkpoint")).body;
    verifyCheckpoint(checkpoint, t.genesis.validators, t.genesis.chainId);
    for (const hash of hashes) {
      const proof = (await get(`/v1/proofs/inclusion/${hash}?treeSize=${checkpoint.treeSize}`)).body;
      verifyInclusionResponse(proof, checkpoint.rootHash);
    }
    for (const recordIndex of [0, 1, 150, 299]) {
      const proof = (await get(`/v1/proofs/inclusion/${batchHash}/${recordIndex}`)).body;
      assert.equal(proof.leafIndex, 5 + recordIndex);
      verifyInclusionResponse(proof, checkpoint.rootHash);
    }
  });

  it("a checkpoint with a forged root fails verification", async () => {
    const checkpoint = (await get("/v1/checkpoint")).body;
    assert.throws(() => verifyCheckpoint({ ...checkpoint, rootHash: "00".repeat(32) }, t.genesis.validators, t.genesis.chainId), /rootHash/);
    const otherValidators = [{ ...t.genesis.validators[0]!, publicKey: generateSigningKey().publicKey }];
    assert.throws(() => verifyCheckpoint(checkpoint, otherValidators, t.genesis.chainId));
  });

  it("inclusion proofs against older tree sizes verify against those roots", async () => {
    const proof = (await get(`/v1/proofs/inclusion/${hashes[2]}?treeSize=4`)).body;
    assert.equal(proof.treeSize, 4);
    verifyInclusionResponse(proof, proof.rootHash);
  });

  it("consistency proofs between tree sizes verify", async () => {
    for (const [from, to] of [[1, 2], [2, 5], [3, 305], [5, 6], [100, 305], [305, 305]] as const) {
      const proof = (await get(`/v1/proofs/consistency?from=${from}&to=${to}`)).body;
      verifyConsistencyResponse(proof, proof.fromRoot, proof.toRoot);
    }
  });

  it("refuses out-of-range proof requests with 400", async () => {
    assert.equal((await get(`/v1/proofs/inclusion/${batchHash}/300`)).status, 400);
    assert.equal((await get(`/v1/proofs/inclusion/${hashes[4]}?treeSize=2`)).status, 400);
    assert.equal((await get(`/v1/proofs/inclusion/${hashes[1]}?treeSize=99999`)).status, 400);
    assert.equal((await get("/v1/proofs/consistency?from=0&to=3")).status, 400);
    assert.equal((await get("/v1/proofs/consistency?from=5&to=3")).status, 400);
    assert.equal((await get(`/v1/proofs/inclusion/${"ab".repeat(32)}`)).status, 404);
    assert.equal((await get("/v1/proofs/inclusion/xyz")).status, 400);
  });

  it("filters the audit log by action, sender and height, and pages with a cursor", async () => {
    const deploys = (await get("/v1/audit?action=deploy")).body;
    assert.deepEqual(deploys.entries.map((e: { subject: string }) => e.subject), ["s1", "s3"]);
    const bySender = (await get(`/v1/audit?sender=${formatAddress(buildTx(key, "x", 0, { type: "account.register" }).signedTx.tx.from)}&limit=1000`)).body;
    assert.equal(bySender.entries.length, 304);
    const nobody = (await get(`/v1/audit?sender=gm${"00".repeat(20)}`)).body;
    assert.equal(nobody.entries.length, 0);
    const firstPage = (await get("/v1/audit?action=batch&limit=100")).body;
    assert.equal(firstPage.entries.length, 100);
    const secondPage = (await get(`/v1/audit?action=batch&limit=100&cursor=${firstPage.nextCursor}`)).body;
    assert.equal(secondPage.entries[0].subject, "r100");
    const lastHeight = t.chain.head.height;
    const onlyLast = (await get(`/v1/audit?fromHeight=${lastHeight}&toHeight=${lastHeight}&limit=1000`)).body;
    assert.equal(onlyLast.entries.length, 300);
    assert.equal((await get("/v1/audit?limit=0")).status, 400);
    assert.equal((await get("/v1/audit?sender=nope")).status, 400);
    assert.equal((await get("/v1/audit?fromHeight=5&toHeight=2")).status, 400);
  });

  it("serves the OpenAPI document and Prometheus metrics", async () => {
    const openapi = (await get("/v1/openapi.json")).body;
    assert.ok(openapi.paths["/v1/checkpoint"]);
    assert.ok(openapi.paths["/v1/proofs/inclusion/{txHash}/{recordIndex}"]);
    const metrics = await t.api.inject({ method: "GET", url: "/metrics" });
    assert.match(metrics.body, /ghostmesh_/);
  });

  it("answers unknown routes with 404 and a code", async () => {
    const res = await get("/v1/nope");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "API_NOT_FOUND");
  });
});
