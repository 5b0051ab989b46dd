import { compactStore, formatBytes, homeChainStorePath, machineDiskSpace, measureStore, type StoreSpace } from "../../node/compact.ts";
import { parseFlags, printJson, requireFlag, type Command } from "../command.ts";

function describeSpace(space: StoreSpace): string {
  // The write-ahead log is left out of what compacting gives back: checkpoints empty it anyway.
  return `${formatBytes(space.fileBytes + space.walBytes)} on disk (write-ahead log ${formatBytes(space.walBytes)}), ${formatBytes(space.bytesInUse)} of data: compacting gives back at least the ${formatBytes(space.pagesFree * space.pageBytes)} of free pages, and packs half-empty ones`;
}

export const compactCommand: Command = {
  name: "compact",
  summary: "Offline: shrink a stopped node's chain store to its data (SQLite VACUUM)",
  help: `Usage: ghostmesh compact --home DIR [--dry-run] [--json]

Rewrites the node's chain store (DIR/data/chain.db) without its free pages and gives their
space back to the file system. SQLite reuses the pages that deletes free (state proof pruning,
state.proofHistoryBlocks) but never shrinks its file on its own. Nothing stored changes: the
same blocks, entries, state and proofs, as ghostmesh verify --home DIR shows.

The node must be stopped: the store is locked for the rewrite, and compact refuses (exit 1,
nothing changed) while another process has it open. A crash or power loss during it leaves the
store as it was. It needs free space for two copies of the data in use: one in SQLite's
temporary directory (SQLITE_TMPDIR, else TMPDIR, else /var/tmp or /tmp) and one beside the
store for its write-ahead log; it checks both first and says what is missing.

  --dry-run  only report the file's size, its data and what compacting would give back
             (safe beside a running node)
  --json     print {path, fileBytes, walBytes, bytesInUse, pagesFree, pageBytes} and, after
             compacting, fileBytesAfter and durationMs`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { home: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const path = homeChainStorePath(requireFlag(values.home, "home"));
    if (values["dry-run"]) {
      const space = measureStore(path);
      if (values.json) printJson(io, space);
      else io.stdout(`${path}: ${describeSpace(space)}\n`);
      return 0;
    }
    const compacted = compactStore(path, machineDiskSpace, (space) => io.stderr(`compacting ${path}: ${describeSpace(space)} (the data is written twice; large stores take minutes)\n`));
    if (values.json) printJson(io, compacted);
    else io.stdout(`compacted ${path}: ${formatBytes(compacted.fileBytes + compacted.walBytes)} -> ${formatBytes(compacted.fileBytesAfter)} in ${(compacted.durationMs / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
