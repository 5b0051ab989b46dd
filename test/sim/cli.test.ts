import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSimFlags, runSimCommand, simCommand } from "../../src/cli/cmds/sim.ts";
import { argvArbitrary, parseUsage, usageLinesOf } from "../helpers/usageGrammar.ts";

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void; env: NodeJS.ProcessEnv }; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { io: { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} }, out: () => out, err: () => err };
}

test("sim command: --json prints exactly one JSON object with the verdict and exits 0", async () => {
  const c = capture();
  const code = await runSimCommand(["--validators", "4", "--byzantine", "1", "--behavior", "mixed", "--runs", "3", "--seed", "5", "--drop", "0.1", "--partitions", "--views", "20", "--json"], c.io);
  assert.equal(code, 0, c.err());
  const lines = c.out().trim().split("\n");
  assert.equal(lines.length, 1, "one line of stdout");
  const summary = JSON.parse(lines[0] as string) as Record<string, number>;
  for (const key of ["runs", "committedBlocks", "safetyViolations", "livenessFailures", "evidenceCommitted", "p50CommitLatencyMs", "p99CommitLatencyMs", "p50RecoveryMs", "p99RecoveryMs"]) {
    assert.equal(typeof summary[key], "number", key);
  }
  assert.equal(summary.runs, 3);
  assert.ok((summary.p50RecoveryMs ?? 0) > 0 && (summary.p50RecoveryMs ?? 0) <= (summary.p99RecoveryMs ?? 0), "every run recovered after GST, in some virtual time");
  assert.equal(summary.safetyViolations, 0);
  assert.ok((summary.committedBlocks ?? 0) > 0);
  assert.match(c.err(), /3\/3 runs/, "progress goes to stderr");
});

test("sim command: beyond the bound it exits 1 and prints each failing seed with the command that replays it", async () => {
  const c = capture();
  const code = await runSimCommand(["--validators", "4", "--byzantine", "2", "--behavior", "twins", "--runs", "2", "--seed", "3", "--json"], c.io);
  assert.equal(code, 1);
  const summary = JSON.parse(c.out()) as { safetyViolations: number };
  assert.ok(summary.safetyViolations > 0);
  assert.match(c.err(), /replay with: ghostmesh sim --validators 4 --byzantine 2 --behavior twins --views 40 --runs 1 --seed 3\n/);
  assert.match(c.err(), /agreement/);
});

test("sim command: --weighted gives Byzantine keys power 1 and honest ones enough for a two-thirds majority, and replays with the flag", async () => {
  const c = capture();
  const code = await runSimCommand(["--validators", "4", "--byzantine", "2", "--behavior", "silent", "--weighted", "--runs", "2", "--seed", "8", "--views", "10", "--json"], c.io);
  assert.equal(code, 0, c.err());
  const summary = JSON.parse(c.out()) as { weighted: boolean; byzantinePower: number; powerTotal: number; livenessFailures: number; committedBlocks: number };
  // Honest keys hold 3 each: 2 of 8, under a third; unweighted, 2 silent of 4 stall (test below).
  assert.deepEqual([summary.weighted, summary.byzantinePower, summary.powerTotal, summary.livenessFailures], [true, 2, 8, 0]);
  assert.ok(summary.committedBlocks > 0);
  const beyond = capture();
  assert.equal(await runSimCommand(["--validators", "4", "--byzantine", "2", "--behavior", "silent", "--runs", "1", "--seed", "8", "--views", "5"], beyond.io), 1);
  assert.match(beyond.err(), /replay with: ghostmesh sim --validators 4 --byzantine 2 --behavior silent --views 5 --runs 1 --seed 8\n/);
  const replayed = capture();
  await runSimCommand(["--validators", "7", "--byzantine", "4", "--behavior", "silent", "--weighted", "--votes", "all", "--runs", "1", "--seed", "9", "--views", "5", "--view-timeout-ms", "1"], replayed.io);
  assert.match(replayed.err(), /replay with: ghostmesh sim --validators 7 --byzantine 4 --behavior silent --views 5 --votes all --weighted --view-timeout-ms 1 --runs 1 --seed 9\n/);
});

test("sim command: a replayed seed gives the same verdict as inside the sweep", async () => {
  const sweep = capture();
  await runSimCommand(["--validators", "4", "--byzantine", "1", "--behavior", "twins", "--runs", "2", "--seed", "40", "--views", "15", "--json"], sweep.io);
  const one = capture();
  await runSimCommand(["--validators", "4", "--byzantine", "1", "--behavior", "twins", "--runs", "1", "--seed", "41", "--views", "15", "--json"], one.io);
  const two = capture();
  await runSimCommand(["--validators", "4", "--byzantine", "1", "--behavior", "twins", "--runs", "1", "--seed", "40", "--views", "15", "--json"], two.io);
  const total = JSON.parse(sweep.out()).committedBlocks as number;
  assert.equal(total, (JSON.parse(one.out()).committedBlocks as number) + (JSON.parse(two.out()).committedBlocks as number));
});

test("sim command: bad flags exit 2 with a message naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--byzantine", "1"], /--validators/],
    [["--validators", "0"], /--validators: expected an integer from 1/],
    [["--validators", "4", "--byzantine", "1"], /--behavior is required/],
    // Found by a grammar-built fuzz of the flags: with no honest validator an adversary that
    // forms quorums alone and signs inline recursed until the stack overflowed.
    [["--validators", "1", "--byzantine", "1", "--behavior", "twins"], /--byzantine 1: at least one of the 1 validators must be honest/],
    [["--validators", "4", "--byzantine", "4", "--behavior", "silent"], /--byzantine 4: at least one of the 4 validators must be honest/],
    [["--validators", "4", "--byzantine", "1", "--behavior", "sneaky"], /--behavior: expected one of/],
    [["--validators", "4", "--drop", "1.5"], /--drop: expected a probability/],
    [["--validators", "4", "--seed", "-3"], /--seed/],
    [["--validators", "4", "--bogus"], /bogus/],
    [["--validators", "4", "--signatures", "rsa"], /--signatures/],
    [["--validators", "4", "--backoff-percent", "99"], /--backoff-percent: expected an integer from 100 to 400/],
    [["--validators", "4", "--backoff-views", "21"], /--backoff-views: expected an integer from 0 to 20/],
    [["--validators", "4", "--view-timeout-ms", "0"], /--view-timeout-ms/],
    [["--validators", "4", "--view-timeout-ms", "600000", "--backoff-percent", "400", "--backoff-views", "20"], /ceiling .* above a day/],
    [["--validators", "4", "--latency-ms", "60-5"], /--latency-ms: MIN \(60\) is above MAX \(5\)/],
    [["--validators", "4", "--latency-ms", "5to60"], /--latency-ms: expected MIN-MAX/],
    [["--validators", "4", "--latency-ms", "0-60"], /--latency-ms MIN/],
    [["--validators", "4", "--wipes", "2"], /--wipes: expected a probability/],
    [["--validators", "4", "--wipes", "0.5", "--no-crashes"], /--wipes needs crashes/],
  ];
  for (const [argv, message] of cases) {
    const c = capture();
    assert.equal(await runSimCommand(argv, c.io), 2, argv.join(" "));
    assert.match(c.err(), message, argv.join(" "));
    assert.equal(c.out(), "", "nothing on stdout");
  }
});

test("sim command: pacemaker and latency flags reach the run and its replay command: a view timer below the links' latency, never growing, loses liveness", async () => {
  const flags = ["--validators", "4", "--runs", "1", "--seed", "9", "--views", "10", "--no-crashes", "--latency-ms", "1000-1500", "--view-timeout-ms", "200", "--backoff-views", "0"];
  const starved = capture();
  assert.equal(await runSimCommand([...flags, "--json"], starved.io), 1);
  assert.equal((JSON.parse(starved.out()) as { livenessFailures: number }).livenessFailures, 1);
  assert.match(starved.err(), /replay with: ghostmesh sim --validators 4 --no-crashes --views 10 --view-timeout-ms 200 --backoff-views 0 --latency-ms 1000-1500 --runs 1 --seed 9\n/);
  const backingOff = capture();
  assert.equal(await runSimCommand([...flags, "--backoff-views", "4", "--json"], backingOff.io), 0, "a timer that may grow to 200 * 2^4 ms outlasts the latency");
});

test("sim command: --help prints usage and exits 0", async () => {
  const c = capture();
  assert.equal(await runSimCommand(["--help"], c.io), 0);
  assert.match(c.out(), /Usage: ghostmesh sim --validators N/);
});

test("sim command: flags built from its usage line, with small runs, exit 0, 1 or 2 with a message; 1 only beyond the bound or with custom timing (property)", async () => {
  const [usage] = usageLinesOf(simCommand.help);
  assert.ok(usage !== undefined, "the help has a usage line");
  const hostile = fc.constantFrom("", "-1", "x", "1.5", "99999999999999999999", "0");
  const mostly = (valid: fc.Arbitrary<string>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: hostile });
  const small: Record<string, fc.Arbitrary<string>> = {
    validators: fc.integer({ min: 1, max: 7 }).map(String),
    byzantine: fc.integer({ min: 0, max: 3 }).map(String),
    behavior: fc.constantFrom("twins", "silent", "withhold", "invalid", "forged-qc", "mixed"),
    runs: fc.constantFrom("1", "2"),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(String),
    drop: fc.constantFrom("0", "0.1", "0.5", "0.99"),
    views: fc.integer({ min: 1, max: 12 }).map(String),
    votes: fc.constantFrom("leader", "all"),
    signatures: fc.constant("ed25519"),
    "view-timeout-ms": fc.constantFrom("1", "50", "500"),
    "backoff-percent": fc.constantFrom("100", "200", "400"),
    "backoff-views": fc.constantFrom("0", "4", "20"),
    "latency-ms": fc.constantFrom("1-1", "5-60", "100-100", "60-5"),
  };
  const values = (metavar: string | null, flag: string | null) => (metavar === null ? fc.constant("") : mostly(small[flag ?? ""] ?? fc.constant("1")));
  const timingFlags = ["--view-timeout-ms", "--backoff-percent", "--backoff-views", "--latency-ms"];
  await fc.assert(
    fc.asyncProperty(argvArbitrary(parseUsage(usage), values), async ([, ...argv]) => {
      const c = capture();
      const code = await runSimCommand(argv, c.io);
      assert.ok([0, 1, 2].includes(code), `sim ${argv.join(" ")}: exit ${code}`);
      assert.doesNotMatch(c.err(), /unexpected error|\n\s+at /, `sim ${argv.join(" ")}`);
      if (code === 1) {
        const flag = (name: string) => argv[argv.indexOf(`--${name}`) + 1];
        const [n, f] = [Number(flag("validators")), argv.includes("--byzantine") ? Number(flag("byzantine")) : 0];
        // --weighted keeps Byzantine power under a third whatever F is.
        const beyondBound = !argv.includes("--weighted") && f > Math.floor((n - 1) / 3);
        assert.ok(beyondBound || timingFlags.some((t) => argv.includes(t)), `sim ${argv.join(" ")}: a violation within the bound\n${c.err()}`);
      }
    }),
    { numRuns: 150 },
  );
});

test("sim command: --wipes wipes stores at crashes within the fault bound, reports how many, and replays with the flag", async () => {
  const c = capture();
  assert.equal(await runSimCommand(["--validators", "4", "--runs", "3", "--seed", "11", "--views", "40", "--wipes", "0.9", "--json"], c.io), 0, c.err());
  const summary = JSON.parse(c.out()) as { wipes?: number; signedElsewhere?: number; safetyViolations: number };
  assert.equal(summary.safetyViolations, 0);
  assert.ok(summary.wipes !== undefined && summary.wipes >= 1 && summary.wipes <= 3, `one wipe at most per run of four validators (${summary.wipes})`);
  assert.equal(summary.signedElsewhere, 0, "the reservation covers what a wiped key signed: no sighting");
  const plain = capture();
  assert.equal(await runSimCommand(["--validators", "4", "--runs", "1", "--views", "5", "--json"], plain.io), 0);
  const plainSummary = JSON.parse(plain.out()) as object;
  assert.equal("wipes" in plainSummary || "signedElsewhere" in plainSummary, false, "no wipes or sightings field without --wipes");
  const config = parseSimFlags(["--validators", "4", "--wipes", "0.25"]);
  assert.ok(config !== "help" && config.replayFlags.includes("--wipes 0.25"));
});

test("sim command: --absent-leaders times absent leaders' views out at once, reports how many, and replays with the flag", async () => {
  const c = capture();
  assert.equal(await runSimCommand(["--validators", "4", "--byzantine", "1", "--behavior", "silent", "--votes", "all", "--absent-leaders", "--runs", "2", "--seed", "12", "--views", "40", "--json"], c.io), 0, c.err());
  const summary = JSON.parse(c.out()) as { absentLeaderTimeouts?: number; safetyViolations: number; livenessFailures: number };
  assert.deepEqual([summary.safetyViolations, summary.livenessFailures], [0, 0]);
  assert.ok(summary.absentLeaderTimeouts !== undefined && summary.absentLeaderTimeouts > 0, `views of the silent leader timed out at once (${summary.absentLeaderTimeouts})`);
  const plain = capture();
  assert.equal(await runSimCommand(["--validators", "4", "--runs", "1", "--views", "5", "--json"], plain.io), 0);
  assert.equal("absentLeaderTimeouts" in (JSON.parse(plain.out()) as object), false, "no such field without the flag");
  const config = parseSimFlags(["--validators", "4", "--absent-leaders"]);
  assert.ok(config !== "help" && config.replayFlags.includes("--absent-leaders"));
});
