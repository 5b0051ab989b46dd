import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import fc from "fast-check";
import { openStateStore } from "../../src/state/index.ts";
import type { PreparedStateUpdate, StateStore, StateWrite } from "../../src/state/index.ts";
import { toHex, utf8 } from "../../src/util/index.ts";

/*
 * The node cache (src/state/nodeCache.ts) must be invisible: the same roots and the same rows
 * with the cache off, tiny (constant eviction) or the default, whatever the mix of speculative
 * prepares, applies, rolled-back applies and pruning.
 */

const put = (name: string, value: string): StateWrite => ({ key: utf8(name), value: utf8(value) });

function openMemory(nodeCacheNodesMax?: number): { db: DatabaseSync; store: StateStore } {
  const db = new DatabaseSync(":memory:");
  return { db, store: openStateStore(db, nodeCacheNodesMax === undefined ? {} : { nodeCacheNodesMax }) };
}

function tableDump(db: DatabaseSync): string {
  const rows = (sql: string) => JSON.stringify(db.prepare(sql).all().map((row) => Object.values(row).map((v) => (v instanceof Uint8Array ? toHex(v) : v))));
  return [
    rows("SELECT path, version, node FROM state_nodes ORDER BY path, version"),
    rows("SELECT key_hash, version, key, value FROM state_values ORDER BY key_hash, version"),
    rows("SELECT version, root, stale_nodes, stale_values FROM state_versions ORDER BY version"),
  ].join("\n");
}

const batchArb = fc
  .uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 15 }), value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) }), { selector: (w) => w.key, maxLength: 8 })
  .map((writes) => writes.map(({ key, value }): StateWrite => ({ key: utf8(`k${key}`), value: value === null ? null : utf8(`v${value}`) })));

/** What happens after each prepare: apply the oldest pending version (maybe after a rolled-back decoy), prune, or nothing. */
const stepArb = fc.record({ apply: fc.boolean(), decoy: fc.option(batchArb, { nil: undefined }), prune: fc.boolean() });

type Run = { readonly roots: string[]; readonly dump: string; readonly proofs: string };

function run(nodeCacheNodesMax: number | undefined, batches: readonly StateWrite[][], steps: readonly { apply: boolean; decoy: StateWrite[] | undefined; prune: boolean }[]): Run {
  const { db, store } = openMemory(nodeCacheNodesMax);
  let pending: PreparedStateUpdate[] = []; // newest first
  const roots: string[] = [];
  batches.forEach((writes, i) => {
    const prepared = store.prepare(i + 1, writes, { bases: pending });
    roots.push(toHex(prepared.root));
    pending = [prepared, ...pending];
    const step = steps[i];
    if (step?.decoy !== undefined && store.latestVersion !== i + 1) {
      // Applied then rolled back by the caller: the store must forget it.
      const oldest = pending[pending.length - 1] as PreparedStateUpdate;
      const decoy = store.prepare(oldest.version, step.decoy);
      db.exec("BEGIN");
      store.apply(decoy);
      db.exec("ROLLBACK");
    }
    if (step?.apply === true) store.apply(pending.pop() as PreparedStateUpdate);
    const latest = store.latestVersion;
    if (step?.prune === true && latest !== null) store.pruneBefore(latest);
  });
  while (pending.length > 0) store.apply(pending.pop() as PreparedStateUpdate);
  const proofs = Array.from({ length: 16 }, (_, k) => JSON.stringify(store.prove(utf8(`k${k}`)), (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v))).join("\n");
  return { roots, dump: tableDump(db), proofs };
}

test("the node cache changes no root, row or proof: off, tiny and default caches write identical tables", () => {
  fc.assert(
    fc.property(fc.array(batchArb, { minLength: 1, maxLength: 10 }), fc.array(stepArb, { minLength: 10, maxLength: 10 }), (batches, steps) => {
      const off = run(0, batches, steps);
      for (const nodesMax of [4, undefined]) {
        const cached = run(nodesMax, batches, steps);
        assert.deepEqual(cached.roots, off.roots);
        assert.equal(cached.dump, off.dump);
        assert.equal(cached.proofs, off.proofs);
      }
    }),
    { numRuns: 40 },
  );
});

test("a version applied and rolled back by the caller is forgotten: the next prepare reads the store again", () => {
  const { db, store } = openMemory();
  store.apply(store.prepare(1, [put("a", "1"), put("b", "2"), put("c", "3")]));
  const reference = openMemory(0);
  reference.store.apply(reference.store.prepare(1, [put("a", "1"), put("b", "2"), put("c", "3")]));
  db.exec("BEGIN");
  store.apply(store.prepare(2, [put("a", "changed"), put("d", "4")]));
  db.exec("ROLLBACK");
  for (const target of [store, reference.store]) target.apply(target.prepare(2, [put("b", "changed")]));
  for (const target of [store, reference.store]) target.apply(target.prepare(3, [put("a", "again"), put("c", "again")]));
  assert.equal(toHex(store.root()), toHex(reference.store.root()));
  assert.equal(tableDump(db), tableDump(reference.db));
});

test("versions written by another store object on the same database are noticed: the rows match a single uncached store", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(batchArb, fc.boolean()), { minLength: 1, maxLength: 12 }), (steps) => {
      const db = new DatabaseSync(":memory:");
      const writers = [openStateStore(db), openStateStore(db)];
      const reference = openMemory(0);
      steps.forEach(([writes, second], i) => {
        const writer = writers[second ? 1 : 0] as StateStore;
        writer.apply(writer.prepare(i + 1, writes));
        reference.store.apply(reference.store.prepare(i + 1, writes));
      });
      assert.equal(tableDump(db), tableDump(reference.db));
    }),
    { numRuns: 60 },
  );
});
