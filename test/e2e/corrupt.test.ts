/**
 * End to end: one changed byte in any stored object makes `ghostmesh verify` exit 1 and name
 * the object. A real node builds the store (several blocks, one of them with a batch); each
 * case corrupts its own copy of the stopped node's home through node:sqlite directly.
 * Byte positions come from a seeded generator: the seed is printed, so a failure replays.
 */
import { strict as assert } from "node:assert";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { generateSigningKey } from "../../src/crypto/index.ts";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { killAllChildren, makeTempDir, mapLimit, parseJsonOutput, removeDir, runCli, seededRandom, startNode } from "./helpers.ts";

const SEED = 0x6d657368;
/** Enough records that the log fills one whole Merkle tile (256 leaves) and starts another. */
const BATCH_RECORDS = 300;
/** Byte positions tried per object: more where a flip can land in many different fields. */
const POSITIONS: Record<string, number> = {
  "block header": 3,
  "block certificate": 1,
  transaction: 2,
  "log entry of a single transaction": 2,
  "log entry of a batch record": 3,
  "Merkle tile": 2,
  "state value": 1,
};

type VerifyJson = { ok: boolean; height?: number | null; object?: string; error?: string };
/** One stored object: its table, blob column, the WHERE clause that selects it, and what verify must name. */
type Target = { kind: string; table: string; column: string; where: string; key: (number | Uint8Array)[]; expect: RegExp[]; expectExact?: RegExp[] };
type Case = { target: Target; position: number; xor: number };

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("ghostmesh verify on a store with one changed byte", () => {
  let dir = "";
  let home = "";
  const random = seededRandom(SEED);

  before(async () => {
    dir = makeTempDir("corrupt");
    home = join(dir, "node");
    const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-corrupt"]);
    assert.equal(init.code, 0, init.stderr);
    const node = await startNode(home, ["--block-interval-ms", "20"]);
    try {
      const client = new GhostmeshClient(node.api);
      const key = generateSigningKey();
      const send = async (nonce: number, intent: Parameters<typeof buildTx>[3]) => {
        const response = await client.submitTx(buildTx(key, "e2e-corrupt", nonce, intent).bytes, { wait: true });
        assert.equal(response.status, "committed");
      };
      await send(0, { type: "account.register" });
      for (let nonce = 1; nonce <= 3; nonce++) await send(nonce, { type: "audit.append", record: { action: "deploy", subject: `svc-${nonce}`, data: { nonce } } });
      await send(4, { type: "audit.batch", records: Array.from({ length: BATCH_RECORDS }, (_, i) => ({ action: "batch", subject: `r${i}`, data: { i } })) });
      await send(5, { type: "audit.append", record: { action: "after-batch" } });
    } finally {
      const exit = await node.stop();
      assert.equal(exit.code, 0, node.output());
    }
  });

  after(() => {
    killAllChildren();
    removeDir(dir);
  });

  function copyHome(name: string): string {
    const copy = join(dir, name);
    cpSync(home, copy, { recursive: true });
    return copy;
  }

  async function verify(copy: string): Promise<{ code: number | null; json: VerifyJson; stderr: string }> {
    const result = await runCli(["verify", "--home", copy, "--json"]);
    return { code: result.code, json: parseJsonOutput<VerifyJson>(result), stderr: result.stderr };
  }

  function pick<T>(items: readonly T[]): T {
    assert.ok(items.length > 0);
    return items[Math.floor(random() * items.length)] as T;
  }

  /** Every kind of stored object, one (seeded) instance each; single-tx and batch entries apart. */
  function chooseTargets(): Target[] {
    const db = new DatabaseSync(join(home, "data", "chain.db"), { readOnly: true });
    try {
      const blocks = db.prepare("SELECT height FROM blocks ORDER BY height").all() as { height: number }[];
      const txs = db.prepare("SELECT hash, height FROM txs ORDER BY height, position").all() as { hash: Uint8Array; height: number }[];
      const singleEntries = db.prepare("SELECT e.leaf_index AS leaf FROM entries e JOIN txs t ON e.leaf_index >= t.first_leaf AND e.leaf_index < t.first_leaf + t.leaf_count WHERE t.leaf_count = 1 ORDER BY leaf").all() as { leaf: number }[];
      const batchEntries = db.prepare("SELECT e.leaf_index AS leaf, t.hash AS tx FROM entries e JOIN txs t ON e.leaf_index >= t.first_leaf AND e.leaf_index < t.first_leaf + t.leaf_count WHERE t.leaf_count > 1 ORDER BY leaf").all() as { leaf: number; tx: Uint8Array }[];
      const tiles = db.prepare("SELECT level, idx FROM log_tiles ORDER BY level, idx").all() as { level: number; idx: number }[];
      const states = db.prepare("SELECT key FROM state ORDER BY key").all() as { key: Uint8Array }[];
      // Stored certificates (schema 5): the head's, and any that differ from the justify above.
      const certificates = db.prepare("SELECT height FROM block_qcs ORDER BY height").all() as { height: number }[];
      assert.ok(blocks.length >= 5, `only ${blocks.length} blocks`);
      assert.ok(batchEntries.length === BATCH_RECORDS, `${batchEntries.length} batch entries`);
      assert.ok(tiles.length >= 2, `only ${tiles.length} Merkle tiles`);
      const block = pick(blocks).height;
      const qcBlock = pick(certificates).height;
      const tx = pick(txs);
      const single = pick(singleEntries).leaf;
      const batch = pick(batchEntries);
      const tile = pick(tiles);
      const state = pick(states).key;
      return [
        { kind: "block header", table: "blocks", column: "header", where: "height = ?", key: [block], expect: [new RegExp(`height ${block}\\b`), /block header/] },
        { kind: "block certificate", table: "block_qcs", column: "qc", where: "height = ?", key: [qcBlock], expect: [new RegExp(`height ${qcBlock}\\b`), /certificate/] },
        { kind: "transaction", table: "txs", column: "bytes", where: "hash = ?", key: [tx.hash], expect: [new RegExp(`height ${tx.height}\\b`), new RegExp(`transaction ${hexOf(tx.hash)}`)] },
        { kind: "log entry of a single transaction", table: "entries", column: "bytes", where: "leaf_index = ?", key: [single], expect: [new RegExp(`log entry ${single}\\b`)] },
        {
          kind: "log entry of a batch record",
          table: "entries",
          column: "bytes",
          where: "leaf_index = ?",
          key: [batch.leaf],
          expect: [new RegExp(`log entry ${batch.leaf}\\b`)],
          expectExact: [new RegExp(`log entry ${batch.leaf}\\b`)],
        },
        { kind: "Merkle tile", table: "log_tiles", column: "hashes", where: "level = ? AND idx = ?", key: [tile.level, tile.idx], expect: [new RegExp(`Merkle tile level ${tile.level} index ${tile.idx}\\b`)] },
        { kind: "state value", table: "state", column: "value", where: "key = ?", key: [state], expect: [new RegExp(`state key ${hexOf(state)}`)] },
      ];
    } finally {
      db.close();
    }
  }

  /** Changes one byte of the object in a fresh copy of the home; returns the copy. */
  function corrupt(testCase: Case, name: string): string {
    const { target, position, xor } = testCase;
    const copy = copyHome(name);
    const db = new DatabaseSync(join(copy, "data", "chain.db"));
    try {
      const row = db.prepare(`SELECT ${target.column} AS blob FROM ${target.table} WHERE ${target.where}`).get(...target.key) as { blob: Uint8Array } | undefined;
      assert.ok(row, `${target.kind}: row not found`);
      const bytes = new Uint8Array(row.blob);
      bytes[position] = (bytes[position] as number) ^ xor;
      const changes = db.prepare(`UPDATE ${target.table} SET ${target.column} = ? WHERE ${target.where}`).run(bytes, ...target.key).changes;
      assert.equal(changes, 1, `${target.kind}: ${changes} rows updated`);
    } finally {
      db.close();
    }
    return copy;
  }

  function blobLength(target: Target): number {
    const db = new DatabaseSync(join(home, "data", "chain.db"), { readOnly: true });
    try {
      const row = db.prepare(`SELECT length(${target.column}) AS n FROM ${target.table} WHERE ${target.where}`).get(...target.key) as { n: number };
      return row.n;
    } finally {
      db.close();
    }
  }

  it("the uncorrupted copy verifies with exit 0", async () => {
    const result = await verify(copyHome("clean"));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.json.ok, true);
  });

  it("a copy whose state tables an older ghostmesh wrote (schema 1) is migrated in place by verify, which reports it, and verifies", async () => {
    const copy = copyHome("schema1");
    const db = new DatabaseSync(join(copy, "data", "chain.db"));
    try {
      // Back to schema 1: nodes keyed (path, version), internal nodes without their children's versions.
      db.exec("CREATE TABLE state_nodes_schema1 (path BLOB NOT NULL, version INTEGER NOT NULL, node BLOB NOT NULL, PRIMARY KEY (path, version)) WITHOUT ROWID");
      db.exec("INSERT INTO state_nodes_schema1 SELECT path, version, CASE WHEN length(node) = 81 THEN substr(node, 1, 65) ELSE node END FROM state_nodes");
      db.exec("DROP TABLE state_nodes; ALTER TABLE state_nodes_schema1 RENAME TO state_nodes; ALTER TABLE state_versions DROP COLUMN root_version; ALTER TABLE state_schema DROP COLUMN proofs_pruned_before; UPDATE state_schema SET schema_version = 1");
    } finally {
      db.close();
    }
    const result = await verify(copy);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.json.ok, true);
    assert.match(result.stderr, /migrating the state tables from schema 1 in place \(once, after an upgrade\): 0\/\d+ rows/);
    assert.match(result.stderr, /migrated the state tables from schema 1: \d+ rows/);
  });

  /** What verify said about each case; the strict-naming test below reads it too. */
  const outcomes: { label: string; target: Target; code: number | null; message: string }[] = [];

  it("each changed byte in a header, certificate, transaction, log entry, Merkle tile or state value exits 1 naming the object", async (t) => {
    t.diagnostic(`seed ${SEED}`);
    const cases: Case[] = chooseTargets().flatMap((target) => {
      const length = blobLength(target);
      return Array.from({ length: POSITIONS[target.kind] ?? 1 }, () => ({ target, position: Math.floor(random() * length), xor: 1 + Math.floor(random() * 255) }));
    });
    const failures: string[] = [];
    await mapLimit(cases, 2, async (testCase, i) => {
      const { target, position, xor } = testCase;
      const label = `${target.kind} (${target.table}.${target.column} ${target.key.map((k) => (typeof k === "number" ? k : hexOf(k))).join("/")}) byte ${position} ^ 0x${xor.toString(16)}`;
      const result = await verify(corrupt(testCase, `case-${i}`));
      const message = `${result.json.error ?? ""}`;
      outcomes.push({ label, target, code: result.code, message });
      t.diagnostic(`${label} → exit ${result.code}: ${message.slice(0, 160)}`);
      if (result.code !== 1 || result.json.ok !== false) failures.push(`${label}: exit ${result.code}, ${JSON.stringify(result.json)}`);
      else if (!target.expect.every((re) => re.test(message))) failures.push(`${label}: message does not name it (${target.expect.join(", ")}): ${message}`);
      else if (!result.stderr.includes(message)) failures.push(`${label}: stderr lacks the message: ${result.stderr}`);
    });
    assert.equal(outcomes.length, cases.length);
    assert.deepEqual(failures, [], `seed ${SEED}`);
  });

  it("a changed byte in a batch record's log entry is named as that log entry", () => {
    const batchCases = outcomes.filter((o) => o.target.expectExact !== undefined);
    assert.ok(batchCases.length > 0, "no batch entry cases ran");
    for (const outcome of batchCases) {
      assert.equal(outcome.code, 1, outcome.label);
      for (const re of outcome.target.expectExact ?? []) assert.match(outcome.message, re, outcome.label);
    }
  });
});
