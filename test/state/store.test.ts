import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { createMemorySmt } from "../../src/merkle/index.ts";
import { STATE_KEY_SIZE_BYTES_MAX, openStateStore, stateEmptyRoot, verifyStateProof } from "../../src/state/index.ts";
import type { StateStore, StateWrite } from "../../src/state/index.ts";
import { isGhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

const put = (name: string, value: string): StateWrite => ({ key: utf8(name), value: utf8(value) });
const del = (name: string): StateWrite => ({ key: utf8(name), value: null });

function openMemory(): { db: DatabaseSync; store: StateStore } {
  const db = new DatabaseSync(":memory:");
  return { db, store: openStateStore(db) };
}

/** prepare + apply in the caller's own transaction, as the node commits a block. */
function commit(db: DatabaseSync, store: StateStore, version: number, writes: readonly StateWrite[]): Uint8Array {
  const prepared = store.prepare(version, writes);
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared);
  db.exec("COMMIT");
  return prepared.root;
}

function rowCount(db: DatabaseSync, table: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

const hasCode = (code: string) => (err: unknown) => isGhostmeshError(err) && err.code === code;
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString("utf8"));

test("a fresh store has no version, the empty root, and proves any key absent", () => {
  const { store } = openMemory();
  assert.equal(store.latestVersion, null);
  assert.equal(store.prunedBefore, 0);
  assert.equal(toHex(store.root()), toHex(stateEmptyRoot()));
  assert.equal(store.get(utf8("anything")), null);
  const proven = store.prove(utf8("anything"));
  assert.equal(proven.version, null);
  assert.ok(verifyStateProof(proven.root, utf8("anything"), null, proven.proof));
});

test("prepare writes nothing; apply inside the caller's transaction commits the version with it", () => {
  const { db, store } = openMemory();
  const writes = [put("alice", "10"), put("bob", "20"), put("carol", "30")];
  const prepared = store.prepare(1, writes);
  assert.equal(store.latestVersion, null, "prepare is pure");
  assert.equal(rowCount(db, "state_nodes"), 0);
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared);
  db.exec("COMMIT");
  const reference = createMemorySmt();
  reference.update(writes);
  assert.equal(toHex(store.root()), toHex(reference.root), "same root as the in-memory tree");
  assert.equal(toHex(prepared.root), toHex(reference.root));
  assert.deepEqual([store.latestVersion, prepared.keysChanged, text(store.get(utf8("bob")))], [1, 3, "20"]);
  assert.equal(rowCount(db, "state_nodes"), reference.nodeCount);
});

test("apply inside a transaction that is rolled back changes nothing, and the same update applies afterwards", () => {
  const { db, store } = openMemory();
  commit(db, store, 1, [put("a", "1"), put("b", "2")]);
  const rootBefore = toHex(store.root());
  const counts = () => ["state_nodes", "state_values", "state_versions"].map((table) => rowCount(db, table));
  const countsBefore = counts();
  const prepared = store.prepare(2, [put("a", "changed"), del("b"), put("c", "3")]);
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared);
  assert.equal(store.latestVersion, 2, "visible inside the transaction");
  db.exec("ROLLBACK");
  assert.deepEqual([store.latestVersion, toHex(store.root()), text(store.get(utf8("a"))), text(store.get(utf8("b")))], [1, rootBefore, "1", "2"]);
  assert.deepEqual(counts(), countsBefore);
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared);
  db.exec("COMMIT");
  assert.deepEqual([store.latestVersion, text(store.get(utf8("a"))), store.get(utf8("b"))], [2, "changed", null]);
});

test("apply with callerTransactionIsAtomic writes inside the caller's transaction, and is refused outside one", () => {
  const { db, store } = openMemory();
  commit(db, store, 1, [put("a", "1")]);
  const counts = () => ["state_nodes", "state_values", "state_versions"].map((table) => rowCount(db, table));
  const countsBefore = counts();
  const prepared = store.prepare(2, [put("a", "2"), put("b", "3")]);
  assert.throws(() => store.apply(prepared, { callerTransactionIsAtomic: true }), /inside the caller's open transaction/);
  assert.deepEqual([store.latestVersion, counts()], [1, countsBefore], "refused before any write");
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared, { callerTransactionIsAtomic: true });
  assert.equal(store.latestVersion, 2, "visible inside the transaction");
  db.exec("ROLLBACK");
  assert.deepEqual([store.latestVersion, counts(), text(store.get(utf8("a")))], [1, countsBefore, "1"]);
  db.exec("BEGIN IMMEDIATE");
  store.apply(prepared, { callerTransactionIsAtomic: true });
  db.exec("COMMIT");
  assert.deepEqual([store.latestVersion, text(store.get(utf8("a"))), text(store.get(utf8("b")))], [2, "2", "3"]);
});

test("reopening the database resumes at the latest version with every version readable", () => {
  const directory = mkdtempSync(join(tmpdir(), "ghostmesh-state-test-"));
  try {
    const path = join(directory, "chain.db");
    let db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    let store = openStateStore(db);
    const root1 = commit(db, store, 1, [put("x", "1"), put("y", "2")]);
    const root2 = commit(db, store, 2, [put("x", "3"), put("z", "4")]);
    db.close();
    db = new DatabaseSync(path);
    store = openStateStore(db);
    assert.deepEqual([store.latestVersion, toHex(store.root()), toHex(store.root(1))], [2, toHex(root2), toHex(root1)]);
    assert.deepEqual([text(store.get(utf8("x"))), text(store.get(utf8("x"), 1))], ["3", "1"]);
    const root3 = commit(db, store, 3, [del("y")]);
    const proven = store.prove(utf8("y"));
    assert.ok(verifyStateProof(root3, utf8("y"), null, proven.proof));
    db.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("historic versions stay readable and provable, and a height between versions reads the version below it", () => {
  const { db, store } = openMemory();
  const names = Array.from({ length: 30 }, (_, i) => `key-${i}`);
  const history: { version: number; model: Map<string, string> }[] = [];
  const model = new Map<string, string>();
  for (let round = 1; round <= 5; round++) {
    const writes = names.filter((_, i) => (i + round) % 3 !== 0).map((name, i) => ((i + round) % 4 === 0 ? del(name) : put(name, `${name}@${round}`)));
    for (const w of writes) {
      const name = Buffer.from(w.key).toString("utf8");
      if (w.value === null) model.delete(name);
      else model.set(name, text(w.value) as string);
    }
    commit(db, store, round * 10, writes);
    history.push({ version: round * 10, model: new Map(model) });
  }
  for (const { version, model: expected } of history) {
    for (const at of [version, version + 5].filter((height) => height <= 50)) {
      const root = store.root(at);
      for (const name of [...names, "never-written"]) {
        const value = store.get(utf8(name), at);
        assert.equal(text(value), expected.get(name) ?? null, `${name} at ${at}`);
        const proven = store.prove(utf8(name), at);
        assert.equal(text(proven.value), expected.get(name) ?? null);
        assert.ok(verifyStateProof(root, utf8(name), proven.value, proven.proof), `proof of ${name} at ${at}`);
      }
    }
  }
  assert.equal(toHex(store.root(5)), toHex(stateEmptyRoot()), "below the first version the state is empty");
});

test("an update prepared on a base that has since moved is refused with STATE_STALE_BASE", () => {
  const { db, store } = openMemory();
  const first = store.prepare(1, [put("a", "1")]);
  const rival = store.prepare(1, [put("a", "2")]);
  db.exec("BEGIN IMMEDIATE");
  store.apply(first);
  db.exec("COMMIT");
  assert.throws(() => store.apply(rival), hasCode("STATE_STALE_BASE"));
  assert.throws(() => store.apply(first), hasCode("STATE_STALE_BASE"), "applying twice is refused too");
  assert.throws(() => store.prepare(1, [put("b", "1")]), hasCode("STATE_VERSION_NOT_INCREASING"));
  assert.equal(text(store.get(utf8("a"))), "1");
});

test("bad versions, keys and values are refused with clear codes and change nothing", () => {
  const { db, store } = openMemory();
  commit(db, store, 3, [put("a", "1")]);
  assert.throws(() => store.get(utf8("a"), 4), hasCode("STATE_VERSION_UNKNOWN"));
  assert.throws(() => store.prove(utf8("a"), -1), hasCode("STATE_VERSION_INVALID"));
  assert.throws(() => store.prepare(1.5, []), hasCode("STATE_VERSION_INVALID"));
  assert.throws(() => store.prepare(4, [{ key: new Uint8Array(0), value: null }]), hasCode("STATE_KEY_INVALID"));
  assert.throws(() => store.prepare(4, [{ key: new Uint8Array(STATE_KEY_SIZE_BYTES_MAX + 1), value: null }]), hasCode("STATE_KEY_INVALID"));
  assert.throws(() => store.prepare(4, [{ key: utf8("k"), value: "text" as unknown as Uint8Array }]), hasCode("STATE_VALUE_INVALID"));
  assert.throws(() => store.prepare(4, [put("k", "1"), put("k", "2")]), hasCode("MERKLE_SMT_DUPLICATE_KEY"));
  assert.throws(() => openStateStore(db, { writesPerVersionMax: 1 }).prepare(4, [put("k", "1"), put("l", "2")]), hasCode("STATE_TOO_MANY_WRITES"));
  assert.equal(store.latestVersion, 3);
});

test("pruning keeps later versions readable and provable, drops exactly the unreachable rows, and refuses pruned reads", () => {
  const { db, store } = openMemory();
  const reference = createMemorySmt();
  const names = Array.from({ length: 40 }, (_, i) => `k${i}`);
  for (let version = 1; version <= 6; version++) {
    const writes = names.filter((_, i) => i % version === 0 || i % 7 === version).map((name, i) => (i % 5 === version % 5 ? del(name) : put(name, `${name}/${version}`)));
    commit(db, store, version, writes);
    reference.update(writes);
  }
  const snapshot = (version: number) => names.map((name) => text(store.get(utf8(name), version)));
  const expected4 = snapshot(4);
  const nodesBefore = rowCount(db, "state_nodes");
  const result = store.pruneBefore(4);
  assert.ok(result.nodesDeleted > 0 && result.valuesDeleted > 0);
  assert.equal(rowCount(db, "state_nodes"), nodesBefore - result.nodesDeleted);
  assert.deepEqual(snapshot(4), expected4);
  for (const name of names) assert.ok(verifyStateProof(store.root(4), utf8(name), store.get(utf8(name), 4), store.prove(utf8(name), 4).proof));
  assert.throws(() => store.get(utf8("k1"), 3), hasCode("STATE_VERSION_PRUNED"));
  assert.equal(store.root(3).byteLength, 32, "roots of pruned versions are kept");
  assert.equal(store.prunedBefore, 4);
  assert.deepEqual(store.pruneBefore(2), { prunedBefore: 4, nodesDeleted: 0, valuesDeleted: 0 }, "pruning backwards does nothing");
  store.pruneBefore(6);
  assert.equal(rowCount(db, "state_nodes"), reference.nodeCount, "only the latest tree's nodes remain");
  const liveKeys = names.filter((name) => reference.get(utf8(name)) !== null).length;
  assert.equal(rowCount(db, "state_values"), liveKeys, "only live values remain");
  assert.equal(toHex(store.root()), toHex(reference.root));
  assert.throws(() => store.pruneBefore(7), hasCode("STATE_VERSION_UNKNOWN"));
});

test("a damaged or missing node row is reported naming its path, never skipped", () => {
  const { db, store } = openMemory();
  commit(db, store, 1, Array.from({ length: 20 }, (_, i) => put(`k${i}`, `v${i}`)));
  const row = db.prepare("SELECT path, node FROM state_nodes WHERE length(node) = 81 ORDER BY path LIMIT 1").get() as { path: Uint8Array; node: Uint8Array };
  const damaged = row.node.slice();
  damaged[10] = (damaged[10] as number) ^ 1;
  db.prepare("UPDATE state_nodes SET node = ? WHERE path = ?").run(damaged, row.path);
  const proveAll = () => Array.from({ length: 20 }, (_, i) => store.prove(utf8(`k${i}`)));
  assert.throws(proveAll, (err: unknown) => hasCode("MERKLE_SMT_NODE_CORRUPT")(err) && (err as Error).message.includes(toHex(row.path)));
  db.prepare("DELETE FROM state_nodes WHERE path = ?").run(row.path);
  assert.throws(proveAll, hasCode("MERKLE_SMT_NODE_MISSING"));
  // A running store keeps the nodes it wrote in its node cache; a store opened afresh (a restarted node) reads them.
  assert.throws(() => openStateStore(db).prepare(2, Array.from({ length: 20 }, (_, i) => del(`k${i}`))), hasCode("MERKLE_SMT_NODE_MISSING"));
});

test("tables written by a newer schema are refused with STATE_SCHEMA_TOO_NEW", () => {
  const { db } = openMemory();
  db.exec("UPDATE state_schema SET schema_version = 99");
  assert.throws(() => openStateStore(db), hasCode("STATE_SCHEMA_TOO_NEW"));
});

test("schema 1 tables are migrated in place: the same rows, roots and proofs as schema 2 writes, and the store goes on from there", () => {
  const { db, store } = openMemory();
  const names = Array.from({ length: 40 }, (_, i) => `k${i}`);
  const versions: StateWrite[][] = [
    names.map((name) => put(name, "a")),
    names.filter((_, i) => i % 3 === 0).map((name) => put(name, "b")),
    names.filter((_, i) => i % 4 === 1).map((name) => del(name)),
    [put("k0", "b")], // changes nothing: the root stays in version 2's row
    [put("late", "c"), del("k8")],
  ];
  versions.forEach((writes, i) => commit(db, store, i + 1, writes));
  store.pruneBefore(2);
  const snapshot = () => ({
    rows: db.prepare("SELECT version, hex(path) AS path, hex(node) AS node FROM state_nodes ORDER BY version, path").all().map((row) => ({ ...row })),
    roots: db.prepare("SELECT version, hex(root) AS root, root_version FROM state_versions ORDER BY version").all().map((row) => ({ ...row })),
    proofs: [2, 3, 4, 5].map((version) => [...names, "late"].map((name) => JSON.stringify(store.prove(utf8(name), version), (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v)))),
  });
  const written = snapshot();
  assert.equal((written.roots[3] as { root_version: number }).root_version, 3, "a version that changes nothing keeps its base's root row");

  // Back to schema 1 by hand: nodes keyed (path, version), internal nodes without their children's versions.
  db.exec("CREATE TABLE state_nodes_schema1 (path BLOB NOT NULL, version INTEGER NOT NULL, node BLOB NOT NULL, PRIMARY KEY (path, version)) WITHOUT ROWID");
  db.exec("INSERT INTO state_nodes_schema1 SELECT path, version, CASE WHEN length(node) = 81 THEN substr(node, 1, 65) ELSE node END FROM state_nodes");
  db.exec("DROP TABLE state_nodes; ALTER TABLE state_nodes_schema1 RENAME TO state_nodes; ALTER TABLE state_versions DROP COLUMN root_version; ALTER TABLE state_schema DROP COLUMN proofs_pruned_before; UPDATE state_schema SET schema_version = 1");

  const rowsTotal = (db.prepare("SELECT count(*) AS n FROM state_nodes").get() as { n: number }).n;
  const reports: unknown[] = [];
  const migrated = openStateStore(db, {}, (progress) => reports.push(progress));
  assert.deepEqual(reports, [
    { fromSchema: 1, rowsDone: 0, rowsTotal, finished: false },
    { fromSchema: 1, rowsDone: rowsTotal, rowsTotal, finished: true },
  ], "progress at the start and the end (and every 100,000 rows between)");
  assert.equal((db.prepare("SELECT schema_version FROM state_schema").get() as { schema_version: number }).schema_version, 3);
  assert.equal(migrated.proofsPrunedBefore, 2, "the proofs' bound starts at the whole state's");
  const reopened: unknown[] = [];
  openStateStore(db, {}, (progress) => reopened.push(progress));
  assert.deepEqual(reopened, [], "nothing to migrate the second time");
  // Version 1 was pruned: its root's row is gone, and nothing can read that version any more.
  const expected = { ...written, roots: written.roots.map((row) => ((row as { version: number }).version === 1 ? { ...row, root_version: 0 } : row)) };
  assert.deepEqual(snapshot(), expected);
  const reference = createMemorySmt();
  for (const writes of versions) reference.update(writes);
  commit(db, migrated, 6, [put("k1", "after"), del("k2")]);
  reference.update([put("k1", "after"), del("k2")]);
  assert.equal(toHex(migrated.root()), toHex(reference.root));
  assert.ok(verifyStateProof(migrated.root(), utf8("k1"), utf8("after"), migrated.prove(utf8("k1")).proof));
});

test("an internal node whose child version is damaged is reported, never followed", () => {
  const { db, store } = openMemory();
  commit(db, store, 1, Array.from({ length: 20 }, (_, i) => put(`k${i}`, `v${i}`)));
  const root = db.prepare("SELECT path, node FROM state_nodes WHERE length(node) = 81 ORDER BY length(path), path LIMIT 1").get() as { path: Uint8Array; node: Uint8Array };
  const tooBig = root.node.slice();
  tooBig.fill(0xff, 65, 73); // the left child's version, above 2^53 - 1
  db.prepare("UPDATE state_nodes SET node = ? WHERE path = ?").run(tooBig, root.path);
  const proveAll = () => Array.from({ length: 20 }, (_, i) => openStateStore(db).prove(utf8(`k${i}`)));
  assert.throws(proveAll, hasCode("MERKLE_SMT_NODE_CORRUPT"));
  const otherVersion = root.node.slice();
  otherVersion[72] = 2; // a row that does not exist
  db.prepare("UPDATE state_nodes SET node = ? WHERE path = ?").run(otherVersion, root.path);
  assert.throws(proveAll, hasCode("MERKLE_SMT_NODE_MISSING"));
});
