/**
 * Merkle log append throughput next to the raw SHA-256 limit measured in the same run.
 * Prints one JSON object. Run: ./node_modules/.bin/node bench/merkle.ts
 */
import { hash } from "node:crypto";
import { createMemoryTileStore, leafHash, openMerkleLog } from "../src/merkle/index.ts";
import { benchCommandLine } from "./lib/cli.ts";

const LEAF_COUNT = 100_000;
const BLOCK_LEAVES = 1_000; // a realistic block; the single-append figure is reported too
const SHA256_INPUT_BYTES = 65; // 0x01 || left || right: what every node hash costs
const SHA256_ITERATIONS = 300_000;

function secondsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

function makeLeafHashes(count: number): Uint8Array[] {
  const entry = new Uint8Array(8);
  const view = new DataView(entry.buffer);
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    view.setBigUint64(0, BigInt(i));
    leaves.push(leafHash(entry));
  }
  return leaves;
}

function measureSha256PerSecond(): number {
  const input = new Uint8Array(SHA256_INPUT_BYTES).fill(1);
  const start = process.hrtime.bigint();
  for (let i = 0; i < SHA256_ITERATIONS; i++) hash("sha256", input, "buffer");
  return SHA256_ITERATIONS / secondsSince(start);
}

/** prepareAppend + commit of all leaves in chunks of `chunkLeaves`; tiles go to a memory store untimed. */
function measureAppendSeconds(leaves: readonly Uint8Array[], chunkLeaves: number): { seconds: number; root: string } {
  const log = openMerkleLog(createMemoryTileStore(), 0);
  let seconds = 0;
  for (let offset = 0; offset < leaves.length; offset += chunkLeaves) {
    const chunk = leaves.slice(offset, offset + chunkLeaves);
    const start = process.hrtime.bigint();
    log.commit(log.prepareAppend(chunk));
    seconds += secondsSince(start);
  }
  return { seconds, root: Buffer.from(log.root()).toString("hex") };
}

const HELP = `Usage: ./node_modules/.bin/node bench/merkle.ts

Merkle log appends per second (${LEAF_COUNT} leaves, in blocks of ${BLOCK_LEAVES} and one at a time), beside
the raw SHA-256 rate of ${SHA256_INPUT_BYTES}-byte inputs measured in the same run. Prints one JSON object.

  -h, --help   this help
`;

function main(): void {
  benchCommandLine({ name: "bench/merkle.ts", help: HELP, options: {} }, () => undefined);
  const leafStart = process.hrtime.bigint();
  const leaves = makeLeafHashes(LEAF_COUNT);
  const leafHashesPerSecond = LEAF_COUNT / secondsSince(leafStart);
  measureAppendSeconds(leaves.slice(0, 20_000), BLOCK_LEAVES); // warm-up
  measureSha256PerSecond(); // warm-up
  const sha256PerSecond = measureSha256PerSecond();
  const blocks = measureAppendSeconds(leaves, BLOCK_LEAVES);
  const single = measureAppendSeconds(leaves, LEAF_COUNT);
  if (blocks.root !== single.root) throw new Error("chunked and single appends disagree on the root");
  const result = {
    benchmark: "merkle.append",
    leaves: LEAF_COUNT,
    chunkLeaves: BLOCK_LEAVES,
    leavesPerSecond: Math.round(LEAF_COUNT / blocks.seconds),
    leavesPerSecondSingleAppend: Math.round(LEAF_COUNT / single.seconds),
    sha256PerSecond: Math.round(sha256PerSecond),
    sha256InputBytes: SHA256_INPUT_BYTES,
    leafHashesPerSecond: Math.round(leafHashesPerSecond),
    root: blocks.root,
    node: process.version,
  };
  console.log(JSON.stringify(result));
}

main();
