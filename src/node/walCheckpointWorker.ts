/**
 * The worker thread of `WalCheckpointer`: its own connection to chain.db, a PASSIVE checkpoint
 * every `pollMs`. PASSIVE copies the WAL frames no reader still needs into the database file
 * and waits for no one, so the node's writer goes on appending meanwhile. Reports each failed
 * attempt to the parent (one that finds another checkpoint running is simply tried again).
 */
import { DatabaseSync } from "node:sqlite";
import { parentPort, workerData } from "node:worker_threads";

type Data = { readonly path: string; readonly pollMs: number };
const { path, pollMs } = workerData as Data;
const port = parentPort;
if (port === null) throw new Error("walCheckpointWorker runs as a worker thread");

const db = new DatabaseSync(path);
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try {
    checkpoint.get();
  } catch (err) {
    port.postMessage((err as Error).message);
  }
}, pollMs);

port.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  port.close();
});
