/**
 * `ghostmesh sim`: runs the consensus engines in the deterministic simulator under Byzantine
 * keys, loss, partitions and crashes, and checks agreement, validity, evidence and liveness.
 * stdout carries one JSON object with --json; progress, failures and replay commands go to
 * stderr. Exit 0: no violation; 1: a violation; 2: bad flags.
 */
import { parseArgs } from "node:util";
import { VIEW_TIMEOUT_MS_MAX, defaultConsensusTiming, faultsTolerated, viewTimeoutMaxMs, type ConsensusTiming } from "../../consensus/index.ts";
import {
  defaultSimFaultOptions,
  defaultSimNetworkOptions,
  defaultSimTiming,
  defaultSimOptions,
  powerTotalOf,
  runSweep,
  simBehaviors,
  SimBehavior,
  SimSignatureScheme,
  type SimOptions,
  type SimRunResult,
  type SimSummary,
} from "../../sim/index.ts";
import { errorMessage } from "../../util/index.ts";
import { UsageError, intArg, processIo, type Command, type Io } from "../command.ts";

const help = `Usage: ghostmesh sim --validators N [--byzantine F --behavior B] [--runs R] [--seed S]
                     [--drop P] [--partitions] [--no-crashes] [--wipes P] [--views V]
                     [--votes leader|all] [--weighted] [--absent-leaders]
                     [--signatures ed25519|ml-dsa-65] [--json]
                     [--view-timeout-ms T] [--backoff-percent P] [--backoff-views K]
                     [--latency-ms MIN-MAX]

Runs N real consensus engines on virtual time with one seeded RNG: lossy, reordering,
duplicating links, crashes and restarts (by default), partitions (--partitions) and F
Byzantine validators. After an adversarial phase of V views, the network stabilises (GST)
and commits must resume. Checks: agreement, validity, honest equivocation, evidence,
liveness. Run i uses seed S + i; a failing run prints the command that replays it.

Flags:
  --validators N   committee size, 1..1000 (equal voting power, unless --weighted)
  --byzantine F    Byzantine validators, 0..N-1 (default 0); F > floor((N-1)/3) is beyond the
                   bound, unless --weighted
  --behavior B     ${simBehaviors.filter((b) => b !== "none").join("|")}
                   twins: two nodes share a key and equivocate; the network splits their halves
                   mixed: each Byzantine validator draws one of the other behaviours
  --runs R         runs (default 1)
  --seed S         seed of run 0, 0..4294967295 (default 1)
  --drop P         message loss before GST, 0 <= P < 1 (default 0)
  --partitions     partition the network before GST (random splits that heal)
  --no-crashes     no crash/restart of honest validators
  --wipes P        share of crashes that also wipe the validator's store, 0 <= P < 1 (default
                   0): it restarts from genesis with only its signing reservation (decision
                   0200). A wiped validator counts as a fault for the rest of the run, so a
                   wipe happens only while Byzantine and wiped power stay under a third
  --views V        length of the adversarial phase in views (default 40)
  --votes D        leader (default): votes go to the next leader; all: every validator gets
                   every vote, forms each QC and commits without waiting for the next proposal
  --weighted       unequal powers: each Byzantine validator holds 1, each honest one the least
                   power that keeps Byzantine power under a third, so F may outnumber N/3;
                   leaders follow the power-weighted schedule (decision 0101)
  --absent-leaders honest validators time a view out at once when its leader is absent, as
                   the node does: crashed (every copy of its key), or, with --votes all,
                   silent for 2n views (at least 8). Off by default: the view timer is the
                   worst case the liveness bound must hold in
  --signatures S   ed25519 (default, fast) or ml-dsa-65 (production scheme, ~10x slower)
  --json           one JSON object on stdout

Pacemaker and network (to study timings; defaults are the simulator's, the node's are
${defaultConsensusTiming.viewTimeoutBaseMs} ms, ${defaultConsensusTiming.backoffPercent} % and ${defaultConsensusTiming.backoffExponentMax} views):
  --view-timeout-ms T  view timer after a QC, 1..600000 (default ${defaultSimTiming.viewTimeoutBaseMs})
  --backoff-percent P  each view without a QC multiplies the timer by P/100, 100..400 (default ${defaultSimTiming.backoffPercent})
  --backoff-views K    ...for at most K views, 0..20 (default ${defaultSimTiming.backoffExponentMax}); the timer's
                       ceiling is T * (P/100)^K, at most a day
  --latency-ms MIN-MAX each link's base latency is drawn from [MIN, MAX] ms, 1..600000
                       (default ${defaultSimNetworkOptions.latencyMinMs}-${defaultSimNetworkOptions.latencyMaxMs}), plus up to ${defaultSimNetworkOptions.jitterMs} ms of jitter per message

Output: the verdicts, commit latency (proposal to commit, virtual ms) and recovery (GST
until every live honest validator has committed again, virtual ms, over the runs that did).

Examples:
  ghostmesh sim --validators 4 --byzantine 1 --behavior mixed --runs 1000 --seed 7 --drop 0.1 --partitions
  ghostmesh sim --validators 4 --byzantine 2 --behavior twins --runs 5 --seed 1   # beyond the bound: exits 1
  ghostmesh sim --validators 7 --byzantine 4 --behavior silent --weighted --runs 100   # 4 of 7, 4 of 13 power
`;

const flagOptions = {
  validators: { type: "string" },
  byzantine: { type: "string" },
  behavior: { type: "string" },
  runs: { type: "string" },
  seed: { type: "string" },
  drop: { type: "string" },
  partitions: { type: "boolean" },
  "no-crashes": { type: "boolean" },
  wipes: { type: "string" },
  views: { type: "string" },
  votes: { type: "string" },
  weighted: { type: "boolean" },
  "absent-leaders": { type: "boolean" },
  signatures: { type: "string" },
  "view-timeout-ms": { type: "string" },
  "backoff-percent": { type: "string" },
  "backoff-views": { type: "string" },
  "latency-ms": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ args: string[]; options: typeof flagOptions; strict: true }>>["values"];

function integer(value: string | undefined, flag: string, min: number, max: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`missing required flag --${flag}`);
    return fallback;
  }
  return intArg(value, `--${flag}`, { min, max });
}

/** A probability as parts per million, from a decimal like 0.1 (no float arithmetic in the run). */
function probabilityPpm(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const match = /^(0|1)?(?:\.(\d{1,6}))?$/.exec(value);
  if (match === null || value === "" || value === "." || match[1] === "1") throw new UsageError(`--${flag}: expected a probability 0 <= P < 1 with at most 6 decimals, got "${value}"`);
  return Number((match[2] ?? "").padEnd(6, "0"));
}

/** Upper bound of the millisecond flags (--view-timeout-ms, --latency-ms): ten minutes. */
const FLAG_MS_MAX = 600_000;

/** "MIN-MAX" milliseconds, MIN <= MAX. */
function latencyRangeMs(value: string | undefined): readonly [number, number] {
  if (value === undefined) return [defaultSimNetworkOptions.latencyMinMs, defaultSimNetworkOptions.latencyMaxMs];
  const match = /^(\d+)-(\d+)$/.exec(value);
  if (match === null) throw new UsageError(`--latency-ms: expected MIN-MAX in milliseconds (e.g. 5-60), got "${value}"`);
  const min = intArg(match[1] as string, "--latency-ms MIN", { min: 1, max: FLAG_MS_MAX });
  const max = intArg(match[2] as string, "--latency-ms MAX", { min: 1, max: FLAG_MS_MAX });
  if (min > max) throw new UsageError(`--latency-ms: MIN (${min}) is above MAX (${max})`);
  return [min, max];
}

function timingOf(values: Flags): ConsensusTiming {
  const timing: ConsensusTiming = {
    viewTimeoutBaseMs: integer(values["view-timeout-ms"], "view-timeout-ms", 1, FLAG_MS_MAX, defaultSimTiming.viewTimeoutBaseMs),
    backoffPercent: integer(values["backoff-percent"], "backoff-percent", 100, 400, defaultSimTiming.backoffPercent),
    backoffExponentMax: integer(values["backoff-views"], "backoff-views", 0, 20, defaultSimTiming.backoffExponentMax),
  };
  const ceilingMs = viewTimeoutMaxMs(timing);
  if (ceilingMs > VIEW_TIMEOUT_MS_MAX) throw new UsageError(`the view timer's ceiling T * (P/100)^K is ${ceilingMs} ms, above a day (${VIEW_TIMEOUT_MS_MAX} ms): lower --view-timeout-ms, --backoff-percent or --backoff-views`);
  return timing;
}

export type SimCommandConfig = { readonly options: Omit<SimOptions, "seed">; readonly runs: number; readonly seed: number; readonly json: boolean; readonly replayFlags: string };

export function parseSimFlags(argv: string[]): SimCommandConfig | "help" {
  let values: Flags;
  try {
    values = parseArgs({ args: argv, options: flagOptions, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/^TypeError \[\w+\]: /, ""));
  }
  if (values.help === true) return "help";
  const validators = integer(values.validators, "validators", 1, 1000);
  const byzantine = integer(values.byzantine, "byzantine", 0, validators, 0);
  if (byzantine >= validators) throw new UsageError(`--byzantine ${byzantine}: at least one of the ${validators} validators must be honest: the checkers judge what honest validators commit`);
  const behavior = (values.behavior ?? (byzantine === 0 ? SimBehavior.none : undefined)) as SimBehavior | undefined;
  if (behavior === undefined) throw new UsageError("--behavior is required when --byzantine is above 0");
  if (!simBehaviors.includes(behavior)) throw new UsageError(`--behavior: expected one of ${simBehaviors.join(", ")}, got "${behavior}"`);
  if (behavior !== SimBehavior.none && byzantine === 0) throw new UsageError(`--behavior ${behavior} needs --byzantine 1 or more`);
  if (behavior === SimBehavior.none && byzantine > 0) throw new UsageError("--behavior none cannot go with Byzantine validators");
  const scheme = (values.signatures ?? SimSignatureScheme.ed25519) as SimSignatureScheme;
  if (scheme !== SimSignatureScheme.ed25519 && scheme !== SimSignatureScheme.mlDsa65) throw new UsageError(`--signatures: expected ed25519 or ml-dsa-65, got "${scheme}"`);
  const runs = integer(values.runs, "runs", 1, 10_000_000, 1);
  const seed = integer(values.seed, "seed", 0, 0xffffffff, 1);
  const views = integer(values.views, "views", 1, 100_000, 40);
  const dropPpm = probabilityPpm(values.drop, "drop");
  const partitions = values.partitions === true;
  const crashes = values["no-crashes"] !== true;
  const wipePpm = probabilityPpm(values.wipes, "wipes");
  if (wipePpm > 0 && !crashes) throw new UsageError("--wipes needs crashes: it is the share of crashes that wipe; drop --no-crashes");
  const votes = values.votes ?? "leader";
  if (votes !== "leader" && votes !== "all") throw new UsageError(`--votes: expected leader or all, got "${votes}"`);
  const voteDelivery = votes === "all" ? "all" : "nextLeader";
  const weighted = values.weighted === true;
  const absentLeaders = values["absent-leaders"] === true;
  const timing = timingOf(values);
  const [latencyMinMs, latencyMaxMs] = latencyRangeMs(values["latency-ms"]);
  const network = { ...defaultSimNetworkOptions, latencyMinMs, latencyMaxMs };
  const options = defaultSimOptions({ validators, byzantine, behavior, seed: 0, views, scheme, voteDelivery, weighted, absentLeaders, timing, network, faults: { ...defaultSimFaultOptions, dropPpm, partitions, crashes, wipePpm } });
  const replayFlags = [
    `--validators ${validators}`,
    byzantine > 0 ? `--byzantine ${byzantine} --behavior ${behavior}` : "",
    values.drop !== undefined ? `--drop ${values.drop}` : "",
    partitions ? "--partitions" : "",
    crashes ? "" : "--no-crashes",
    values.wipes !== undefined ? `--wipes ${values.wipes}` : "",
    `--views ${views}`,
    votes === "all" ? "--votes all" : "",
    weighted ? "--weighted" : "",
    absentLeaders ? "--absent-leaders" : "",
    scheme !== SimSignatureScheme.ed25519 ? `--signatures ${scheme}` : "",
    values["view-timeout-ms"] !== undefined ? `--view-timeout-ms ${timing.viewTimeoutBaseMs}` : "",
    values["backoff-percent"] !== undefined ? `--backoff-percent ${timing.backoffPercent}` : "",
    values["backoff-views"] !== undefined ? `--backoff-views ${timing.backoffExponentMax}` : "",
    values["latency-ms"] !== undefined ? `--latency-ms ${latencyMinMs}-${latencyMaxMs}` : "",
  ].filter((part) => part !== "").join(" ");
  return { options, runs, seed, json: values.json === true, replayFlags };
}

function reportFailure(io: Io, config: SimCommandConfig, index: number, result: SimRunResult): void {
  const lines = result.violations.map((v) => `    ${v.kind} at ${v.timeMs} ms: ${v.detail}`);
  io.stderr(`sim: run ${index} (seed ${result.seed}, roles ${result.roles.join(",")}) FAILED:\n${lines.join("\n")}\n`);
  io.stderr(`sim: replay with: ghostmesh sim ${config.replayFlags} --runs 1 --seed ${result.seed}\n`);
}

function output(io: Io, config: SimCommandConfig, summary: SimSummary): void {
  const { options } = config;
  const json = {
    runs: summary.runs,
    committedBlocks: summary.committedBlocks,
    safetyViolations: summary.safetyViolations,
    livenessFailures: summary.livenessFailures,
    evidenceCommitted: summary.evidenceCommitted,
    invalidProposalEvidenceCommitted: summary.invalidProposalEvidenceCommitted,
    evidenceMissing: summary.evidenceMissing,
    p50CommitLatencyMs: summary.p50CommitLatencyMs,
    p99CommitLatencyMs: summary.p99CommitLatencyMs,
    p50RecoveryMs: summary.p50RecoveryMs,
    p99RecoveryMs: summary.p99RecoveryMs,
    validators: options.validators,
    byzantine: options.byzantine,
    faultsTolerated: faultsTolerated(options.validators),
    behavior: options.behavior,
    ...(options.weighted ? { weighted: true, byzantinePower: options.byzantine, powerTotal: powerTotalOf(options) } : {}),
    ...(options.faults.wipePpm > 0 ? { wipes: summary.wipes, signedElsewhere: summary.signedElsewhere } : {}),
    ...(options.absentLeaders ? { absentLeaderTimeouts: summary.absentLeaderTimeouts } : {}),
    seed: config.seed,
  };
  if (config.json) {
    io.stdout(`${JSON.stringify(json)}\n`);
    return;
  }
  io.stdout(
    `${summary.runs} runs, n=${options.validators}, byzantine=${options.byzantine} (${options.behavior}), ${options.weighted ? `weighted: Byzantine power ${json.byzantinePower} of ${json.powerTotal}` : `tolerated f=${json.faultsTolerated}`}\n` +
      `committed blocks: ${summary.committedBlocks}, evidence committed: ${summary.evidenceCommitted} (invalid proposals: ${summary.invalidProposalEvidenceCommitted})\n` +
      `safety violations: ${summary.safetyViolations}, liveness failures: ${summary.livenessFailures}\n` +
      `commit latency (virtual): p50 ${summary.p50CommitLatencyMs} ms, p99 ${summary.p99CommitLatencyMs} ms\n` +
      `recovery after GST (virtual): p50 ${summary.p50RecoveryMs} ms, p99 ${summary.p99RecoveryMs} ms\n` +
      (options.faults.wipePpm > 0 ? `crashes that wiped a store: ${summary.wipes}, signatures of a wiped key seen from its former self: ${summary.signedElsewhere}\n` : "") +
      (options.absentLeaders ? `views timed out at once, their leader absent: ${summary.absentLeaderTimeouts}\n` : ""),
  );
}

export async function runSimCommand(argv: string[], io: Io = processIo): Promise<number> {
  let config: SimCommandConfig | "help";
  try {
    config = parseSimFlags(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`ghostmesh sim: ${err.message}\n(see ghostmesh sim --help)\n`);
    return 2;
  }
  if (config === "help") {
    io.stdout(help);
    return 0;
  }
  const parsed = config;
  const progressEvery = Math.max(1, Math.floor(parsed.runs / 20));
  let failedRuns = 0;
  const summary = runSweep(parsed.options, parsed.runs, parsed.seed, (index, result) => {
    if (result.violations.length > 0) {
      failedRuns++;
      reportFailure(io, parsed, index, result);
    }
    if (parsed.runs > 1 && ((index + 1) % progressEvery === 0 || index + 1 === parsed.runs)) io.stderr(`sim: ${index + 1}/${parsed.runs} runs, ${failedRuns} failed\n`);
  });
  output(io, parsed, summary);
  return summary.safetyViolations > 0 || summary.livenessFailures > 0 ? 1 : 0;
}

/** For the main CLI's command table. */
export const simCommand: Command = {
  name: "sim",
  summary: "Deterministic simulation of the consensus under Byzantine validators, loss, partitions and crashes",
  help,
  run: (argv, io) => runSimCommand(argv, io),
};

if (import.meta.main) {
  process.exitCode = await runSimCommand(process.argv.slice(2));
}
