/**
 * WalCheckpointer: the worker thread copies chain.db's WAL into the database file while the
 * node's connection never checkpoints; stop ends the thread and restores SQLite's threshold;
 * a worker that cannot open the database is reported and leaves the node checkpointing itself.
 */
import { strict as assert } from "node:assert";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ChainStore } from "../../src/ledger/index.ts";
import type { Logger } from "../../src/node/types.ts";
import { WalCheckpointer } from "../../src/node/walCheckpointer.ts";
import { waitFor } from "../p2p/helpersHost.ts";
import { makeTempDir, removeDir } from "../e2e/helpers.ts";
import { silentLogger } from "../helpers/testChain.ts";

const VALUE_BYTES = 256 * 1024;
const VALUES = 16;

function autocheckpointPages(store: ChainStore): number {
  return (store.unsafeDatabase().prepare("PRAGMA wal_autocheckpoint").get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
}

/** Writes VALUES meta rows of VALUE_BYTES each, one transaction each (4 MiB in all). */
function writeMegabytes(store: ChainStore, tag: string): void {
  for (let i = 0; i < VALUES; i++) store.transaction(() => store.setMeta(`${tag}-${i}`, new Uint8Array(VALUE_BYTES).fill(i + 1)), { durable: false });
}

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (_fields, message) => void warnings.push(message), debug: () => undefined, info: () => undefined, error: () => undefined, child: () => logger };
  return { logger, warnings };
}

describe("WalCheckpointer", () => {
  it("copies the WAL into the database file from its thread while the node's connection never checkpoints, and stop restores SQLite's threshold", async () => {
    const dir = makeTempDir("gm-wal-");
    const store = new ChainStore(join(dir, "chain.db"));
    try {
      const dbBytes = () => statSync(store.path).size;
      store.setWalAutocheckpointPages(0);
      const before = dbBytes();
      writeMegabytes(store, "a");
      assert.ok(dbBytes() < before + VALUE_BYTES, "with no checkpoint, the writes stay in the WAL");
      const checkpointer = new WalCheckpointer({ pollMs: 20, fallbackPages: 0 }, { store, logger: silentLogger });
      assert.equal(autocheckpointPages(store), 0, "the node's connection keeps the fallback given");
      await waitFor(() => dbBytes() >= before + VALUES * VALUE_BYTES, "the worker to copy the WAL into the database file", 10_000);
      writeMegabytes(store, "b");
      await waitFor(() => dbBytes() >= before + 2 * VALUES * VALUE_BYTES, "the worker to copy the later writes too", 10_000);
      await checkpointer.stop();
      assert.equal(autocheckpointPages(store), 1_000);
      assert.deepEqual(store.getMeta("b-3"), new Uint8Array(VALUE_BYTES).fill(4));
    } finally {
      store.close();
      removeDir(dir);
    }
  });

  it("a worker that cannot open the database is reported, and the node's connection checkpoints by itself again", async () => {
    const dir = makeTempDir("gm-wal-");
    const store = new ChainStore(join(dir, "chain.db"));
    try {
      const { logger, warnings } = recordingLogger();
      // The same store, but the worker is pointed at a file in a directory that does not exist.
      const elsewhere = Object.create(store, { path: { value: join(dir, "missing", "chain.db") } }) as ChainStore;
      const checkpointer = new WalCheckpointer({ pollMs: 20, fallbackPages: 50_000 }, { store: elsewhere, logger });
      await waitFor(() => warnings.length > 0, "the failure to be reported", 10_000);
      assert.match(warnings[0]!, /WAL checkpoint worker failed/);
      assert.equal(autocheckpointPages(store), 1_000);
      await checkpointer.stop();
    } finally {
      store.close();
      removeDir(dir);
    }
  });
});
