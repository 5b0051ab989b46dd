/**
 * Checkpoints chain.db's write-ahead log from a worker thread (decision 0504, "Checkpoints off
 * the event loop"). SQLite's automatic checkpoint runs inside the COMMIT that crosses its
 * threshold (1,000 pages): it copies megabytes into the database file and fsyncs it, on the
 * event loop. In a 10,000-block catch-up that was 0.7-0.9 s of the loop's time, and the
 * slowest COMMITs (100-250 ms instead of ~15). The worker's connection checkpoints PASSIVE every
 * `pollMs` instead; the node's own connection keeps an automatic checkpoint at
 * `fallbackPages` (64 MiB), so the WAL stays bounded if the worker falls behind or fails.
 */
import { Worker } from "node:worker_threads";
import type { ChainStore } from "../ledger/index.ts";
import type { Logger } from "./types.ts";

export type WalCheckpointerOptions = {
  /** How often the worker checkpoints (a checkpoint with nothing to copy costs microseconds). */
  readonly pollMs: number;
  /** The node connection's automatic checkpoint while the worker runs, in pages. */
  readonly fallbackPages: number;
};

export const defaultWalCheckpointerOptions: WalCheckpointerOptions = { pollMs: 100, fallbackPages: 16_384 };

/** SQLite's default automatic checkpoint threshold, restored when the worker stops. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly store: ChainStore;
  private readonly exited: Promise<void>;

  /** Starts the worker on `store`'s file; `stop` it before closing the store. */
  constructor(opts: WalCheckpointerOptions, modules: { readonly store: ChainStore; readonly logger: Logger }) {
    this.store = modules.store;
    this.store.setWalAutocheckpointPages(opts.fallbackPages);
    this.worker = new Worker(new URL("./walCheckpointWorker.ts", import.meta.url), { workerData: { path: modules.store.path, pollMs: opts.pollMs } });
    // Never what keeps a process alive: a node that exits without stop() just loses the thread.
    this.worker.unref();
    this.worker.on("message", (failure: string) => modules.logger.debug({ err: failure }, "WAL checkpoint attempt failed; the next one retries"));
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", () => resolve());
      this.worker.once("error", (err) => {
        modules.logger.warn({ err: err.message }, "WAL checkpoint worker failed; the node's connection checkpoints by itself");
        this.store.setWalAutocheckpointPages(SQLITE_AUTOCHECKPOINT_PAGES);
      });
    });
  }

  /** Stops the worker (its connection closes) and gives the node's connection SQLite's default threshold back. */
  async stop(): Promise<void> {
    // Referenced again while it winds down: an unreferenced worker's exit keeps nothing waiting
    // for it alive, and a stopping node would end with its shutdown still awaiting this.
    this.worker.ref();
    this.worker.postMessage("stop");
    await this.exited;
    this.store.setWalAutocheckpointPages(SQLITE_AUTOCHECKPOINT_PAGES);
  }
}
