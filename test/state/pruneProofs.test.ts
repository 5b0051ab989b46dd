/**
 * Pruning the state tree's nodes alone (StateStore.pruneProofsBefore): every value stays, so
 * reads at any version (an emergency rollback's among them) answer as before; proofs answer
 * from the bound on and at kept heights, and below it elsewhere fail with STATE_VERSION_PRUNED.
 */
import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { createMemorySmt } from "../../src/merkle/index.ts";
import { openStateStore, verifyStateProof } from "../../src/state/index.ts";
import type { StateProofResult, StateStore, StateWrite } from "../../src/state/index.ts";
import { isGhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

const NAMES = Array.from({ length: 60 }, (_, i) => `k${i}`);
/** Versions with gaps: a height without a version reads the version below it. */
const VERSIONS = [1, 2, 3, 5, 6, 7, 9, 10, 12, 13];
const LATEST = VERSIONS.at(-1) as number;
const HEIGHTS = Array.from({ length: LATEST + 1 }, (_, h) => h);

function writesOf(version: number): StateWrite[] {
  return NAMES.filter((_, i) => i % version === 0 || i % 7 === version % 7).map((name, i) => ({
    key: utf8(name),
    value: i % 6 === version % 6 && version > 1 ? null : utf8(`${name}/${version}`),
  }));
}

/** A store holding VERSIONS, and the in-memory tree of the latest. */
function history(): { db: DatabaseSync; store: StateStore; reference: ReturnType<typeof createMemorySmt> } {
  const db = new DatabaseSync(":memory:");
  const store = openStateStore(db);
  const reference = createMemorySmt();
  for (const version of VERSIONS) {
    const writes = writesOf(version);
    const prepared = store.prepare(version, writes);
    db.exec("BEGIN IMMEDIATE");
    store.apply(prepared);
    db.exec("COMMIT");
    reference.update(writes);
  }
  return { db, store, reference };
}

const hasCode = (code: string) => (err: unknown) => isGhostmeshError(err) && err.code === code;
const proofJson = (result: StateProofResult) => JSON.stringify(result, (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
const nodeRows = (db: DatabaseSync) => db.prepare("SELECT version, hex(path) AS path FROM state_nodes ORDER BY version, path").all().map((row) => `${String(row.version)}:${String(row.path)}`);
const rowCount = (db: DatabaseSync, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Everything a reader can ask at every height: values, roots, proofs (or the error code). */
function readings(store: StateStore) {
  return HEIGHTS.map((height) => ({
    root: toHex(store.root(height)),
    values: NAMES.map((name) => store.get(utf8(name), height)).map((value) => (value === null ? null : toHex(value))),
    proofs: NAMES.map((name) => {
      try {
        return proofJson(store.prove(utf8(name), height));
      } catch (err) {
        if (isGhostmeshError(err)) return err.code;
        throw err;
      }
    }),
  }));
}

test("nodes-only pruning keeps every value and root, every proof from the bound on and at kept heights, and refuses the others", () => {
  const { db, store } = history();
  const before = readings(store);
  const keysWritten = store.keysWrittenAfter(1).map(toHex);
  const valuesBefore = rowCount(db, "state_values");
  const nodesBefore = rowCount(db, "state_nodes");
  // Kept heights: 3 and 7 ((h + 1) % 4 === 0); 11 is above the bound anyway.
  const result = store.pruneProofsBefore(10, { keptHeightInterval: 4 });
  assert.equal(result.proofsPrunedBefore, 10);
  assert.ok(result.nodesDeleted > 0);
  assert.equal(rowCount(db, "state_nodes"), nodesBefore - result.nodesDeleted);
  assert.equal(rowCount(db, "state_values"), valuesBefore, "no value is deleted");
  assert.deepEqual([store.proofsPrunedBefore, store.prunedBefore], [10, 0]);
  const after = readings(store);
  assert.deepEqual(store.keysWrittenAfter(1).map(toHex), keysWritten, "what a rollback to height 1 restores is unchanged");
  let refused = 0;
  for (const height of HEIGHTS) {
    const [was, is] = [before[height]!, after[height]!];
    assert.equal(is.root, was.root, `root at ${height}`);
    assert.deepEqual(is.values, was.values, `values at ${height}`);
    if (height >= 10 || height === 3 || height === 7) {
      assert.deepEqual(is.proofs, was.proofs, `every proof at ${height} is answered as before`);
      continue;
    }
    is.proofs.forEach((proof, i) => {
      if (proof === "STATE_VERSION_PRUNED") refused++;
      else assert.equal(proof, was.proofs[i], `a proof answered at pruned height ${height} is the one from before`);
    });
  }
  assert.ok(refused > 0, "heights below the bound that are not kept lose proofs");
  // The answered proofs at kept heights verify against their roots.
  for (const name of NAMES) {
    const proven = store.prove(utf8(name), 7);
    assert.ok(verifyStateProof(store.root(7), utf8(name), proven.value, proven.proof));
  }
  assert.deepEqual(store.pruneProofsBefore(6), { proofsPrunedBefore: 10, nodesDeleted: 0, versionsDone: 0 }, "pruning backwards does nothing");
  assert.equal(openStateStore(db).proofsPrunedBefore, 10, "the bound is stored");
});

test("without kept heights, nodes-only pruning deletes exactly the nodes full pruning deletes; full pruning afterwards removes what kept heights held", () => {
  const nodesOnly = history();
  const full = history();
  nodesOnly.store.pruneProofsBefore(9);
  full.store.pruneBefore(9);
  assert.deepEqual(nodeRows(nodesOnly.db), nodeRows(full.db));
  assert.equal(full.store.proofsPrunedBefore, 9, "full pruning moves the proofs' bound too");

  const kept = history();
  kept.store.pruneProofsBefore(LATEST, { keptHeightInterval: 4 });
  assert.ok(rowCount(kept.db, "state_nodes") > kept.reference.nodeCount, "kept heights hold nodes of older trees");
  kept.store.pruneBefore(LATEST);
  assert.equal(rowCount(kept.db, "state_nodes"), kept.reference.nodeCount, "only the latest tree's nodes remain");
  assert.equal(toHex(kept.store.root()), toHex(kept.reference.root));
});

test("versionsMax bounds one call's work; calls in steps end where one call would", () => {
  const stepped = history();
  const once = history();
  once.store.pruneProofsBefore(12, { keptHeightInterval: 4 });
  const bounds: number[] = [];
  for (let i = 0; i < 10 && stepped.store.proofsPrunedBefore < 12; i++) {
    const result = stepped.store.pruneProofsBefore(12, { keptHeightInterval: 4, versionsMax: 3 });
    assert.ok(result.versionsDone <= 3);
    bounds.push(result.proofsPrunedBefore);
  }
  // Nine versions up to 12 hold lists, three per call; each call's bound is its last list's version.
  assert.deepEqual(bounds, [3, 7, 12]);
  assert.deepEqual(nodeRows(stepped.db), nodeRows(once.db));
  assert.deepEqual(readings(stepped.store), readings(once.store));
});

test("nodes-only pruning refuses a bound above the latest version and bad options", () => {
  const { store } = history();
  assert.throws(() => store.pruneProofsBefore(LATEST + 1), hasCode("STATE_VERSION_UNKNOWN"));
  assert.throws(() => store.pruneProofsBefore(-1), hasCode("STATE_VERSION_INVALID"));
  assert.throws(() => store.pruneProofsBefore(5, { versionsMax: 0 }), /versionsMax/);
  assert.throws(() => store.pruneProofsBefore(5, { keptHeightInterval: -1 }), /keptHeightInterval/);
  assert.equal(store.proofsPrunedBefore, 0, "nothing changed");
});
