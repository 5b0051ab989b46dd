import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { emptyRoot, leafHash, MERKLE_HASH_SIZE_BYTES, nodeHash, rootFromLeafHashes } from "../../src/merkle/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";

function sha256Hex(...parts: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

// Roots of the upstream test tree (transparency-dev/merkle testonly) at sizes 1..8.
const REFERENCE_ENTRIES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const REFERENCE_ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

test("hash: emptyRoot is SHA-256 of the empty string", () => {
  assert.equal(toHex(emptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(toHex(rootFromLeafHashes([])), toHex(emptyRoot()));
});

test("hash: emptyRoot returns a fresh copy each call, so mutating one cannot change the next", () => {
  const first = emptyRoot();
  first.fill(0);
  assert.equal(toHex(emptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("hash: leafHash is SHA-256(0x00 || entry) for empty, small and scratch-overflowing entries", () => {
  for (const length of [0, 1, 31, 32, 33, 1000, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000]) {
    const entry = new Uint8Array(length).map((_, i) => (i * 7 + length) % 251);
    const hash = leafHash(entry);
    assert.equal(hash.byteLength, MERKLE_HASH_SIZE_BYTES);
    assert.equal(toHex(hash), sha256Hex(new Uint8Array([0]), entry), `entry of ${length} bytes`);
  }
});

test("hash: leafHash of a subarray hashes only the view, not the whole backing buffer", () => {
  const backing = new Uint8Array([9, 1, 2, 3, 9]);
  assert.equal(toHex(leafHash(backing.subarray(1, 4))), sha256Hex(new Uint8Array([0, 1, 2, 3])));
});

test("hash: nodeHash is SHA-256(0x01 || left || right), also for children that are not 32 bytes", () => {
  const left = fromHex("11".repeat(32));
  const right = fromHex("22".repeat(32));
  assert.equal(toHex(nodeHash(left, right)), sha256Hex(new Uint8Array([1]), left, right));
  assert.notEqual(toHex(nodeHash(left, right)), toHex(nodeHash(right, left)));
  const short = fromHex("abcd");
  assert.equal(toHex(nodeHash(short, right)), sha256Hex(new Uint8Array([1]), short, right));
});

test("hash: leaf and node hashes are domain-separated, so a node cannot pose as a leaf", () => {
  const left = fromHex("11".repeat(32));
  const right = fromHex("22".repeat(32));
  const concatenated = new Uint8Array([...left, ...right]);
  assert.notEqual(toHex(leafHash(concatenated)), toHex(nodeHash(left, right)));
});

test("hash: hashes are plain Uint8Arrays, so slice() copies instead of aliasing like Buffer", () => {
  for (const hash of [leafHash(new Uint8Array(3)), nodeHash(new Uint8Array(32), new Uint8Array(32)), emptyRoot()]) {
    assert.equal(Object.getPrototypeOf(hash), Uint8Array.prototype);
  }
});

test("hash: rootFromLeafHashes matches the upstream reference roots for sizes 1..8", () => {
  const leaves = REFERENCE_ENTRIES.map((hex) => leafHash(fromHex(hex)));
  for (let size = 1; size <= 8; size++) {
    assert.equal(toHex(rootFromLeafHashes(leaves.slice(0, size))), REFERENCE_ROOTS[size - 1], `size ${size}`);
  }
});

test("hash: rootFromLeafHashes of one leaf is that leaf, as a copy", () => {
  const leaf = leafHash(fromHex("aa"));
  const root = rootFromLeafHashes([leaf]);
  assert.equal(toHex(root), toHex(leaf));
  root.fill(0);
  assert.notEqual(toHex(leaf), toHex(root));
});

test("hash: rootFromLeafHashes rejects a leaf hash of the wrong length with MERKLE_HASH_LENGTH_INVALID", () => {
  const leaves = [leafHash(fromHex("01")), new Uint8Array(31)];
  assert.throws(
    () => rootFromLeafHashes(leaves),
    (err: unknown) => err instanceof GhostmeshError && err.code === "MERKLE_HASH_LENGTH_INVALID" && err.meta["index"] === 1,
  );
});
