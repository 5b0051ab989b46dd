/**
 * WalSyncer: chain.db's WAL synced from a thread of its own. Syncs resolve, share the thread's
 * syncs, and survive the thread's end (then on the event loop); a disk that refuses fails this
 * sync and every later one; the thread keeps its priority when the helpers are lowered; a store
 * whose WAL cannot be opened is refused at construction.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { ChainStore } from "../../src/ledger/index.ts";
import { lowerHelperThreadPriority } from "../../src/node/threadPriority.ts";
import { WalSyncer } from "../../src/node/walSyncer.ts";
import { WAL_SYNC_THREAD_NAME } from "../../src/node/walSyncProtocol.ts";
import { isGhostmeshError } from "../../src/util/index.ts";
import { waitFor } from "../p2p/helpersHost.ts";
import { makeTempDir, removeDir } from "../e2e/helpers.ts";
import { silentLogger } from "../helpers/testChain.ts";

function withStore(run: (store: ChainStore, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = makeTempDir("gm-walsync-");
    const store = new ChainStore(join(dir, "chain.db"));
    try {
      await run(store, dir);
    } finally {
      store.close();
      removeDir(dir);
    }
  };
}

function commitRelaxed(store: ChainStore, key: string): void {
  store.transaction(() => store.setMeta(key, new Uint8Array(4096).fill(7)), { durable: false });
}

/** Thread ids of this process whose name is `name` (Linux). */
function threadsNamed(name: string): number[] {
  return readdirSync("/proc/self/task")
    .filter((tid) => {
      try {
        return readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => isGhostmeshError(err) && err.code === code);
}

describe("WalSyncer", () => {
  it(
    "resolves each sync once the thread has synced after it; syncs asked for together share the thread's syncs",
    withStore(async (store) => {
      const syncer = new WalSyncer({ store, logger: silentLogger, metrics: null });
      try {
        commitRelaxed(store, "one");
        await syncer.sync();
        assert.equal(syncer.threadSyncs, 1);
        const together: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) {
          commitRelaxed(store, `k${i}`);
          together.push(syncer.sync());
        }
        await Promise.all(together);
        assert.ok(syncer.threadSyncs >= 2 && syncer.threadSyncs <= 51, `${syncer.threadSyncs} thread syncs for 51 requests`);
      } finally {
        await syncer.stop();
      }
      assert.deepEqual(store.getMeta("k49"), new Uint8Array(4096).fill(7));
    }),
  );

  it(
    "stop settles a sync still pending, syncs once more, and refuses syncs after it",
    withStore(async (store) => {
      const syncer = new WalSyncer({ store, logger: silentLogger, metrics: null });
      commitRelaxed(store, "late");
      const pending = syncer.sync();
      await syncer.stop();
      await pending;
      await expectCode(syncer.sync(), "WAL_SYNC_STOPPED");
      await syncer.stop(); // twice is harmless
    }),
  );

  it(
    "goes on syncing on the event loop once the thread is gone",
    withStore(async (store) => {
      const syncer = new WalSyncer({ store, logger: silentLogger, metrics: null });
      try {
        await syncer.sync();
        // The thread ending unexpectedly (a crash of its isolate) is simulated by terminating it.
        await (syncer as unknown as { worker: Worker }).worker.terminate();
        commitRelaxed(store, "after");
        await syncer.sync();
        assert.equal(syncer.threadSyncs, 1, "the later sync ran on the event loop");
      } finally {
        await syncer.stop();
      }
    }),
  );

  it(
    "a sync the disk refuses fails, and so does every later one",
    withStore(async (store, dir) => {
      if (process.platform !== "linux") return;
      // fdatasync of a FIFO fails (EINVAL): a WAL "file" that cannot be synced.
      const base = join(dir, "fifo.db");
      execFileSync("mkfifo", [`${base}-wal`]);
      const fifoStore = Object.create(store, { path: { value: base } }) as ChainStore;
      const syncer = new WalSyncer({ store: fifoStore, logger: silentLogger, metrics: null });
      try {
        await expectCode(syncer.sync(), "WAL_SYNC_FAILED");
        await expectCode(syncer.sync(), "WAL_SYNC_FAILED");
      } finally {
        await syncer.stop();
      }
    }),
  );

  it(
    "refuses a store whose WAL file it cannot open",
    withStore(async (store, dir) => {
      const elsewhere = Object.create(store, { path: { value: join(dir, "missing", "chain.db") } }) as ChainStore;
      assert.throws(() => new WalSyncer({ store: elsewhere, logger: silentLogger, metrics: null }), (err: unknown) => isGhostmeshError(err) && err.code === "WAL_SYNC_UNAVAILABLE" && /missing/.test(err.message));
    }),
  );

  it(
    "names its thread, which keeps its priority when the helper threads are lowered",
    withStore(async (store) => {
      if (process.platform !== "linux") return;
      const syncer = new WalSyncer({ store, logger: silentLogger, metrics: null });
      try {
        await syncer.sync();
        await waitFor(() => threadsNamed(WAL_SYNC_THREAD_NAME).length === 1, "the sync thread to take its name", 5_000);
        const [tid] = threadsNamed(WAL_SYNC_THREAD_NAME) as [number];
        const before = getPriority(tid);
        const lowered = await lowerHelperThreadPriority(19);
        assert.ok(lowered !== null && lowered >= 1, "some helper threads were lowered");
        assert.equal(getPriority(tid), before);
      } finally {
        await syncer.stop();
      }
    }),
  );
});
