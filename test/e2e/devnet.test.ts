/**
 * End to end: `ghostmesh devnet` as a user runs it, then `tx send`, then every proof the node
 * serves checked by an RFC 6962 verifier written from the RFC (test/e2e/rfc6962.ts), not by
 * the node's own merkle code.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { hashTagged, loadKeyFile, verify, addressFromPublicKey, formatAddress } from "../../src/crypto/index.ts";
import { decodeWith } from "../../src/codec/index.ts";
import { blockHeaderSchema, hashBlockHeader, verifyQuorumCertificate, voteMessage, type QuorumCertificate } from "../../src/ledger/index.ts";
import { genesisFromJson } from "../../src/node/home.ts";
import { buildTx, GhostmeshClient, type CheckpointResponse, type InclusionProofResponse, type ConsistencyProofResponse } from "../../src/client/index.ts";
import { cleanEnv, freePort, isAlive, killAllChildren, MAIN_SCRIPT, makeTempDir, mapLimit, parseJsonOutput, removeDir, REPO_ROOT, runCli, waitFor } from "./helpers.ts";
import { rfcLeafHash, rfcTreeHead, rfcVerifyConsistency, rfcVerifyInclusion } from "./rfc6962.ts";

type DevnetFile = { chainId: string; clientKey: string; nodes: { name: string; home: string; api: string; p2p: string | null; pid: number }[] };
type Block = { height: number; hash: string; header: { logSize: number; logRoot: string } };

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const b64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));
const toHexText = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const BATCH_RECORDS = 20;

const TESTDATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "conformance", "rfc6962", "testdata");

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? jsonFiles(join(dir, name)) : name.endsWith(".json") ? [join(dir, name)] : []));
}

describe("the independent RFC 6962 verifier", () => {
  it("accepts every valid conformance vector and rejects every wantErr one", (t) => {
    if (!existsSync(TESTDATA_DIR)) return t.skip(`no conformance vectors at ${TESTDATA_DIR}`);
    let checked = 0;
    for (const file of jsonFiles(join(TESTDATA_DIR, "inclusion"))) {
      const v = JSON.parse(readFileSync(file, "utf8")) as { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean };
      const ok = rfcVerifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
      assert.equal(ok, !v.wantErr, file);
      checked += 1;
    }
    for (const file of jsonFiles(join(TESTDATA_DIR, "consistency"))) {
      const v = JSON.parse(readFileSync(file, "utf8")) as { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean };
      const ok = rfcVerifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
      assert.equal(ok, !v.wantErr, file);
      checked += 1;
    }
    assert.ok(checked > 50, `only ${checked} vectors found`);
  });
});

describe("ghostmesh devnet --validators 1", () => {
  let dir = "";
  let basePort = 0;
  let devnet: ChildProcess | undefined;
  let devnetExit: Promise<number | null>;
  let devnetStderr = "";
  let info: DevnetFile;
  let client: GhostmeshClient;
  let sentHash = "";
  let sentHeight = 0;
  let batchHash = "";

  before(async () => {
    dir = makeTempDir("devnet");
    basePort = await freePort();
    devnet = spawn(process.execPath, [MAIN_SCRIPT, "devnet", "--validators", "1", "--dir", dir, "--base-port", String(basePort)], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    devnet.stderr?.setEncoding("utf8").on("data", (chunk: string) => (devnetStderr += chunk));
    devnet.stdout?.resume();
    devnetExit = new Promise((r) => devnet?.once("exit", (code) => r(code)));
    const devnetPath = join(dir, "devnet.json");
    info = await waitFor(
      "devnet.json",
      () => {
        if (devnet?.exitCode !== null) throw new Error(`devnet exited early: ${devnetStderr}`);
        return existsSync(devnetPath) ? (JSON.parse(readFileSync(devnetPath, "utf8")) as DevnetFile) : undefined;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\ndevnet stderr:\n${devnetStderr}`);
    });
  });

  after(() => {
    devnet?.kill("SIGKILL");
    const pid = info?.nodes[0]?.pid;
    if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGKILL");
    killAllChildren();
    removeDir(dir);
  });

  it("writes devnet.json with chainId, clientKey and nodes [{name, home, api, p2p, pid}] once the node serves", async () => {
    assert.equal(typeof info.chainId, "string");
    assert.ok(info.chainId.length > 0);
    assert.ok(existsSync(info.clientKey), `clientKey ${info.clientKey} does not exist`);
    assert.equal(info.nodes.length, 1);
    const node = info.nodes[0]!;
    assert.deepEqual(Object.keys(node).sort(), ["api", "home", "name", "p2p", "pid"]);
    assert.equal(typeof node.name, "string");
    assert.ok(existsSync(join(node.home, "genesis.json")), "node home has no genesis.json");
    const match = /^http:\/\/127\.0\.0\.1:(\d+)$/.exec(node.api);
    assert.ok(match, `api is not a base URL: ${node.api}`);
    assert.ok(Number(match[1]) >= basePort, `api port ${match[1]} is below --base-port ${basePort}`);
    assert.ok(node.p2p === null || typeof node.p2p === "string");
    assert.ok(Number.isInteger(node.pid) && isAlive(node.pid), `node pid ${node.pid} is not running`);
    // Written only once the node serves: the API must answer right away.
    client = new GhostmeshClient(node.api);
    const status = await client.status();
    assert.equal(status.chainId, info.chainId);
  });

  it("tx send --wait --json prints exactly one JSON document with the hash and commit height", async () => {
    const result = await runCli(["tx", "send", "--node", info.nodes[0]!.api, "--key", info.clientKey, "--type", "audit.append", "--data", '{"action":"deploy","subject":"api"}', "--wait", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const doc = parseJsonOutput<{ hash: string; height: number }>(result);
    assert.match(doc.hash, /^[0-9a-f]{64}$/);
    assert.ok(Number.isInteger(doc.height) && doc.height >= 1, `height ${doc.height}`);
    sentHash = doc.hash;
    sentHeight = doc.height;
    const tx = await client.tx(sentHash);
    assert.equal(tx.status, "committed");
    assert.equal(tx.height, sentHeight);
  });

  it("the checkpoint's header hashes to blockHash and its certificate signatures verify against genesis validators", async () => {
    const checkpoint = await client.checkpoint();
    const genesis = genesisFromJson(readFileSync(join(info.nodes[0]!.home, "genesis.json"), "utf8"), "genesis.json");
    const headerBytes = hex(checkpoint.header);
    // Twice: over the raw bytes the node serves, and over the decoded header re-encoded.
    assert.equal(toHexText(hashTagged("ghostmesh/v1/block", headerBytes)), checkpoint.blockHash);
    const header = decodeWith(blockHeaderSchema, headerBytes, "checkpoint.header");
    assert.equal(toHexText(hashBlockHeader(header)), checkpoint.blockHash);
    assert.equal(header.chainId, genesis.chainId);
    assert.equal(header.height, checkpoint.height);
    assert.equal(header.logSize, checkpoint.treeSize);
    assert.equal(toHexText(header.logRoot), checkpoint.rootHash);
    assert.ok(checkpoint.height >= sentHeight);

    const qc = certificateOf(checkpoint);
    assert.equal(toHexText(qc.blockHash), checkpoint.blockHash);
    assert.equal(qc.height, header.height);
    verifyQuorumCertificate(qc, genesis.validators, genesis.chainId);
    // The listed signatures, each checked against the genesis key of the validator it names.
    assert.equal(checkpoint.signatures.length, genesis.validators.length);
    const message = voteMessage(genesis.chainId, header.view, header.height, hex(checkpoint.blockHash));
    for (const entry of checkpoint.signatures) {
      const validator = genesis.validators.find((v) => formatAddress(v.address) === entry.validator);
      assert.ok(validator, `signature by unknown validator ${entry.validator}`);
      assert.ok(verify(validator.alg, validator.publicKey, message, hex(entry.signature)), `signature of ${entry.validator} does not verify`);
    }
    // Control: one flipped bit in a signature is rejected, so the check above can fail.
    const broken = qc.signatures[0]!.slice();
    broken[5]! ^= 0x01;
    assert.throws(() => verifyQuorumCertificate({ ...qc, signatures: [broken] }, genesis.validators, genesis.chainId));
  });

  it("the inclusion proof of the sent transaction verifies against the checkpoint with an independent RFC 6962 verifier", async () => {
    const checkpoint = await client.checkpoint();
    const proof = (await getOk<InclusionProofResponse>(`${client.baseUrl}/v1/proofs/inclusion/${sentHash}?treeSize=${checkpoint.treeSize}`)).body;
    assert.equal(proof.treeSize, checkpoint.treeSize);
    assert.equal(proof.rootHash, checkpoint.rootHash);
    const entry = b64(proof.entry);
    assert.ok(Buffer.from(entry).includes(Buffer.from(hex(sentHash))), "the proven entry does not name the transaction");
    const path = proof.auditPath.map(hex);
    assert.ok(rfcVerifyInclusion(proof.leafIndex, proof.treeSize, rfcLeafHash(entry), path, hex(checkpoint.rootHash)));
    // Controls: another leaf index or a changed entry byte does not verify.
    const changed = entry.slice();
    changed[changed.length - 1]! ^= 0x01;
    assert.equal(rfcVerifyInclusion(proof.leafIndex, proof.treeSize, rfcLeafHash(changed), path, hex(checkpoint.rootHash)), false);
    if (proof.treeSize > 1) {
      assert.equal(rfcVerifyInclusion(proof.leafIndex ^ 1, proof.treeSize, rfcLeafHash(entry), path, hex(checkpoint.rootHash)), false);
    }
  });

  it("after several blocks and a batch, every block's logRoot equals the independently computed tree head over all entries", async () => {
    const key = loadKeyFile(info.clientKey);
    const address = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
    const chainId = info.chainId;
    const send = async (intent: Parameters<typeof buildTx>[3]) => {
      const nonce = (await client.account(address)).nextNonce;
      const built = buildTx(key, chainId, nonce, intent);
      const response = await client.submitTx(built.bytes, { wait: true });
      assert.equal(response.status, "committed");
      return response.hash;
    };
    for (let i = 0; i < 4; i++) await send({ type: "audit.append", record: { action: `step-${i}`, subject: "e2e", data: { i } } });
    batchHash = await send({ type: "audit.batch", records: Array.from({ length: BATCH_RECORDS }, (_, i) => ({ action: "batch", subject: `r${i}`, data: { i } })) });
    await send({ type: "audit.append", record: { action: "after-batch" } });

    const entries = await allEntries(client);
    const status = await client.status();
    assert.equal(entries.length, status.logSize);
    const blocks = await mapLimit(
      Array.from({ length: status.height }, (_, i) => i + 1),
      4,
      async (height) => (await getOk<Block>(`${client.baseUrl}/v1/blocks/${height}`)).body,
    );
    assert.ok(blocks.length >= 5, `only ${blocks.length} blocks`);
    for (const block of blocks) {
      assert.equal(block.header.logRoot, toHexText(rfcTreeHead(entries.slice(0, block.header.logSize))), `block ${block.height} logRoot`);
    }
  });

  it("consistency proofs between every pair of tree sizes verify with the independent verifier", async () => {
    const entries = await allEntries(client);
    const n = entries.length;
    assert.ok(n > BATCH_RECORDS + 5, `log has only ${n} entries`);
    const heads = Array.from({ length: n + 1 }, (_, size) => rfcTreeHead(entries.slice(0, size)));
    const pairs: [number, number][] = [];
    for (let from = 1; from <= n; from++) for (let to = from; to <= n; to++) pairs.push([from, to]);
    await mapLimit(pairs, 8, async ([from, to]) => {
      const proof = (await getOk<ConsistencyProofResponse>(`${client.baseUrl}/v1/proofs/consistency?from=${from}&to=${to}`)).body;
      assert.equal(proof.fromRoot, toHexText(heads[from]!), `root of size ${from}`);
      assert.equal(proof.toRoot, toHexText(heads[to]!), `root of size ${to}`);
      const path = proof.proof.map(hex);
      assert.ok(rfcVerifyConsistency(from, to, heads[from]!, heads[to]!, path), `consistency ${from} → ${to} does not verify`);
      if (from < to && path.length > 0) {
        const changed = path.map((h) => h.slice());
        changed[0]![0]! ^= 0x80;
        assert.equal(rfcVerifyConsistency(from, to, heads[from]!, heads[to]!, changed), false, `tampered consistency ${from} → ${to} verified`);
      }
    });
    // The newest tree head is the one the validators signed.
    const checkpoint = await client.checkpoint();
    assert.equal(toHexText(heads[checkpoint.treeSize]!), checkpoint.rootHash);
  });

  it("every record of a batch has an inclusion proof that verifies against the checkpoint", async () => {
    assert.ok(batchHash, "the batch was not sent");
    const checkpoint = await client.checkpoint();
    const root = hex(checkpoint.rootHash);
    const leafIndexes = await mapLimit(
      Array.from({ length: BATCH_RECORDS }, (_, i) => i),
      4,
      async (recordIndex) => {
        const proof = (await getOk<InclusionProofResponse>(`${client.baseUrl}/v1/proofs/inclusion/${batchHash}/${recordIndex}?treeSize=${checkpoint.treeSize}`)).body;
        const entry = b64(proof.entry);
        assert.ok(Buffer.from(entry).includes(Buffer.from(`r${recordIndex}`)), `entry of record ${recordIndex} does not hold its subject`);
        assert.ok(rfcVerifyInclusion(proof.leafIndex, proof.treeSize, rfcLeafHash(entry), proof.auditPath.map(hex), root), `record ${recordIndex} does not verify`);
        return proof.leafIndex;
      },
    );
    assert.deepEqual(leafIndexes, leafIndexes.map((_, i) => leafIndexes[0]! + i), "batch records are not consecutive leaves");
    const outOfRange = await fetch(`${client.baseUrl}/v1/proofs/inclusion/${batchHash}/${BATCH_RECORDS}`);
    assert.equal(outOfRange.status, 400);
  });

  it("devnet --validators 0 exits 2 with a message naming --validators", async () => {
    const other = makeTempDir("devnet0");
    try {
      const result = await runCli(["devnet", "--validators", "0", "--dir", other, "--base-port", String(await freePort())]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--validators/);
      assert.equal(existsSync(join(other, "devnet.json")), false);
    } finally {
      removeDir(other);
    }
  });

  it("a node that fails to start makes the devnet exit with the node's own reason", async () => {
    const other = makeTempDir("devnet-broken");
    try {
      const home = join(other, "node0");
      const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-broken"]);
      assert.equal(init.code, 0, init.stderr);
      mkdirSync(join(home, "data"), { recursive: true });
      writeFileSync(join(home, "data", "chain.db"), "not a database, but long enough to be read as one: ".repeat(200));
      const result = await runCli(["devnet", "--validators", "1", "--dir", other, "--base-port", String(await freePort())]);
      assert.notEqual(result.code, 0, result.stderr);
      assert.match(result.stderr, /the node exited with code 1 before serving: .*cannot open chain database/);
      assert.equal(existsSync(join(other, "devnet.json")), false);
    } finally {
      removeDir(other);
    }
  });

  it("SIGINT to the devnet process stops the node and the devnet exits 0", async () => {
    const pid = info.nodes[0]!.pid;
    assert.ok(isAlive(pid));
    devnet?.kill("SIGINT");
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([devnetExit, new Promise<string>((r) => (timer = setTimeout(() => r("timeout"), 15_000)))]);
    clearTimeout(timer);
    assert.equal(code, 0, `devnet exit: ${code}; stderr:\n${devnetStderr}`);
    await waitFor("the node process to exit", () => (isAlive(pid) ? undefined : true), 10_000);
    await assert.rejects(fetch(`${info.nodes[0]!.api}/v1/status`));
  });
});

function certificateOf(checkpoint: CheckpointResponse): QuorumCertificate {
  const c = checkpoint.certificate;
  return { view: c.view, height: c.height, blockHash: hex(c.blockHash), signers: hex(c.signers), signatures: c.signatures.map(hex) };
}

async function getOk<T>(url: string): Promise<{ body: T }> {
  const response = await fetch(url);
  const body = (await response.json()) as T;
  assert.equal(response.status, 200, `${url}: ${JSON.stringify(body)}`);
  return { body };
}

/**
 * Every log entry's exact bytes, in leaf order, from the inclusion proofs the node serves.
 * Walks blocks → transactions → records, so registrations (not audit records) are included.
 */
async function allEntries(client: GhostmeshClient): Promise<Uint8Array[]> {
  const status = await client.status();
  const blocks = await mapLimit(
    Array.from({ length: status.height }, (_, i) => i + 1),
    4,
    async (height) => (await getOk<{ txHashes: string[] }>(`${client.baseUrl}/v1/blocks/${height}`)).body,
  );
  const leaves: { txHash: string; recordIndex: number; leafIndex: number }[] = [];
  for (const block of blocks) {
    for (const txHash of block.txHashes) {
      const tx = await client.tx(txHash);
      assert.equal(tx.firstLeaf, leaves.length, `transaction ${txHash} does not start at the next leaf`);
      for (let recordIndex = 0; recordIndex < (tx.leafCount ?? 0); recordIndex++) leaves.push({ txHash, recordIndex, leafIndex: leaves.length });
    }
  }
  assert.equal(leaves.length, status.logSize, "transactions do not cover the whole log");
  return mapLimit(leaves, 8, async (leaf) => {
    const proof = (await getOk<InclusionProofResponse>(`${client.baseUrl}/v1/proofs/inclusion/${leaf.txHash}/${leaf.recordIndex}`)).body;
    assert.equal(proof.leafIndex, leaf.leafIndex);
    return b64(proof.entry);
  });
}
