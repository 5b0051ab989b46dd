import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createMemoryTileStore, leafHash, openMerkleLog, verifyConsistency, verifyInclusion } from "../../src/merkle/index.ts";
import { bytesEqual } from "../../src/util/index.ts";

// The repo root is two levels above test/merkle/; shared/ sits beside it.
const TESTDATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared", "conformance", "rfc6962", "testdata");

type InclusionVector = { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean };
type ConsistencyVector = { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean };

function listJsonFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listJsonFiles(path));
    else if (name.endsWith(".json")) files.push(path);
  }
  return files;
}

function decode(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, "base64"));
}

function decodeProof(proof: string[] | null): Uint8Array[] {
  return (proof ?? []).map(decode);
}

// The eight leaves of the upstream test tree (transparency-dev/merkle testonly): vectors 1-4
// are proofs in this tree, so the log must generate them byte for byte.
const REFERENCE_ENTRIES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const referenceStore = createMemoryTileStore();
const referenceLog = openMerkleLog(referenceStore, 0);
const referenceAppend = referenceLog.prepareAppend(REFERENCE_ENTRIES.map((hex) => leafHash(new Uint8Array(Buffer.from(hex, "hex")))));
referenceStore.write(referenceAppend.tiles);
referenceLog.commit(referenceAppend);

function isReferenceRoot(root: Uint8Array, treeSize: number): boolean {
  return treeSize >= 1 && treeSize <= referenceLog.size && bytesEqual(root, referenceLog.rootAt(treeSize));
}

const directoryExists = existsSync(TESTDATA_DIR);

test("conformance: the RFC 6962 vector directory exists and holds inclusion and consistency vectors", () => {
  assert.ok(directoryExists, `conformance vectors missing: expected ${TESTDATA_DIR} (shared/ beside the repo root)`);
  assert.ok(listJsonFiles(join(TESTDATA_DIR, "inclusion")).length > 0, "no inclusion vectors found");
  assert.ok(listJsonFiles(join(TESTDATA_DIR, "consistency")).length > 0, "no consistency vectors found");
});

const inclusionFiles = directoryExists ? listJsonFiles(join(TESTDATA_DIR, "inclusion")) : [];
const consistencyFiles = directoryExists ? listJsonFiles(join(TESTDATA_DIR, "consistency")) : [];
let generatedProofsCompared = 0;

for (const file of inclusionFiles) {
  const vector = JSON.parse(readFileSync(file, "utf8")) as InclusionVector;
  const name = relative(TESTDATA_DIR, file);
  test(`conformance: ${name} is ${vector.wantErr ? "rejected" : "verified"} by verifyInclusion`, () => {
    const root = decode(vector.root);
    const proof = decodeProof(vector.proof);
    const ok = verifyInclusion(decode(vector.leafHash), vector.leafIdx, vector.treeSize, proof, root);
    assert.equal(ok, !vector.wantErr, `${name}: ${vector.wantErr ? "accepted a bad proof" : "rejected a good proof"}`);
    if (!vector.wantErr && isReferenceRoot(root, vector.treeSize)) {
      assert.deepEqual(referenceLog.inclusionProof(vector.leafIdx, vector.treeSize), proof, `${name}: generated proof differs`);
      generatedProofsCompared++;
    }
  });
}

for (const file of consistencyFiles) {
  const vector = JSON.parse(readFileSync(file, "utf8")) as ConsistencyVector;
  const name = relative(TESTDATA_DIR, file);
  test(`conformance: ${name} is ${vector.wantErr ? "rejected" : "verified"} by verifyConsistency`, () => {
    const root1 = decode(vector.root1);
    const root2 = decode(vector.root2);
    const proof = decodeProof(vector.proof);
    const ok = verifyConsistency(vector.size1, vector.size2, proof, root1, root2);
    assert.equal(ok, !vector.wantErr, `${name}: ${vector.wantErr ? "accepted a bad proof" : "rejected a good proof"}`);
    if (!vector.wantErr && isReferenceRoot(root1, vector.size1) && isReferenceRoot(root2, vector.size2)) {
      assert.deepEqual(referenceLog.consistencyProof(vector.size1, vector.size2), proof, `${name}: generated proof differs`);
      generatedProofsCompared++;
    }
  });
}

test("conformance: the log regenerates the upstream happy-path proofs byte for byte", () => {
  // Runs after the vector tests above (node:test runs a file's tests in order).
  assert.ok(generatedProofsCompared >= 8, `only ${generatedProofsCompared} vector proofs were compared with generated ones`);
});
