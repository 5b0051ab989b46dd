/** Facts about the machine a bench ran on, printed beside every figure. */
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";

/** libuv's default when UV_THREADPOOL_SIZE is unset (libuv docs: "Its default size is 4"). */
const LIBUV_THREADPOOL_SIZE_DEFAULT = 4;

export type MachineFacts = {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly nodeVersion: string;
  readonly opensslVersion: string;
  readonly libuvVersion: string;
  readonly libuvThreadpoolSize: number;
  readonly platform: string;
  /** The machine may be shared: a load well above zero at start means other work competed. */
  readonly loadAverage1mAtStart: number;
  /** Where the bench databases live; on tmpfs an fsync costs nothing and commit rates flatter. */
  readonly benchDirectory: string;
  readonly benchDirectoryFilesystem: string;
};

/** statfs f_type magic numbers (linux/magic.h) of the file systems a bench is likely to meet. */
const FILESYSTEM_NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, "ext4"],
  [0x58465342, "xfs"],
  [0x9123683e, "btrfs"],
  [0x01021994, "tmpfs"],
  [0x794c7630, "overlayfs"],
  [0x2fc12fc1, "zfs"],
]);

/** Set GHOSTMESH_BENCH_DIR to put the bench databases on the disk a node would use. */
export function benchDirectory(): string {
  return process.env.GHOSTMESH_BENCH_DIR ?? tmpdir();
}

function filesystemName(path: string): string {
  const type = statfsSync(path).type;
  return FILESYSTEM_NAMES.get(type) ?? `unknown (0x${type.toString(16)})`;
}

export function machineFacts(): MachineFacts {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? "", 10);
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    nodeVersion: process.version,
    opensslVersion: process.versions.openssl ?? "unknown",
    libuvVersion: process.versions.uv ?? "unknown",
    libuvThreadpoolSize: Number.isSafeInteger(configured) && configured > 0 ? configured : LIBUV_THREADPOOL_SIZE_DEFAULT,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1mAtStart: loadAverage1m(),
    benchDirectory: benchDirectory(),
    benchDirectoryFilesystem: filesystemName(benchDirectory()),
  };
}

export function loadAverage1m(): number {
  return round(loadavg()[0] ?? 0, 2);
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * CPU time the hypervisor gave other guests while this machine's vCPUs wanted to run
 * ("steal", the 8th value of /proc/stat's cpu line), summed over all vCPUs. On a shared VM it
 * says how much of a run's wall time went to other tenants: a slow run with seconds of steal
 * measured the neighbours. null where /proc/stat is absent (not Linux).
 */
export function cpuStealSeconds(): number | null {
  const text = procText("/proc/stat");
  if (text === null) return null;
  const fields = text.split("\n", 1)[0]?.trim().split(/\s+/) ?? [];
  const steal = Number(fields[8]);
  // /proc/stat counts in USER_HZ, which Linux fixes at 100 for every architecture's userspace ABI.
  return fields[0] === "cpu" && Number.isFinite(steal) ? steal / 100 : null;
}

/** Steal time from now until the returned function is called (null off Linux). */
export function startStealMeter(): () => number | null {
  const start = cpuStealSeconds();
  return () => {
    const end = cpuStealSeconds();
    return start === null || end === null ? null : round(end - start, 2);
  };
}

export type ProcessWrites = { readonly bytes: number; readonly calls: number };

/**
 * Bytes this process handed to write system calls, and how many calls (`wchar` and `syscw` of
 * /proc/self/io): for SQLite in WAL mode, the WAL frames (a 24-byte header and a page, one call
 * each) and the checkpoints that copy them into the database. null off Linux.
 */
export function processWrites(): ProcessWrites | null {
  const text = procText("/proc/self/io");
  if (text === null) return null;
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1]);
  const bytes = field("wchar");
  const calls = field("syscw");
  return Number.isSafeInteger(bytes) && Number.isSafeInteger(calls) ? { bytes, calls } : null;
}

/** CPU time (user + system, ms) of each of this process's threads, by thread id, with its name. */
export type ThreadCpuSnapshot = ReadonlyMap<string, { readonly name: string; readonly cpuMs: number }>;

/** /proc/<pid>/task/<tid>/stat counts utime and stime (fields 14 and 15) in USER_HZ ticks, 100 per second on Linux. */
const TICK_MS = 10;

/** This process's threads and the CPU each has used so far (`/proc/self/task`); null off Linux. */
export function threadCpuSnapshot(): ThreadCpuSnapshot | null {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return null;
  }
  const threads = new Map<string, { name: string; cpuMs: number }>();
  for (const tid of tids) {
    const stat = procText(`/proc/self/task/${tid}/stat`);
    if (stat === null) continue; // exited since the listing
    // The name sits in parentheses and may hold spaces; the numeric fields follow the last ")".
    const nameEnd = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, nameEnd);
    const fields = stat.slice(nameEnd + 2).split(" ");
    // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime fields[12].
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number.isSafeInteger(ticks)) threads.set(tid, { name, cpuMs: ticks * TICK_MS });
  }
  return threads;
}

/**
 * CPU used since `before`, summed by thread name (libuv-worker: the threadpool, which signs and
 * verifies; MainThread: the event loop; V8Worker: garbage collection and compilation;
 * WorkerThread: worker threads; gm-wal-sync: the WAL sync threads). Threads started since count
 * from zero, threads ended since are missing. null off Linux. Resolution: 10 ms per thread.
 */
export function threadCpuMsSince(before: ThreadCpuSnapshot | null): Record<string, number> | null {
  const now = threadCpuSnapshot();
  if (before === null || now === null) return null;
  const byName: Record<string, number> = {};
  for (const [tid, thread] of now) byName[thread.name] = (byName[thread.name] ?? 0) + thread.cpuMs - (before.get(tid)?.cpuMs ?? 0);
  return byName;
}

/** A /proc file's text; null where it cannot be read (not Linux). */
function procText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
