/**
 * What a validator's signing reservation costs (decision 0200, "Session 32"): each write of
 * `validator.signing.json` (a temporary file fsynced, renamed, the directory fsynced, all on
 * libuv's threadpool), in wall time, process CPU and event-loop CPU, beside the raw limit of the
 * same disk measured in the same run: a small file rewritten and fsynced in place, synchronously.
 * Prints one JSON object. Run: npm run bench:signing-reservation
 */
import { mkdtempSync, openSync, closeSync, fsyncSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { initialSafetyState, SIGNING_RESERVATION_VIEWS, type SafetyState } from "../src/consensus/index.ts";
import { SIGNING_RESERVATION_VIEWS_MIN, SigningReservation } from "../src/node/consensus/signingReservation.ts";
import { benchCommandLine, intArg } from "./lib/cli.ts";
import { BENCH_CHAIN_ID, silentLogger } from "./lib/fixture.ts";
import { benchDirectory, machineFacts, round } from "./lib/machine.ts";
import { cpuMs, nowMs, progress, quantileOfSorted } from "./lib/timing.ts";

/** Validators in bench/consensus-node.ts, each renewing its own reservation. */
const VALIDATORS_IN_NODE_BENCH = 4;

const HELP = `Usage: ./node_modules/.bin/node bench/signing-reservation.ts [--writes N] [--views N]

Writes N signing reservations one after another, as a validator does every half of its span of
views, and reports each write's wall time (p50, p99), process CPU and event-loop CPU, beside the
raw rate of in-place fsyncs of a small file on the same disk, measured in the same run. Prints
one JSON object on stdout; progress on stderr.

Flags:
  --writes N   reservations written (default 400)
  --views N    views each reservation covers, ${SIGNING_RESERVATION_VIEWS_MIN} or more (default ${SIGNING_RESERVATION_VIEWS}, the node's): sets how
               many writes a view costs, reported for ${VALIDATORS_IN_NODE_BENCH} validators as in bench/consensus-node.ts
  -h, --help   this help

Environment:
  GHOSTMESH_BENCH_DIR  where the files go (default: the OS temporary directory)
`;

type Args = { readonly writes: number; readonly views: number };

function parseArgs(): Args {
  const options = { writes: { type: "string" }, views: { type: "string" } } as const;
  return benchCommandLine({ name: "bench/signing-reservation.ts", help: HELP, options }, ({ values }) => ({
    writes: intArg(values.writes, "--writes", { min: 1, max: 1_000_000 }, 400),
    views: intArg(values.views, "--views", { min: SIGNING_RESERVATION_VIEWS_MIN, max: 1_000_000 }, SIGNING_RESERVATION_VIEWS),
  }));
}

function loopCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Signs on view by view, as a validator's safety state does, awaiting each write the reservation starts. */
async function measureReservationWrites(dir: string, args: Args) {
  const reservation = new SigningReservation({ path: join(dir, "validator.signing.json"), chainId: BENCH_CHAIN_ID, genesisHash: new Uint8Array(32), viewsAhead: args.views }, { logger: silentLogger });
  const wallMs: number[] = [];
  let state: SafetyState = initialSafetyState(0, 0);
  const cpuBefore = cpuMs();
  const loopBefore = loopCpuMs();
  let views = 0;
  while (wallMs.length < args.writes) {
    views++;
    state = { ...state, lastVotedView: views, lastProposedView: views };
    const durableBefore = reservation.reservedThroughView;
    const started = nowMs();
    // Whether or not this view needs it yet, any write cover() started is awaited, so each is timed alone.
    await (reservation.cover(state) ?? reservation.settled());
    if (reservation.reservedThroughView !== durableBefore) wallMs.push(nowMs() - started);
  }
  const cpuPerWrite = (cpuMs() - cpuBefore) / args.writes;
  const loopPerWrite = (loopCpuMs() - loopBefore) / args.writes;
  wallMs.sort((a, b) => a - b);
  return { views, wallMsP50: round(quantileOfSorted(wallMs, 0.5), 3), wallMsP99: round(quantileOfSorted(wallMs, 0.99), 3), processCpuMsPerWrite: round(cpuPerWrite, 3), eventLoopCpuMsPerWrite: round(loopPerWrite, 3) };
}

/** The disk's raw limit: the same number of bytes written in place and fsynced, synchronously, over and over. */
function measureRawFsyncsPerSecond(dir: string, count: number, bytes: number): number {
  const fd = openSync(join(dir, "raw"), "w");
  const buffer = Buffer.alloc(bytes, 0x61);
  try {
    const started = nowMs();
    for (let i = 0; i < count; i++) {
      writeSync(fd, buffer, 0, bytes, 0);
      fsyncSync(fd);
    }
    return Math.round((count * 1000) / (nowMs() - started));
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const machine = machineFacts();
  const dir = mkdtempSync(join(benchDirectory(), "gm-bench-reservation-"));
  try {
    progress(`machine: ${machine.cpus} cpus, ${machine.benchDirectoryFilesystem} at ${dir}`);
    progress(`writing ${args.writes} reservations of ${args.views} views`);
    const writes = await measureReservationWrites(dir, args);
    progress(`fsyncing a small file in place ${args.writes} times`);
    const rawFsyncsPerSecond = measureRawFsyncsPerSecond(dir, args.writes, 160);
    const writesPerView = round(VALIDATORS_IN_NODE_BENCH / Math.floor(args.views / 2), 3);
    console.log(
      JSON.stringify({
        benchmark: "ghostmesh.signing-reservation",
        command: "./node_modules/.bin/node bench/signing-reservation.ts",
        machine,
        reservationViews: args.views,
        writes: args.writes,
        reservationWriteMsP50: writes.wallMsP50,
        reservationWriteMsP99: writes.wallMsP99,
        reservationWritesPerSecond: Math.round(1000 / writes.wallMsP50),
        rawInPlaceFsyncsPerSecond: rawFsyncsPerSecond,
        processCpuMsPerWrite: writes.processCpuMsPerWrite,
        eventLoopCpuMsPerWrite: writes.eventLoopCpuMsPerWrite,
        /** A validator renews at half its span; four validators in one process (bench/consensus-node.ts, one view per block when all goes well). */
        writesPerViewForFourValidators: writesPerView,
        processCpuMsPerViewForFourValidators: round(writesPerView * writes.processCpuMsPerWrite, 3),
        eventLoopCpuMsPerViewForFourValidators: round(writesPerView * writes.eventLoopCpuMsPerWrite, 3),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
