/**
 * Offline compaction of a stopped node's chain store (`ghostmesh compact`).
 *
 * SQLite reuses the pages that deletes free (state proof pruning, decision 0400, frees most of
 * the state tree's rows) but never gives them back to the file system. VACUUM rewrites the
 * file without them. It runs in place, under an exclusive lock that a running node's open
 * connection refuses, so a node cannot be started on a half-written store, and a crash during
 * it leaves the store as before (SQLite's own atomic rewrite).
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { holdExclusiveLock, pageSpaceOf, storeFileBytes } from "../ledger/index.ts";
import { GhostmeshError, errorMessage } from "../util/index.ts";
import { homePaths } from "./home.ts";

/** How a store's file is used: pages holding data and free pages that VACUUM would give back. */
export type StoreSpace = {
  readonly path: string;
  /** The database file and its write-ahead log, as they are on disk now. */
  readonly fileBytes: number;
  readonly walBytes: number;
  readonly pageBytes: number;
  readonly pagesTotal: number;
  readonly pagesFree: number;
  /** Pages holding data: about what the file is after VACUUM, and what VACUUM writes twice. */
  readonly bytesInUse: number;
};

export type CompactedStore = StoreSpace & { readonly fileBytesAfter: number; readonly durationMs: number };

/** Free bytes on the file systems VACUUM writes to; found on the machine unless a test injects them. */
export type DiskSpace = {
  /** Free bytes (for an unprivileged writer) on the file system holding `dir`, and that file system's device id. */
  free(dir: string): { readonly freeBytes: number; readonly device: number };
  /** The directory SQLite puts its temporary files in (VACUUM's copy of the data). */
  sqliteTempDir(): string;
};

/** Why a compaction did not run: no store yet, a process has it open, too little disk, or VACUUM itself failed (the store is unchanged in every case). */
export type CompactErrorCode = "NODE_COMPACT_NO_STORE" | "NODE_COMPACT_STORE_IN_USE" | "NODE_COMPACT_DISK_SPACE" | "NODE_COMPACT_FAILED";

function compactError(code: CompactErrorCode, message: string, meta: Record<string, unknown>, cause?: unknown): GhostmeshError<CompactErrorCode> {
  return new GhostmeshError(code, message, meta, cause === undefined ? undefined : { cause });
}

/**
 * The store a home's compaction rewrites: chain.db, where every block, entry and state row is.
 * p2p.db (peer scores) stays small, and is left alone: it is not in WAL mode, so a node's open
 * connection would not refuse the exclusive lock, and VACUUM would fail the node's writes.
 */
export function homeChainStorePath(home: string): string {
  return requireStore(homePaths(home).chainDb);
}

/** Opening a missing path would create an empty database: refuse it instead. */
function requireStore(path: string): string {
  if (!existsSync(path)) throw compactError("NODE_COMPACT_NO_STORE", `${path} not found: this node has not stored any block yet`, { path });
  return path;
}

/** Reads a store's page counts; safe beside a running node (a WAL reader). */
export function measureStore(path: string): StoreSpace {
  const db = new DatabaseSync(requireStore(path), { readOnly: true });
  try {
    return spaceOf(db, path);
  } finally {
    db.close();
  }
}

/**
 * VACUUMs the store at `path`. Refuses, changing nothing, when another connection (a running
 * node, `ghostmesh verify`) has it open, or when the disks lack the room VACUUM needs.
 * `onStart` is told the space before the rewrite begins (it may take minutes on a large store).
 */
export function compactStore(path: string, disk: DiskSpace = machineDiskSpace, onStart: (space: StoreSpace) => void = () => {}): CompactedStore {
  const db = new DatabaseSync(requireStore(path));
  try {
    lockExclusively(db, path);
    // The exclusive lock held: nothing else writes, so the log can be folded in and emptied first.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const space = spaceOf(db, path);
    checkDiskSpace(space, disk);
    onStart(space);
    // VACUUM copies the data to a temporary database first; on disk, not in memory, whatever its size.
    db.exec("PRAGMA temp_store = FILE");
    const startedMs = performance.now();
    try {
      db.exec("VACUUM");
    } catch (err) {
      throw compactError("NODE_COMPACT_FAILED", `VACUUM of ${path} failed (${errorMessage(err)}); the store is as it was before`, { path }, err);
    }
    try {
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (err) {
      throw compactError("NODE_COMPACT_FAILED", `${path} is compacted, but folding its write-ahead log into it failed (${errorMessage(err)}); the next open of the store does it`, { path }, err);
    }
    const durationMs = Math.round(performance.now() - startedMs);
    const after = storeFileBytes(path);
    return { ...space, fileBytesAfter: after.fileBytes + after.walBytes, durationMs };
  } finally {
    db.close();
  }
}

/** Held until `db` closes; refused exactly when another process has the store open (holdExclusiveLock). */
function lockExclusively(db: DatabaseSync, path: string): void {
  try {
    holdExclusiveLock(db);
  } catch (err) {
    throw compactError("NODE_COMPACT_STORE_IN_USE", `${path} is in use (${errorMessage(err)}): stop the node (and any ghostmesh verify on this home) before compacting`, { path }, err);
  }
}

function spaceOf(db: DatabaseSync, path: string): StoreSpace {
  const { pageBytes, pagesTotal, pagesFree } = pageSpaceOf(db);
  return { path, ...storeFileBytes(path), pageBytes, pagesTotal, pagesFree, bytesInUse: (pagesTotal - pagesFree) * pageBytes };
}

/**
 * VACUUM writes the data twice: a copy into a temporary database in SQLite's temporary
 * directory, then every page back through the write-ahead log beside the store. Both must fit.
 * Reported in full (each directory, what it needs, what it has) so the operator can free space
 * or point SQLITE_TMPDIR at a larger disk.
 */
export function checkDiskSpace(space: StoreSpace, disk: DiskSpace): void {
  const tempDir = disk.sqliteTempDir();
  const copies = [
    { dir: dirname(space.path), what: "the rewrite through the write-ahead log beside the store" },
    { dir: tempDir, what: `the temporary copy in ${tempDir}` },
  ];
  const disks = new Map<number, { dirs: string[]; whats: string[]; neededBytes: number; freeBytes: number }>();
  for (const copy of copies) {
    const free = disk.free(copy.dir);
    const entry = disks.get(free.device) ?? { dirs: [], whats: [], neededBytes: 0, freeBytes: free.freeBytes };
    if (!entry.dirs.includes(copy.dir)) entry.dirs.push(copy.dir);
    entry.whats.push(copy.what);
    entry.neededBytes += space.bytesInUse;
    disks.set(free.device, entry);
  }
  for (const need of disks.values()) {
    if (need.freeBytes >= need.neededBytes) continue;
    throw compactError(
      "NODE_COMPACT_DISK_SPACE",
      `compacting ${space.path} (${formatBytes(space.bytesInUse)} of data) needs ${formatBytes(need.neededBytes)} free on the disk of ${need.dirs.join(" and ")} for ${need.whats.join(" and ")}; it has ${formatBytes(need.freeBytes)}. Free some space, or set SQLITE_TMPDIR to a directory on another disk`,
      { path: space.path, neededBytes: need.neededBytes, freeBytes: need.freeBytes },
    );
  }
}

/** The machine's disks, and the temporary directory SQLite's Unix layer picks (its own order of candidates). */
export const machineDiskSpace: DiskSpace = {
  free(dir) {
    const fs = statfsSync(dir);
    return { freeBytes: fs.bavail * fs.bsize, device: statSync(dir).dev };
  },
  sqliteTempDir() {
    const candidates = [process.env.SQLITE_TMPDIR, process.env.TMPDIR, "/var/tmp", "/usr/tmp", "/tmp", "."];
    for (const dir of candidates) {
      if (dir === undefined || dir === "") continue;
      try {
        if (!statSync(dir).isDirectory()) continue;
        accessSync(dir, constants.W_OK | constants.X_OK);
        return dir;
      } catch {
        continue;
      }
    }
    return ".";
  },
};

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
