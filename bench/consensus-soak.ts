/**
 * Consensus soak: long simulator sweeps of every within-bound scenario (not in CI; the lead
 * wires it as `npm run soak`). Runs are spread over worker threads; run i of a scenario
 * always uses seed S + i, so the verdicts do not depend on the number of workers, and a
 * failing run replays alone with the printed `ghostmesh sim` command.
 *
 *   node bench/consensus-soak.ts [--runs 1000] [--seed S] [--workers 2] [--scenario NAME] (--help)
 *
 * Without --seed a fresh seed is drawn (and printed first): a soak is for finding new
 * failures; --seed replays a soak exactly. Prints one JSON object; exit 1 on any violation.
 */
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import {
  SweepAccumulator,
  defaultSimFaultOptions,
  defaultSimOptions,
  runSeed,
  runSimulation,
  type SimBehavior,
  type SimOptions,
  type SimRunResult,
} from "../src/sim/index.ts";
import { benchCommandLine, choiceArg, intArg } from "./lib/cli.ts";

type Scenario = { readonly name: string; readonly validators: number; readonly byzantine: number; readonly behavior: SimBehavior; readonly dropPpm: number; readonly partitions: boolean };

const SCENARIOS: readonly Scenario[] = [
  { name: "n4-mixed", validators: 4, byzantine: 1, behavior: "mixed", dropPpm: 100_000, partitions: true },
  { name: "n7-mixed", validators: 7, byzantine: 2, behavior: "mixed", dropPpm: 100_000, partitions: true },
  { name: "n10-mixed", validators: 10, byzantine: 3, behavior: "mixed", dropPpm: 100_000, partitions: true },
  { name: "n4-twins", validators: 4, byzantine: 1, behavior: "twins", dropPpm: 100_000, partitions: true },
  { name: "n7-twins", validators: 7, byzantine: 2, behavior: "twins", dropPpm: 50_000, partitions: true },
  { name: "n7-forged-qc", validators: 7, byzantine: 2, behavior: "forged-qc", dropPpm: 100_000, partitions: true },
  { name: "n10-withhold", validators: 10, byzantine: 3, behavior: "withhold", dropPpm: 100_000, partitions: true },
];

type Job = { readonly options: Omit<SimOptions, "seed">; readonly seed: number; readonly indices: readonly number[] };
type Reply = { readonly index: number; readonly result: SimRunResult };

function optionsOf(scenario: Scenario): Omit<SimOptions, "seed"> {
  const { validators, byzantine, behavior, dropPpm, partitions } = scenario;
  return defaultSimOptions({ validators, byzantine, behavior, seed: 0, faults: { ...defaultSimFaultOptions, dropPpm, partitions } });
}

function replayCommand(scenario: Scenario, seed: number): string {
  const drop = `0.${String(scenario.dropPpm).padStart(6, "0")}`.replace(/0+$/, "");
  return `ghostmesh sim --validators ${scenario.validators} --byzantine ${scenario.byzantine} --behavior ${scenario.behavior} --drop ${drop}${scenario.partitions ? " --partitions" : ""} --views 40 --runs 1 --seed ${seed}`;
}

async function sweep(scenario: Scenario, runs: number, seed: number, workers: number) {
  const options = optionsOf(scenario);
  const results: (SimRunResult | undefined)[] = new Array(runs);
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(workers, runs) }, (_, w) => {
      const indices = Array.from({ length: runs }, (_, i) => i).filter((i) => i % workers === w);
      const job: Job = { options, seed, indices };
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: job });
        worker.on("message", (reply: Reply) => {
          results[reply.index] = reply.result;
          if (++done % Math.max(1, Math.floor(runs / 10)) === 0) process.stderr.write(`soak ${scenario.name}: ${done}/${runs}\n`);
          if (reply.result.violations.length > 0) process.stderr.write(`soak ${scenario.name}: run ${reply.index} FAILED; replay: ${replayCommand(scenario, reply.result.seed)}\n`);
        });
        worker.on("error", reject);
        worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
      });
    }),
  );
  const accumulator = new SweepAccumulator();
  for (const result of results) if (result !== undefined) accumulator.add(result);
  const summary = accumulator.summary();
  return {
    scenario: scenario.name,
    ...summary,
    failures: summary.failures.map((f) => ({ seed: f.seed, kinds: [...new Set(f.violations.map((v) => v.kind))], replay: replayCommand(scenario, f.seed) })),
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

const HELP = `Usage: npm run soak -- [--runs N] [--seed S] [--workers N] [--scenario NAME]

Long simulator sweeps of every within-bound scenario (${SCENARIOS.map((s) => s.name).join(", ")}).
Run i of a scenario uses seed S + i, whatever the number of workers; a failing run prints the
ghostmesh sim command that replays it. Prints one JSON object; exit 1 on any violation.

Flags:
  --runs N          runs per scenario (default 1000)
  --seed S          first seed, 0 to 4294967295 (default: drawn fresh and printed; --seed replays a soak)
  --workers N       worker threads (default: 2, or the cores if fewer)
  --scenario NAME   only this scenario
  -h, --help        this help
`;

type SoakArgs = { readonly runs: number; readonly seed: number | undefined; readonly workers: number; readonly scenarios: readonly Scenario[] };

function parseSoakArgs(): SoakArgs {
  const options = { runs: { type: "string" }, seed: { type: "string" }, workers: { type: "string" }, scenario: { type: "string" } } as const;
  return benchCommandLine({ name: "bench/consensus-soak.ts", help: HELP, options }, ({ values }) => {
    const names = SCENARIOS.map((s) => s.name);
    const chosen = values.scenario === undefined ? null : choiceArg(values.scenario, "--scenario", names, names[0] as string);
    return {
      runs: intArg(values.runs, "--runs", { min: 1, max: 10_000_000 }, 1000),
      seed: intArg(values.seed, "--seed", { min: 0, max: 0xffffffff }),
      workers: intArg(values.workers, "--workers", { min: 1, max: 256 }, Math.min(2, availableParallelism())),
      scenarios: SCENARIOS.filter((s) => chosen === null || s.name === chosen),
    };
  });
}

async function main(): Promise<number> {
  const { runs, workers, scenarios: chosen, ...args } = parseSoakArgs();
  // The one place a soak draws entropy: the edge, never the simulated core.
  const seed = args.seed ?? Date.now() % 0x100000000;
  process.stderr.write(`soak: seed ${seed}, ${runs} runs per scenario, ${workers} workers\n`);
  const scenarios = [];
  for (const scenario of chosen) scenarios.push(await sweep(scenario, runs, seed, workers));
  const ok = scenarios.every((s) => s.safetyViolations === 0 && s.livenessFailures === 0);
  process.stdout.write(`${JSON.stringify({ benchmark: "ghostmesh.consensus.soak", seed, runs, ok, scenarios }, null, 2)}\n`);
  return ok ? 0 : 1;
}

if (isMainThread) {
  process.exitCode = await main();
} else {
  const job = workerData as Job;
  for (const index of job.indices) {
    const result = runSimulation({ ...job.options, seed: runSeed(job.seed, index) });
    parentPort?.postMessage({ index, result } satisfies Reply);
  }
}
