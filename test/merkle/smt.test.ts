import { strict as assert } from "node:assert";
import { test } from "node:test";
import {
  createMemorySmt,
  decodeSmtNode,
  decodeStateProof,
  encodeStateProof,
  hashStateWrites,
  proveSmt,
  smtEmptyRoot,
  smtKeyHash,
  smtLeafHash,
  smtNodeHash,
  smtRootFromLeaves,
  smtValueHash,
  stateProofFromJson,
  stateProofToJson,
  updateSmt,
  verifyStateProof,
} from "../../src/merkle/index.ts";
import type { SmtNodeSource, StateWrite } from "../../src/merkle/index.ts";
import { hashTagged } from "../../src/crypto/index.ts";
import { isGhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

const key = (name: string) => utf8(name);
const put = (name: string, value: string): StateWrite => ({ key: key(name), value: utf8(value) });
const del = (name: string): StateWrite => ({ key: key(name), value: null });

function rootOf(batches: readonly (readonly StateWrite[])[]): string {
  const tree = createMemorySmt();
  for (const batch of batches) tree.update(batch);
  return toHex(tree.root);
}

test("empty root is the tagged hash of nothing, and a fresh tree has it", () => {
  assert.equal(toHex(smtEmptyRoot()), toHex(hashTagged("ghostmesh/v1/state/empty")));
  assert.equal(toHex(createMemorySmt().root), toHex(smtEmptyRoot()));
  // Pinned: changing the empty root changes every state root ever committed.
  assert.equal(toHex(smtEmptyRoot()), "9b42ede597f077ff4ade4f55846ce705a7613b3d081eb30717baffb250d462c4");
});

test("golden vector: the root of {alice: 1, bob: 2, carol: 3} is pinned (hashing and layout are protocol)", () => {
  const root = rootOf([[put("alice", "1"), put("bob", "2"), put("carol", "3")]]);
  assert.equal(root, "3b00b2c51f8fb742771b484d1600db0602b4c68a36903442ba2569a01da6add1");
});

test("leaf and node hashes are the tagged hashes of their two parts", () => {
  const a = smtKeyHash(key("a"));
  const b = smtValueHash(utf8("b"));
  assert.equal(toHex(smtLeafHash(a, b)), toHex(hashTagged("ghostmesh/v1/state/leaf", a, b)));
  assert.equal(toHex(smtNodeHash(a, b)), toHex(hashTagged("ghostmesh/v1/state/node", a, b)));
  assert.equal(toHex(smtKeyHash(key("a"))), toHex(hashTagged("ghostmesh/v1/state/key", key("a"))));
});

test("a tree of one key has that key's leaf hash as root (the leaf sits at the root)", () => {
  const tree = createMemorySmt();
  tree.update([put("alice", "100")]);
  assert.equal(toHex(tree.root), toHex(smtLeafHash(smtKeyHash(key("alice")), smtValueHash(utf8("100")))));
  assert.equal(tree.nodeCount, 1);
});

test("a tree of two keys is an internal node at their first differing bit, above a chain of one-sided nodes", () => {
  const a = { keyHash: smtKeyHash(key("alice")), valueHash: smtValueHash(utf8("1")) };
  const b = { keyHash: smtKeyHash(key("bob")), valueHash: smtValueHash(utf8("2")) };
  const bit = (hash: Uint8Array, i: number) => ((hash[i >> 3] as number) >> (7 - (i & 7))) & 1;
  let split = 0;
  while (bit(a.keyHash, split) === bit(b.keyHash, split)) split++;
  const [left, right] = bit(a.keyHash, split) === 0 ? [a, b] : [b, a];
  let expected = smtNodeHash(smtLeafHash(left.keyHash, left.valueHash), smtLeafHash(right.keyHash, right.valueHash));
  for (let level = split - 1; level >= 0; level--) {
    expected = bit(a.keyHash, level) === 0 ? smtNodeHash(expected, smtEmptyRoot()) : smtNodeHash(smtEmptyRoot(), expected);
  }
  const tree = createMemorySmt();
  tree.update([put("alice", "1"), put("bob", "2")]);
  assert.equal(toHex(tree.root), toHex(expected));
  assert.equal(toHex(tree.root), toHex(smtRootFromLeaves([a, b])));
  assert.equal(tree.nodeCount, split + 3, "split + 1 internal nodes and two leaves");
});

test("the root does not depend on insertion order or on how writes are split into versions", () => {
  const writes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map((name, i) => put(name, `v${i}`));
  const once = rootOf([writes]);
  assert.equal(rootOf([[...writes].reverse()]), once);
  assert.equal(rootOf(writes.map((w) => [w])), once);
  assert.equal(rootOf([writes.slice(5), writes.slice(0, 5)]), once);
});

test("deleting the keys a version added restores the previous root exactly", () => {
  const tree = createMemorySmt();
  tree.update(["k1", "k2", "k3", "k4"].map((name) => put(name, name)));
  const before = toHex(tree.root);
  const nodesBefore = tree.nodeCount;
  tree.update(["n1", "n2", "n3"].map((name) => put(name, name)));
  assert.notEqual(toHex(tree.root), before);
  tree.update(["n1", "n2", "n3"].map(del));
  assert.equal(toHex(tree.root), before);
  assert.equal(tree.nodeCount, nodesBefore, "every node of the removed keys is dropped");
  tree.update(["k1", "k2", "k3", "k4"].map(del));
  assert.equal(toHex(tree.root), toHex(smtEmptyRoot()));
  assert.equal(tree.nodeCount, 0);
});

test("rewriting a value it already has and deleting an absent key change nothing and write nothing", () => {
  const tree = createMemorySmt();
  tree.update([put("x", "1"), put("y", "2")]);
  const root = toHex(tree.root);
  const update = tree.update([put("x", "1"), del("absent")]);
  assert.equal(toHex(tree.root), root);
  assert.deepEqual([update.nodes.length, update.staleNodes.length, update.staleValues.length], [0, 0, 0]);
  assert.deepEqual([...update.changed], [0, 0]);
});

test("a batch writing one key twice is refused with MERKLE_SMT_DUPLICATE_KEY", () => {
  assert.throws(
    () => hashStateWrites([put("same", "1"), put("other", "x"), put("same", "2")]),
    (err: unknown) => isGhostmeshError(err) && err.code === "MERKLE_SMT_DUPLICATE_KEY" && /#0 and #2/.test(err.message),
  );
});

test("proofs in the empty tree prove absence with depth 0 and no siblings", () => {
  const tree = createMemorySmt();
  const { value, proof } = tree.prove(key("nobody"));
  assert.equal(value, null);
  assert.deepEqual({ leaf: proof.leaf, depth: proof.depth, siblings: proof.siblings.length }, { leaf: null, depth: 0, siblings: 0 });
  assert.ok(verifyStateProof(tree.root, key("nobody"), null, proof));
  assert.equal(verifyStateProof(tree.root, key("nobody"), utf8("x"), proof), false);
});

test("presence and absence proofs verify, and fail for a wrong value, another key or another root", () => {
  const tree = createMemorySmt();
  const names = Array.from({ length: 40 }, (_, i) => `key-${i}`);
  tree.update(names.map((name) => put(name, `value-${name}`)));
  for (const name of names) {
    const { value, proof } = tree.prove(key(name));
    assert.equal(toHex(value as Uint8Array), toHex(utf8(`value-${name}`)));
    assert.ok(verifyStateProof(tree.root, key(name), value, proof), name);
    assert.equal(verifyStateProof(tree.root, key(name), utf8("other"), proof), false);
    assert.equal(verifyStateProof(tree.root, key(name), null, proof), false, "a presence proof is no absence proof");
    assert.equal(verifyStateProof(smtEmptyRoot(), key(name), value, proof), false);
  }
  const absent = tree.prove(key("missing"));
  assert.equal(absent.value, null);
  assert.ok(verifyStateProof(tree.root, key("missing"), null, absent.proof));
  assert.equal(verifyStateProof(tree.root, key("key-1"), null, absent.proof), false, "the proof is about its own key only");
});

test("a proof survives CBOR and JSON round trips byte for byte", () => {
  const tree = createMemorySmt();
  tree.update(Array.from({ length: 25 }, (_, i) => put(`k${i}`, `v${i}`)));
  for (const name of ["k3", "k17", "nope"]) {
    const { value, proof } = tree.prove(key(name));
    const encoded = encodeStateProof(proof);
    assert.equal(toHex(encodeStateProof(decodeStateProof(encoded))), toHex(encoded));
    const json = JSON.parse(JSON.stringify(stateProofToJson(proof)));
    const back = stateProofFromJson(json);
    assert.equal(toHex(encodeStateProof(back)), toHex(encoded));
    assert.ok(verifyStateProof(tree.root, key(name), value, back));
  }
});

test("a proof listing an empty sibling explicitly is refused (one encoding per proof)", () => {
  const tree = createMemorySmt();
  const names = Array.from({ length: 8 }, (_, i) => `k${i}`);
  tree.update(names.map((name) => put(name, name)));
  // A proof with a level whose sibling is empty (left out); listing the empty hash there gives the same root.
  const emptyLevel = (bitmap: Uint8Array, depth: number) => {
    for (let level = 0; level < depth; level++) if ((((bitmap[level >> 3] as number) >> (7 - (level & 7))) & 1) === 0) return level;
    return -1;
  };
  const name = names.find((n) => { const { proof } = tree.prove(key(n)); return emptyLevel(proof.bitmap, proof.depth) >= 0; });
  assert.ok(name !== undefined, "some proof among 8 keys has an empty sibling");
  const { value, proof } = tree.prove(key(name));
  const level = emptyLevel(proof.bitmap, proof.depth);
  const bitmap = proof.bitmap.slice();
  bitmap[level >> 3] = (bitmap[level >> 3] as number) | (0x80 >> (level & 7));
  const below = countBitsBelow(proof.bitmap, level);
  const padded = { ...proof, bitmap, siblings: [...proof.siblings.slice(0, below), smtEmptyRoot(), ...proof.siblings.slice(below)] };
  assert.ok(verifyStateProof(tree.root, key(name), value, proof));
  assert.equal(verifyStateProof(tree.root, key(name), value, padded), false);
  assert.throws(() => encodeStateProof(padded), (err: unknown) => isGhostmeshError(err) && err.code === "MERKLE_SMT_PROOF_INVALID");
});

function countBitsBelow(bitmap: Uint8Array, level: number): number {
  let count = 0;
  for (let i = 0; i < level; i++) count += ((bitmap[i >> 3] as number) >> (7 - (i & 7))) & 1;
  return count;
}

test("stateProofFromJson names the bad field", () => {
  assert.throws(
    () => stateProofFromJson({ leaf: null, depth: 0, bitmap: "", siblings: ["zz"] }),
    (err: unknown) => isGhostmeshError(err) && err.code === "MERKLE_SMT_PROOF_INVALID" && /siblings\[0\]/.test(err.message),
  );
  assert.throws(() => stateProofFromJson({ leaf: null, depth: 0, bitmap: "", siblings: [], extra: 1 }), /extra/);
  assert.throws(() => stateProofFromJson("proof"), (err: unknown) => isGhostmeshError(err));
});

test("a source's cached nodes are used only when their hash matches, and updates and proofs hand out no shared arrays", () => {
  // A store of the rows of one update, with a cache that can be told to lie.
  const tree = createMemorySmt();
  const writes = Array.from({ length: 12 }, (_, i) => put(`k${i}`, `v${i}`));
  const first = tree.update(writes);
  const rows = new Map(first.nodes.map((node) => [toHex(node.path), node]));
  let cacheReads = 0;
  let lie = false;
  const loaded: string[] = [];
  const source: SmtNodeSource = {
    readNode: (path, version) => {
      const row = rows.get(toHex(path));
      return row === undefined || version !== 1 ? undefined : { version: 1, bytes: row.bytes.slice() };
    },
    cachedNode: (path, expectedHash) => {
      cacheReads++;
      const row = rows.get(toHex(path));
      if (row === undefined) return undefined;
      const node = decodeSmtNode({ version: 1, bytes: row.bytes }, lie ? smtEmptyRoot() : row.hash);
      return node !== undefined && toHex(node.hash) === toHex(expectedHash) ? node : undefined;
    },
    nodeLoaded: (path) => {
      loaded.push(toHex(path));
    },
  };
  const keyHash = smtKeyHash(key("k3"));
  const proof = proveSmt(source, tree.root, first.rootVersion, keyHash);
  assert.ok(cacheReads > 0 && loaded.length === 0, "every node came from the cache");
  assert.ok(verifyStateProof(tree.root, key("k3"), utf8("v3"), proof));
  for (const sibling of proof.siblings) sibling.fill(0);
  assert.ok(verifyStateProof(tree.root, key("k3"), utf8("v3"), proveSmt(source, tree.root, first.rootVersion, keyHash)), "the cached rows were not changed through the proof");
  lie = true;
  const update = updateSmt(source, tree.root, first.rootVersion, hashStateWrites([put("k3", "changed")]), 2);
  assert.ok(loaded.length > 0, "nodes whose cached hash is wrong are read from the store");
  assert.equal(toHex(update.root), toHex(tree.update([put("k3", "changed")]).root));
});
