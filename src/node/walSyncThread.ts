/**
 * The thread of `WalSyncer`: it sleeps on the shared request counter, and each time the counter
 * moves it fdatasyncs chain.db's WAL file once, then reports the counter value it read before
 * the sync. Every request up to that value was made after its COMMIT had written its frames,
 * so one sync makes all of them durable (requests that arrive during a sync share the next).
 * The loop is synchronous (Atomics.wait): the thread never runs an event loop, so nothing but
 * the request counter and the stop flag reaches it.
 */
import { writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { WAL_SYNC_SLOT_REQUESTED, WAL_SYNC_SLOT_STOP, WAL_SYNC_THREAD_NAME, syncWalFile, type WalSyncReport } from "./walSyncProtocol.ts";

type Data = { readonly walFd: number; readonly walPath: string; readonly control: SharedArrayBuffer };
const { walFd, walPath, control } = workerData as Data;
const port = parentPort;
if (port === null) throw new Error("walSyncThread runs as a worker thread");
const slots = new Int32Array(control);

// Its own name keeps it out of threads.helperNice (threadPriority.ts matches "WorkerThread"):
// a vote waits for this thread, so it must get a core as soon as its sync returns.
if (process.platform === "linux") {
  try {
    writeFileSync("/proc/thread-self/comm", WAL_SYNC_THREAD_NAME);
  } catch {
    // Without /proc the thread keeps Node's name, and with it the helpers' priority.
  }
}

// Requests are counted from 0 by both sides: those made before this thread got here are seen at once.
let handled = 0;
let syncs = 0;
for (;;) {
  Atomics.wait(slots, WAL_SYNC_SLOT_REQUESTED, handled);
  const requested = Atomics.load(slots, WAL_SYNC_SLOT_REQUESTED);
  if (requested !== handled) {
    const startedMs = performance.now();
    try {
      syncWalFile(walFd, walPath);
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: a later sync that
      // succeeds proves nothing about them, so the thread reports and stops syncing for good.
      port.postMessage({ kind: "failed", upTo: requested, message: (err as Error).message } satisfies WalSyncReport);
      break;
    }
    handled = requested;
    syncs++;
    port.postMessage({ kind: "synced", upTo: requested, syncs, syncSeconds: (performance.now() - startedMs) / 1000 } satisfies WalSyncReport);
  }
  if (Atomics.load(slots, WAL_SYNC_SLOT_STOP) !== 0) break;
}
