/**
 * Makes chain.db's committed writes durable from a thread of its own (decision 0200, "WAL syncs
 * off the event loop"). node:sqlite is synchronous: a COMMIT with synchronous=FULL fsyncs the
 * WAL on the event loop, and every validator, API request and peer on that loop waits for the
 * disk meanwhile (on this VM's disk, stretches of 70-100 ms fsyncs). The consensus host instead
 * commits with synchronous=NORMAL (the frames are written, not synced) and awaits `sync()`
 * before the step's sends: the thread fdatasyncs the WAL file, and the loop serves everything
 * else until it has. The guarantee is the same: nothing that depends on a write leaves the
 * node before the write is on disk.
 *
 * Syncs asked for while one runs share the next one. A failed fdatasync fails this sync and
 * every later one (the kernel may have dropped the pages it could not write; the node must
 * restart). If the thread dies, syncs continue on the event loop.
 */
import { closeSync, openSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { Histogram, type Registry } from "prom-client";
import type { ChainStore } from "../ledger/index.ts";
import { GhostmeshError, assert } from "../util/index.ts";
import type { Logger } from "./types.ts";
import { WAL_SYNC_SLOTS, WAL_SYNC_SLOT_REQUESTED, WAL_SYNC_SLOT_STOP, syncWalFile, type WalSyncReport } from "./walSyncProtocol.ts";

export function createWalSyncMetrics(register: Registry) {
  return {
    syncSeconds: new Histogram({
      name: "ghostmesh_store_wal_sync_seconds",
      help: "fdatasync of the chain store's WAL on the sync thread (each covers the commits made before it began)",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [register],
    }),
  };
}
export type WalSyncMetrics = ReturnType<typeof createWalSyncMetrics>;

type Waiter = { readonly request: number; readonly resolve: () => void; readonly reject: (err: Error) => void };

/** True when request `b` was made no later than request `a` (request numbers wrap at 2^31). */
function requestCovers(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export class WalSyncer {
  readonly walPath: string;
  private readonly walFd: number;
  private readonly worker: Worker;
  private readonly slots: Int32Array;
  private readonly logger: Logger;
  private readonly metrics: WalSyncMetrics | null;
  private readonly exited: Promise<void>;
  /** Pending syncs, oldest first (request numbers ascending, modulo wrap). */
  private waiters: Waiter[] = [];
  private requested = 0;
  private failure: GhostmeshError | null = null;
  /** The thread has ended (stopped or failed): syncs run on the event loop. */
  private threadGone = false;
  /** `stop` was called: the thread stays referenced until it has ended. */
  private closing = false;
  private closed = false;
  private syncsByThread = 0;

  /**
   * Opens `store`'s WAL file and starts the thread; `stop` it before closing the store. Throws
   * WAL_SYNC_UNAVAILABLE when the WAL file cannot be opened (not in WAL mode, a platform that
   * refuses a second handle): the caller then keeps fsyncing inside COMMIT.
   */
  constructor(modules: { readonly store: ChainStore; readonly logger: Logger; readonly metrics: WalSyncMetrics | null }) {
    this.logger = modules.logger;
    this.metrics = modules.metrics;
    this.walPath = `${modules.store.path}-wal`;
    try {
      this.walFd = openSync(this.walPath, "r+");
    } catch (err) {
      throw new GhostmeshError("WAL_SYNC_UNAVAILABLE", `cannot open the write-ahead log ${this.walPath} to sync it: ${(err as Error).message}`, { path: this.walPath }, { cause: err });
    }
    this.slots = new Int32Array(new SharedArrayBuffer(WAL_SYNC_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    try {
      this.worker = new Worker(new URL("./walSyncThread.ts", import.meta.url), { workerData: { walFd: this.walFd, walPath: this.walPath, control: this.slots.buffer } });
    } catch (err) {
      closeSync(this.walFd);
      throw new GhostmeshError("WAL_SYNC_UNAVAILABLE", `cannot start the WAL sync thread: ${(err as Error).message}`, { path: this.walPath }, { cause: err });
    }
    // Only pending syncs keep a process alive: a node that exits without stop() just loses the thread.
    this.worker.unref();
    this.worker.on("message", (report: WalSyncReport) => this.onReport(report));
    this.exited = new Promise((resolve) => {
      this.worker.once("error", (err) => this.logger.warn({ err: err.message, path: this.walPath }, "WAL sync thread failed; the event loop syncs the WAL itself"));
      this.worker.once("exit", () => {
        this.threadGone = true;
        this.settleOnThisThread();
        resolve();
      });
    });
  }

  /** Syncs the thread has performed (each may cover many requests). */
  get threadSyncs(): number {
    return this.syncsByThread;
  }

  /** Resolves once every write committed before the call is on disk; rejects (WAL_SYNC_FAILED) when the disk refused. */
  sync(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new GhostmeshError("WAL_SYNC_STOPPED", "the WAL syncer was stopped", { path: this.walPath }));
    if (this.threadGone) {
      try {
        this.syncHere();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const request = (this.requested + 1) | 0;
    this.requested = request;
    // Referenced while syncs are pending: a process waiting for one must not exit meanwhile.
    if (this.waiters.length === 0) this.worker.ref();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ request, resolve, reject }));
    Atomics.store(this.slots, WAL_SYNC_SLOT_REQUESTED, request);
    Atomics.notify(this.slots, WAL_SYNC_SLOT_REQUESTED);
    return done;
  }

  /** Ends the thread after one last sync, then closes the WAL file; pending syncs are settled first. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    if (!this.threadGone) {
      // Referenced while it winds down, so the process waits for its last sync.
      this.worker.ref();
      Atomics.store(this.slots, WAL_SYNC_SLOT_STOP, 1);
      this.requested = (this.requested + 1) | 0;
      Atomics.store(this.slots, WAL_SYNC_SLOT_REQUESTED, this.requested);
      Atomics.notify(this.slots, WAL_SYNC_SLOT_REQUESTED);
    }
    await this.exited;
    this.closed = true;
    closeSync(this.walFd);
  }

  private onReport(report: WalSyncReport): void {
    if (report.kind === "failed") {
      this.fail(report.message);
      return;
    }
    this.syncsByThread = report.syncs;
    this.metrics?.syncSeconds.observe(report.syncSeconds);
    let settled = 0;
    while (settled < this.waiters.length && requestCovers(report.upTo, (this.waiters[settled] as Waiter).request)) (this.waiters[settled++] as Waiter).resolve();
    if (settled === 0) return;
    this.waiters = this.waiters.slice(settled);
    if (this.waiters.length === 0 && !this.closing) this.worker.unref();
  }

  private fail(message: string): void {
    this.failure ??= new GhostmeshError(
      "WAL_SYNC_FAILED",
      `fdatasync of ${this.walPath} failed (${message}): what the last commits wrote may not be on disk; the node stops, check the disk, then restart it`,
      { path: this.walPath },
    );
    const waiters = this.waiters;
    this.waiters = [];
    if (!this.closing) this.worker.unref();
    for (const waiter of waiters) waiter.reject(this.failure);
  }

  /** Syncs on the event loop: after the thread is gone. Sets the failure and throws it when the disk refuses. */
  private syncHere(): void {
    assert(this.threadGone, "syncHere: only once the thread is gone");
    try {
      syncWalFile(this.walFd, this.walPath);
    } catch (err) {
      this.fail((err as Error).message);
      throw this.failure;
    }
  }

  /** The thread ended with syncs pending (it failed, or a report was lost with it): one sync here settles them. */
  private settleOnThisThread(): void {
    if (this.waiters.length === 0 || this.failure !== null) return;
    try {
      this.syncHere();
    } catch {
      return; // fail() rejected them
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }
}
