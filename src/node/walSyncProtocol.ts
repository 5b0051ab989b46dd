/** What `WalSyncer` and its thread (walSyncThread.ts) share: the control slots, the reports, the sync itself. */
import { closeSync, fdatasyncSync, fstatSync, openSync, statSync } from "node:fs";

/** Int32 slot the node increments (wrapping) for each sync it asks for; the thread waits on it. */
export const WAL_SYNC_SLOT_REQUESTED = 0;
/** Int32 slot set to 1 when the thread is to end (after one last sync). */
export const WAL_SYNC_SLOT_STOP = 1;
export const WAL_SYNC_SLOTS = 2;
/** The thread's name in /proc/<pid>/task/<tid>/comm (at most 15 bytes). */
export const WAL_SYNC_THREAD_NAME = "gm-wal-sync";

/** Sent by the thread after each sync: every request numbered up to `upTo` is durable. */
export type WalSyncReport =
  | { readonly kind: "synced"; readonly upTo: number; readonly syncs: number; readonly syncSeconds: number }
  | { readonly kind: "failed"; readonly upTo: number; readonly message: string };

/**
 * fdatasync of the WAL file open as `walFd`. The node's connection keeps the file open, so
 * SQLite never replaces it while the node runs; should it have been replaced anyway, the file
 * now at `walPath` is the one that holds the commits, and it is synced through a descriptor of
 * its own.
 */
export function syncWalFile(walFd: number, walPath: string): void {
  let atPath;
  try {
    atPath = statSync(walPath);
  } catch {
    atPath = null;
  }
  if (atPath === null || atPath.ino === fstatSync(walFd).ino) {
    fdatasyncSync(walFd);
    return;
  }
  const fd = openSync(walPath, "r+");
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
