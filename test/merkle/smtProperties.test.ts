import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import {
  createMemorySmt,
  decodeStateProof,
  encodeStateProof,
  smtKeyHash,
  smtRootFromLeaves,
  smtValueHash,
  verifyStateProof,
} from "../../src/merkle/index.ts";
import type { MemorySmt, StateProof, StateWrite } from "../../src/merkle/index.ts";
import { isGhostmeshError, toHex } from "../../src/util/index.ts";
import { flipBit } from "./helpers.ts";

// A fixed seed keeps runs reproducible; set SMT_PROPERTY_SEED to explore other cases.
const SEED = Number(process.env["SMT_PROPERTY_SEED"] ?? 0x5e17);
const PARAMETERS = { seed: SEED, numRuns: 60 };

/** Keys from a small alphabet so batches overwrite and delete keys that exist. */
const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bytes) => bytes.map((b) => b % 24));
const valueArb = fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null, freq: 4 });
const batchArb = fc.uniqueArray(fc.record({ key: keyArb, value: valueArb }), { maxLength: 40, selector: (w) => toHex(w.key) });
const historyArb = fc.array(batchArb, { minLength: 1, maxLength: 6 });

type Model = Map<string, Uint8Array>;

function replay(history: readonly (readonly StateWrite[])[]): { tree: MemorySmt; model: Model } {
  const tree = createMemorySmt();
  const model: Model = new Map();
  for (const batch of history) {
    tree.update(batch);
    for (const { key, value } of batch) {
      if (value === null) model.delete(toHex(key));
      else model.set(toHex(key), value);
    }
  }
  return { tree, model };
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

test("property: after any history of batches the root equals the from-scratch root, and the tree holds exactly its nodes", () => {
  fc.assert(
    fc.property(historyArb, (history) => {
      const { tree, model } = replay(history);
      const leaves = [...model].map(([key, value]) => ({ keyHash: smtKeyHash(fromHex(key)), valueHash: smtValueHash(value) }));
      assert.equal(toHex(tree.root), toHex(smtRootFromLeaves(leaves)));
      const fresh = createMemorySmt();
      fresh.update([...model].map(([key, value]) => ({ key: fromHex(key), value })));
      assert.equal(toHex(fresh.root), toHex(tree.root));
      assert.equal(tree.nodeCount, fresh.nodeCount, "no stale node left behind, none missing");
    }),
    PARAMETERS,
  );
});

test("property: every present key proves its value, and random absent keys prove absence", () => {
  fc.assert(
    fc.property(historyArb, fc.array(fc.uint8Array({ minLength: 4, maxLength: 6 }), { maxLength: 10 }), (history, strangers) => {
      const { tree, model } = replay(history);
      for (const [hex, value] of model) {
        const proven = tree.prove(fromHex(hex));
        assert.equal(toHex(proven.value as Uint8Array), toHex(value));
        assert.ok(verifyStateProof(tree.root, fromHex(hex), value, proven.proof), `presence of ${hex}`);
      }
      // Keys of 4+ bytes never occur in the model (its keys have 1-3 bytes).
      for (const stranger of strangers) {
        const proven = tree.prove(stranger);
        assert.equal(proven.value, null);
        assert.ok(verifyStateProof(tree.root, stranger, null, proven.proof), `absence of ${toHex(stranger)}`);
      }
    }),
    PARAMETERS,
  );
});

type Tamper = (proof: StateProof, bit: number) => StateProof | undefined;

/** Each returns a changed proof, or undefined when the proof has nothing of that kind to change. */
const TAMPERS: readonly Tamper[] = [
  (p, bit) => (p.siblings.length === 0 ? undefined : { ...p, siblings: p.siblings.map((s, i) => (i === bit % p.siblings.length ? flipBit(s, bit % 256) : s)) }),
  (p, bit) => (p.leaf === null ? undefined : { ...p, leaf: { ...p.leaf, keyHash: flipBit(p.leaf.keyHash, bit % 256) } }),
  (p, bit) => (p.leaf === null ? undefined : { ...p, leaf: { ...p.leaf, valueHash: flipBit(p.leaf.valueHash, bit % 256) } }),
  (p) => (p.leaf === null ? undefined : { ...p, leaf: null }),
  (p) => ({ ...p, depth: p.depth + 1, bitmap: p.depth % 8 === 0 ? new Uint8Array([...p.bitmap, 0]) : p.bitmap }),
  (p) => (p.depth === 0 ? undefined : { ...p, depth: p.depth - 1, bitmap: p.bitmap.slice(0, (p.depth + 6) >> 3).map((b, i, all) => (i === all.length - 1 && (p.depth - 1) % 8 !== 0 ? b & (0xff << (8 - ((p.depth - 1) % 8))) : b)) }),
  (p, bit) => (p.depth === 0 ? undefined : { ...p, bitmap: flipBit(p.bitmap, bit % p.depth) }),
  (p) => (p.siblings.length < 2 ? undefined : { ...p, siblings: [...p.siblings].reverse() }),
];

test("property: a tampered proof, value or root never verifies", () => {
  fc.assert(
    fc.property(historyArb, keyArb, fc.nat(), fc.nat({ max: TAMPERS.length - 1 }), (history, key, bit, tamperIndex) => {
      const { tree } = replay(history);
      const { value, proof } = tree.prove(key);
      const root = tree.root;
      assert.ok(verifyStateProof(root, key, value, proof));
      assert.equal(verifyStateProof(flipBit(root, bit % 256), key, value, proof), false, "flipped root");
      const otherValue = value === null ? new Uint8Array([1]) : value.byteLength === 0 ? null : flipBit(value, bit % (value.byteLength * 8));
      assert.equal(verifyStateProof(root, key, otherValue, proof), false, "other value");
      const tampered = (TAMPERS[tamperIndex] as Tamper)(proof, bit);
      if (tampered !== undefined) {
        assert.equal(verifyStateProof(root, key, value, tampered), false, `tamper #${tamperIndex}`);
      }
    }),
    { ...PARAMETERS, numRuns: 150 },
  );
});

test("property: decodeStateProof throws only GhostmeshError on random bytes and on mutated proofs", () => {
  const tree = createMemorySmt();
  tree.update(Array.from({ length: 200 }, (_, i) => ({ key: new Uint8Array([i, 7]), value: new Uint8Array([i]) })));
  const encodings = [0, 50, 199, 250].map((i) => encodeStateProof(tree.prove(new Uint8Array([i, 7])).proof));
  const decodeOrGhostmeshError = (bytes: Uint8Array) => {
    try {
      const proof = decodeStateProof(bytes);
      // Accepted bytes are the one canonical encoding of what they decode to.
      assert.equal(toHex(encodeStateProof(proof)), toHex(bytes));
    } catch (err) {
      assert.ok(isGhostmeshError(err), `not a GhostmeshError: ${String(err)}`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), decodeOrGhostmeshError), { ...PARAMETERS, numRuns: 500 });
  fc.assert(
    fc.property(fc.nat({ max: encodings.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (which, position, byte) => {
      const bytes = (encodings[which] as Uint8Array).slice();
      bytes[position % bytes.byteLength] = byte;
      decodeOrGhostmeshError(bytes);
      decodeOrGhostmeshError(bytes.subarray(0, position % bytes.byteLength));
    }),
    { ...PARAMETERS, numRuns: 500 },
  );
});
