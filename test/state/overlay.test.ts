import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import fc from "fast-check";
import { STATE_PREPARE_BASES_MAX, openStateStore, verifyStateProof } from "../../src/state/index.ts";
import type { PreparedStateUpdate, StateStore, StateWrite } from "../../src/state/index.ts";
import { isGhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

const put = (name: string, value: string): StateWrite => ({ key: utf8(name), value: utf8(value) });
const hasCode = (code: string) => (err: unknown) => isGhostmeshError(err) && err.code === code;

function openMemory(): { db: DatabaseSync; store: StateStore } {
  const db = new DatabaseSync(":memory:");
  return { db, store: openStateStore(db) };
}

function tableDump(db: DatabaseSync): string {
  const rows = (sql: string) => JSON.stringify(db.prepare(sql).all().map((row) => Object.values(row).map((v) => (v instanceof Uint8Array ? toHex(v) : v))));
  return [
    rows("SELECT path, version, node FROM state_nodes ORDER BY path, version"),
    rows("SELECT key_hash, version, key, value FROM state_values ORDER BY key_hash, version"),
    rows("SELECT version, root, stale_nodes, stale_values FROM state_versions ORDER BY version"),
  ].join("\n");
}

/** A batch: each of 12 keys at most once, written or deleted. */
const batchArb = fc
  .uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 11 }), value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) }), { selector: (w) => w.key, maxLength: 8 })
  .map((writes) => writes.map(({ key, value }): StateWrite => ({ key: utf8(`k${key}`), value: value === null ? null : utf8(`v${value}`) })));

test("versions prepared on unapplied bases have the roots and rows of sequential commits", () => {
  fc.assert(
    fc.property(fc.array(batchArb, { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (batches, applyNow) => {
      const sequential = openMemory();
      const sequentialRoots = batches.map((writes, i) => {
        const prepared = sequential.store.prepare(i + 1, writes);
        sequential.store.apply(prepared);
        return toHex(prepared.root);
      });
      // Speculative: every version is prepared on the pending ones; some pending are applied in between.
      const speculative = openMemory();
      let pending: PreparedStateUpdate[] = []; // newest first
      const roots: string[] = [];
      batches.forEach((writes, i) => {
        const prepared = speculative.store.prepare(i + 1, writes, { bases: pending });
        roots.push(toHex(prepared.root));
        pending = [prepared, ...pending];
        if (applyNow[i] === true) speculative.store.apply(pending.pop() as PreparedStateUpdate);
      });
      while (pending.length > 0) speculative.store.apply(pending.pop() as PreparedStateUpdate);
      assert.deepEqual(roots, sequentialRoots);
      assert.equal(tableDump(speculative.db), tableDump(sequential.db));
    }),
    { numRuns: 60 },
  );
});

test("a proof at a version applied after being prepared on a base verifies against its root", () => {
  const { store } = openMemory();
  const first = store.prepare(1, [put("a", "1"), put("b", "2")]);
  const second = store.prepare(2, [put("b", "3"), put("c", "4")], { bases: [first] });
  store.apply(first);
  store.apply(second);
  const proof = store.prove(utf8("b"), 2);
  assert.equal(Buffer.from(proof.value as Uint8Array).toString(), "3");
  assert.ok(verifyStateProof(second.root, utf8("b"), proof.value, proof.proof));
});

test("a base that was not prepared on the latest version is refused as stale", () => {
  const { store } = openMemory();
  const first = store.prepare(1, [put("a", "1")]);
  store.apply(first);
  const orphan = store.prepare(2, [put("b", "1")]);
  store.apply(store.prepare(2, [put("b", "2")]));
  assert.throws(() => store.prepare(3, [put("c", "1")], { bases: [orphan] }), hasCode("STATE_STALE_BASE"));
  // An applied base is stale too: build on the store instead.
  assert.throws(() => store.prepare(3, [put("c", "1")], { bases: [first] }), hasCode("STATE_STALE_BASE"));
});

test("bases out of order, a version not above the newest base, and too many bases are refused", () => {
  const { store } = openMemory();
  const first = store.prepare(1, [put("a", "1")]);
  const second = store.prepare(2, [put("b", "1")], { bases: [first] });
  assert.throws(() => store.prepare(3, [], { bases: [first, second] }), hasCode("STATE_STALE_BASE"));
  assert.throws(() => store.prepare(2, [], { bases: [second, first] }), hasCode("STATE_VERSION_NOT_INCREASING"));
  const many = new Array<PreparedStateUpdate>(STATE_PREPARE_BASES_MAX + 1).fill(first);
  assert.throws(() => store.prepare(9, [], { bases: many }), hasCode("STATE_TOO_MANY_BASES"));
});

test("a speculative version whose base was replaced by another fork cannot be applied", () => {
  const { store } = openMemory();
  const forkA = store.prepare(1, [put("a", "1")]);
  const childOfA = store.prepare(2, [put("b", "1")], { bases: [forkA] });
  store.apply(store.prepare(1, [put("a", "2")]));
  assert.throws(() => store.apply(childOfA), hasCode("STATE_STALE_BASE"));
  assert.equal(store.latestVersion, 1);
});
