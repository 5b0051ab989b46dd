import { strict as assert } from "node:assert";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { openStateStore } from "../../src/state/index.ts";
import type { StateStore, StateWrite } from "../../src/state/index.ts";
import { isGhostmeshError, utf8 } from "../../src/util/index.ts";

const put = (name: string, value: string): StateWrite => ({ key: utf8(name), value: utf8(value) });
const del = (name: string): StateWrite => ({ key: utf8(name), value: null });
const names = (keys: readonly Uint8Array[]): string[] => keys.map((key) => new TextDecoder().decode(key));

function storeWithHistory(): StateStore {
  const store = openStateStore(new DatabaseSync(":memory:"));
  const versions: StateWrite[][] = [
    [put("a", "1"), put("b", "1"), put("c", "1")],
    [put("b", "2")],
    [put("d", "1"), del("a")],
    [put("b", "3"), put("c", "1")], // c unchanged: no row
  ];
  versions.forEach((writes, version) => store.apply(store.prepare(version, writes)));
  return store;
}

const failsWith = (code: string) => (err: unknown) => isGhostmeshError(err) && err.code === code;

test("keysWrittenAfter lists each key set or deleted after the version once, sorted bytewise", () => {
  const store = storeWithHistory();
  assert.deepEqual(names(store.keysWrittenAfter(0)), ["a", "b", "d"]);
  assert.deepEqual(names(store.keysWrittenAfter(1)), ["a", "b", "d"]);
  assert.deepEqual(names(store.keysWrittenAfter(2)), ["b"]);
  assert.deepEqual(store.keysWrittenAfter(3), [], "nothing is written after the latest version");
  assert.deepEqual(names(store.keysWrittenAfter(0, { throughVersion: 1 })), ["b"], "throughVersion bounds the versions read");
  assert.equal(store.get(utf8("a"), 1)?.length, 1, "the value at the version stays readable for a restore");
});

test("keysWrittenAfter fails with STATE_TOO_MANY_KEYS above keysMax, and on a pruned or unknown version", () => {
  const store = storeWithHistory();
  assert.deepEqual(names(store.keysWrittenAfter(0, { keysMax: 3 })), ["a", "b", "d"]);
  assert.throws(() => store.keysWrittenAfter(0, { keysMax: 2 }), failsWith("STATE_TOO_MANY_KEYS"));
  assert.throws(() => store.keysWrittenAfter(4), failsWith("STATE_VERSION_UNKNOWN"));
  assert.throws(() => store.keysWrittenAfter(0, { throughVersion: 9 }), failsWith("STATE_VERSION_UNKNOWN"));
  store.pruneBefore(2);
  assert.throws(() => store.keysWrittenAfter(1), failsWith("STATE_VERSION_PRUNED"));
  assert.deepEqual(names(store.keysWrittenAfter(2)), ["b"], "versions from prunedBefore on still list their keys");
});
