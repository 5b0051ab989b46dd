/**
 * Consensus soak: long simulator sweeps of every within-bound scenario (not in CI; the lead
 * wires it as `npm run soak`). Runs are spread over worker threads; run i of a scenario
 * always uses seed S + i, so the verdicts do not depend on the number of workers, and a
 * failing run replays alone with the printed `ghostmesh sim` command.
 *
 *   node bench/consensus-soak.ts [--runs 1000] [--seed S] [--workers 2] [--scenario NAME]
 *
 * Without --seed a fresh seed is drawn (and printed first): a soak is for finding new
 * failures; --seed replays a soak exactly. Prints one JSON object; exit 1 on any violation.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
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

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: "string" }, seed: { type: "string" }, workers: { type: "string" }, scenario: { type: "string" } }, strict: true });
  const runs = Number(values.runs ?? 1000);
  // The one place a soak draws entropy: the edge, never the simulated core.
  const seed = values.seed === undefined ? Date.now() % 0x100000000 : Number(values.seed);
  const workers = Number(values.workers ?? Math.min(2, availableParallelism()));
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff || !Number.isSafeInteger(workers) || workers < 1) {
    process.stderr.write("usage: node bench/consensus-soak.ts [--runs N>=1] [--seed 0..4294967295] [--workers N>=1] [--scenario NAME]\n");
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => values.scenario === undefined || s.name === values.scenario);
  if (chosen.length === 0) {
    process.stderr.write(`unknown scenario; one of ${SCENARIOS.map((s) => s.name).join(", ")}\n`);
    return 2;
  }
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
