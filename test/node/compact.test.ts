/**
 * `ghostmesh compact` (src/node/compact.ts): a store whose state proofs were pruned shrinks to
 * its data, keeps every block, value and proof it still had, refuses while another connection
 * has it open (changing nothing), and refuses when the disks lack room for VACUUM's two copies.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { balanceKey } from "../../src/app/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { addressFromPublicKey, generateSigningKey } from "../../src/crypto/index.ts";
import { checkDiskSpace, compactStore, measureStore, type DiskSpace, type StoreSpace } from "../../src/node/compact.ts";
import { registerStoreMetrics } from "../../src/node/metrics.ts";
import { verifyStore } from "../../src/node/verify.ts";
import { isGhostmeshError, toHex } from "../../src/util/index.ts";
import { cli, json } from "../helpers/cliInProcess.ts";
import { makeGenesis, openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

const TRANSFERS = 24;
const receiver = (i: number) => new Uint8Array(20).fill(i + 1);

describe("ghostmesh compact", () => {
  const home = mkdtempSync(join(tmpdir(), "gm-compact-"));
  const dbPath = join(home, "data", "chain.db");
  let t: TestChain;
  let head = 0;
  let stateRoot = "";
  /** Each receiver's balance at the head, and the head's proof of the last one, before compacting. */
  const balances: (string | null)[] = [];
  let headProof = "";

  const headOf = (chain: TestChain["chain"]) => ({ height: chain.head.height, hash: toHex(chain.head.hash), logSize: chain.head.logSize, logRoot: toHex(chain.head.logRoot) });

  before(async () => {
    mkdirSync(join(home, "data"));
    const key = generateSigningKey();
    const genesis = { ...makeGenesis(key), allocations: [{ address: addressFromPublicKey(key.alg, key.publicKey), amount: "1000000" }] };
    t = openTestChain({ dir: join(home, "data"), key, genesis });
    t.producer.start();
    let nonce = 0;
    const send = async (tx: Parameters<typeof buildTx>[3]) => {
      const built = buildTx(key, genesis.chainId, nonce++, tx);
      const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
      assert.equal(res.statusCode, 200, res.body);
    };
    await send({ type: "account.register" });
    // A new receiver a block: each block changes two balance leaves and their paths.
    for (let i = 0; i < TRANSFERS; i++) await send({ type: "token.transfer", to: receiver(i), amount: BigInt(i + 1) });
    await t.producer.stop();
    head = t.chain.head.height;
    stateRoot = toHex(t.chain.state.root(head));
    for (let i = 0; i < TRANSFERS; i++) {
      const value = t.chain.state.get(balanceKey(receiver(i)), head);
      balances.push(value === null ? null : toHex(value));
    }
    headProof = JSON.stringify(t.chain.state.prove(balanceKey(receiver(TRANSFERS - 1)), head), (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
    const pruned = t.chain.state.pruneProofsBefore(head);
    assert.ok(pruned.nodesDeleted > 0, "pruning freed tree nodes");
  });

  after(async () => {
    await t.close();
    removeDir(home);
  });

  it("--dry-run reports the free pages beside an open store and changes nothing", async () => {
    const sizeBefore = statSync(dbPath).size;
    const space = json<StoreSpace>(await cli("compact", "--home", home, "--dry-run", "--json"));
    assert.equal(space.path, dbPath);
    assert.ok(space.pagesFree > 0, `free pages after pruning (${space.pagesFree})`);
    assert.equal(space.bytesInUse, (space.pagesTotal - space.pagesFree) * space.pageBytes);
    const text = await cli("compact", "--home", home, "--dry-run");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /of data: compacting gives back at least the .* of free pages/);
    assert.equal(statSync(dbPath).size, sizeBefore);
    // The node's /metrics reads the same from its own connection.
    const register = new Registry();
    registerStoreMetrics(register, t.store);
    const exposition = await register.metrics();
    assert.match(exposition, new RegExp(`^ghostmesh_store_free_page_bytes ${space.pagesFree * space.pageBytes}$`, "m"));
    assert.match(exposition, new RegExp(`^ghostmesh_store_file_bytes ${space.fileBytes + space.walBytes}$`, "m"));
  });

  it("refuses while another connection has the store open, naming what to do, and the store goes on working", async () => {
    const sizeBefore = statSync(dbPath).size;
    const pagesFreeBefore = measureStore(dbPath).pagesFree;
    assert.throws(
      () => compactStore(dbPath),
      (err: unknown) => isGhostmeshError(err) && err.code === "NODE_COMPACT_STORE_IN_USE" && /stop the node/.test(err.message),
    );
    const refused = await cli("compact", "--home", home);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is in use .*stop the node/);
    assert.equal(statSync(dbPath).size, sizeBefore);
    assert.equal(measureStore(dbPath).pagesFree, pagesFreeBefore);
    assert.equal(t.chain.head.height, head);
    assert.equal(toHex(t.chain.state.root(head)), stateRoot);
  });

  it("once the store is closed, shrinks it to its data, and every block, value and kept proof is as before", async () => {
    const headBefore = headOf(t.chain);
    await t.close();
    const before = measureStore(dbPath);
    const result = await cli("compact", "--home", home, "--json");
    const compacted = json<StoreSpace & { fileBytesAfter: number; durationMs: number }>(result);
    assert.match(result.stderr, /^compacting .*chain\.db: /);
    assert.equal(compacted.pagesFree, before.pagesFree);
    assert.ok(compacted.fileBytesAfter < compacted.fileBytes + compacted.walBytes, `${compacted.fileBytesAfter} < ${compacted.fileBytes + compacted.walBytes}`);
    assert.ok(compacted.fileBytesAfter <= compacted.bytesInUse, "the file holds its data and nothing more");
    assert.equal(measureStore(dbPath).pagesFree, 0);

    t = openTestChain({ dir: join(home, "data"), key: t.validatorKey, genesis: t.genesis });
    assert.deepEqual(headOf(t.chain), headBefore);
    assert.equal(toHex(t.chain.state.root(head)), stateRoot);
    for (let i = 0; i < TRANSFERS; i++) {
      const value = t.chain.state.get(balanceKey(receiver(i)), head);
      assert.equal(value === null ? null : toHex(value), balances[i], `receiver ${i}`);
    }
    assert.equal(JSON.stringify(t.chain.state.prove(balanceKey(receiver(TRANSFERS - 1)), head), (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v)), headProof);
    const report = await verifyStore(t.store, t.genesis);
    assert.equal(report.height, head);
  });

  it("refuses a home without a store and bad flags, with the usual exit codes", async () => {
    const empty = mkdtempSync(join(tmpdir(), "gm-compact-empty-"));
    try {
      const missing = await cli("compact", "--home", empty);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /chain\.db not found: this node has not stored any block yet/);
      const nowhere = join(empty, "chain.db");
      assert.throws(() => compactStore(nowhere), (err: unknown) => isGhostmeshError(err) && err.code === "NODE_COMPACT_NO_STORE");
      assert.throws(() => measureStore(nowhere), (err: unknown) => isGhostmeshError(err) && err.code === "NODE_COMPACT_NO_STORE");
      assert.equal(existsSync(nowhere), false, "no empty database was created");
      assert.equal((await cli("compact")).code, 2);
      assert.equal((await cli("compact", "--home", home, "--bogus")).code, 2);
      const help = await cli("compact", "--help");
      assert.equal(help.code, 0);
      assert.match(help.stdout, /ghostmesh compact --home DIR \[--dry-run\] \[--json\]/);
    } finally {
      removeDir(empty);
    }
  });
});

describe("compact's disk space check", () => {
  const space: StoreSpace = { path: "/data/home/data/chain.db", fileBytes: 3_000, walBytes: 0, pageBytes: 1_000, pagesTotal: 3, pagesFree: 1, bytesInUse: 2_000 };
  const disks = (free: Record<string, { freeBytes: number; device: number }>, tempDir: string): DiskSpace => ({
    free: (dir) => free[dir] ?? assert.fail(`asked for the free space of ${dir}`),
    sqliteTempDir: () => tempDir,
  });

  it("counts both copies on one disk when the temporary directory shares the store's", () => {
    const one = (freeBytes: number) => disks({ "/data/home/data": { freeBytes, device: 1 }, "/tmp": { freeBytes, device: 1 } }, "/tmp");
    assert.doesNotThrow(() => checkDiskSpace(space, one(4_000)));
    assert.throws(
      () => checkDiskSpace(space, one(3_999)),
      (err: unknown) =>
        isGhostmeshError(err) &&
        err.code === "NODE_COMPACT_DISK_SPACE" &&
        err.meta.neededBytes === 4_000 &&
        /needs 3\.9 KiB free on the disk of \/data\/home\/data and \/tmp for the rewrite .* and the temporary copy in \/tmp; it has 3\.9 KiB\. .*SQLITE_TMPDIR/.test(err.message),
    );
  });

  it("checks each disk for its own copy when they differ, and names the one short of room", () => {
    const two = (dataFree: number, tempFree: number) => disks({ "/data/home/data": { freeBytes: dataFree, device: 1 }, "/scratch": { freeBytes: tempFree, device: 2 } }, "/scratch");
    assert.doesNotThrow(() => checkDiskSpace(space, two(2_000, 2_000)));
    assert.throws(() => checkDiskSpace(space, two(2_000, 1_999)), (err: unknown) => isGhostmeshError(err) && /needs 2\.0 KiB free on the disk of \/scratch for the temporary copy in \/scratch; it has/.test(err.message));
    assert.throws(() => checkDiskSpace(space, two(1_999, 2_000)), (err: unknown) => isGhostmeshError(err) && /needs 2\.0 KiB free on the disk of \/data\/home\/data for the rewrite through the write-ahead log beside the store; it has/.test(err.message));
  });
});
