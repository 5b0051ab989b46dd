/**
 * Every bench answers --help without running, and refuses a bad command line with exit code 2
 * and a message naming what is wrong, before any work (bench/lib/cli.ts).
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { UsageError } from "../../src/cli/command.ts";
import { choiceArg, intArg } from "../../bench/lib/cli.ts";

const BENCH_DIR = join(import.meta.dirname, "..", "..", "bench");
const BENCHES = readdirSync(BENCH_DIR).filter((name) => name.endsWith(".ts")).sort();

type Ran = { readonly code: number; readonly stdout: string; readonly stderr: string };

function runBench(name: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(BENCH_DIR, name), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test("the bench directory holds the benches this test covers", () => {
  assert.ok(BENCHES.includes("consensus-node.ts") && BENCHES.length >= 10, `found ${BENCHES.join(", ")}`);
});

// Each check is a process starting up (~1 s of CPU, mostly loading the modules): two at once,
// so the suite's other test file running beside this one keeps a core.
describe("every bench's command line", { concurrency: 2 }, () => {
  for (const name of BENCHES) {
    test(`bench/${name} --help prints its usage and exits 0 without running`, async () => {
      const ran = await runBench(name, ["--help"]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^Usage: /);
      assert.match(ran.stdout, /--help/);
      // No progress line: the bench did not start.
      assert.equal(ran.stderr, "");
    });

  }
  // One bench of each kind (no arguments, flags, a positional): they share the parser.
  for (const name of ["merkle.ts", "consensus-node.ts", "sync.ts"]) {
    test(`bench/${name} refuses an unknown flag with exit code 2`, async () => {
      const ran = await runBench(name, ["--no-such-flag"]);
      assert.equal(ran.code, 2);
      assert.equal(ran.stdout, "");
      assert.match(ran.stderr, new RegExp(`^bench/${name.replace(".", "\\.")}: Unknown option '--no-such-flag'`));
      assert.match(ran.stderr, /\nUsage: /);
    });
  }
});

describe("bad values are refused with the flag or argument named", { concurrency: 2 }, () => {
  const cases: readonly [string, readonly string[], RegExp][] = [
    ["consensus-node.ts", ["--rate", "fast"], /--rate: expected an integer from 1 to/],
    ["consensus-node.ts", ["--votes", "some"], /--votes: expected all or nextLeader, got "some"/],
    ["consensus-node.ts", ["--helper-nice", "20"], /--helper-nice: expected an integer from 0 to 19/],
    ["consensus-node.ts", ["--block-txs-max", "0"], /--block-txs-max: expected an integer from 1 to 10000, got "0"/],
    ["consensus-node.ts", ["--signing-reservation-views", "1"], /--signing-reservation-views: expected an integer from 2 to/],
    ["consensus-node.ts", ["--stop-validators", "2"], /--stop-validators: expected an integer from 0 to 1, got "2"/],
    ["signing-reservation.ts", ["--writes", "0"], /--writes: expected an integer from 1 to 1000000, got "0"/],
    ["devnet-p2p.ts", ["--dandelion", "maybe"], /--dandelion: expected on or off/],
    ["epoch-switch.ts", ["--epoch-blocks", "2"], /--epoch-blocks: expected an integer from 4 to 1000, got "2"/],
    ["consensus-soak.ts", ["--scenario", "n5-nothing"], /--scenario: expected one of n4-mixed, /],
    ["consensus-sim.ts", ["3"], /N: expected an integer from 4 to 1000, got "3"/],
    ["sync.ts", ["0"], /BLOCKS: expected an integer from 1 to/],
    ["codec.ts", ["10", "20"], /expected at most 1 argument, got 2/],
  ];
  for (const [name, args, message] of cases) {
    test(`bench/${name} ${args.join(" ")}`, async () => {
      const ran = await runBench(name, args);
      assert.equal(ran.code, 2, ran.stderr);
      assert.match(ran.stderr, message);
    });
  }
});

test("intArg takes decimal integers in range only; choiceArg one of its choices", () => {
  const range = { min: 1, max: 10 };
  assert.equal(intArg("7", "--n", range), 7);
  assert.equal(intArg(undefined, "--n", range, 3), 3);
  assert.equal(intArg(undefined, "--n", range), undefined);
  for (const bad of ["0", "11", "1.5", "-1", "1e1", " 2", "0x3", ""]) {
    assert.throws(() => intArg(bad, "--n", range), (err: unknown) => err instanceof UsageError && err.message === `--n: expected an integer from 1 to 10, got "${bad}"`);
  }
  assert.equal(choiceArg("b", "--c", ["a", "b"] as const, "a"), "b");
  assert.equal(choiceArg(undefined, "--c", ["a", "b"] as const, "a"), "a");
  assert.throws(() => choiceArg("B", "--c", ["a", "b"] as const, "a"), (err: unknown) => err instanceof UsageError && /expected a or b/.test(err.message));
});
