/**
 * Gives the event loop the cores first. A validator's latency is set by its event loop
 * (consensus steps, commits, admission), while libuv's threadpool (signature checks of every
 * transaction), V8's helpers (garbage collection, compilation) and worker threads (the WAL
 * checkpointer) do work that can wait a little. On a busy machine the scheduler shares the
 * cores evenly among runnable threads, so the loop loses a core to them whenever it has work;
 * raising their nice value lets it run first (decision 0200, session 17, measured).
 *
 * Linux only: priorities are per thread there, set through each thread's id in /proc/self/task;
 * threads are recognised by the names libuv, V8 and Node give them. Threads started after the
 * call keep their priority.
 */
import { randomFill } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";

/** Names (`/proc/<pid>/task/<tid>/comm`) of the threads that yield to the event loop. */
export const HELPER_THREAD_NAMES: readonly string[] = ["libuv-worker", "V8Worker", "WorkerThread"];

export const HELPER_THREAD_NICE_MAX = 19;

/**
 * Sets nice `nice` (1..19) on this process's helper threads. Returns how many it lowered, or
 * null where per-thread priorities are not available (not Linux). A thread that exits meanwhile
 * is skipped.
 */
export async function lowerHelperThreadPriority(nice: number): Promise<number | null> {
  if (!(Number.isSafeInteger(nice) && nice >= 1 && nice <= HELPER_THREAD_NICE_MAX)) {
    throw new RangeError(`lowerHelperThreadPriority: nice must be 1 to ${HELPER_THREAD_NICE_MAX}, got ${nice}`);
  }
  if (process.platform !== "linux") return null;
  // libuv starts its threadpool on first use: use it once, so its threads exist to be found.
  await new Promise<void>((resolve, reject) => randomFill(new Uint8Array(1), (err) => (err === null ? resolve() : reject(err))));
  let lowered = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
    } catch {
      continue; // exited since the listing
    }
    if (!HELPER_THREAD_NAMES.includes(name)) continue;
    try {
      setPriority(Number(tid), nice);
      lowered++;
    } catch {
      // Exited since the listing; raising a nice value needs no privilege.
    }
  }
  return lowered;
}
