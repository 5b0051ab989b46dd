import { existsSync } from "node:fs";
import { ChainStore, decodeStoredEntry } from "../../ledger/index.ts";
import { homePaths } from "../../node/home.ts";
import { openOutputFile, type OutputFile } from "../../node/outputFile.ts";
import { entryJson } from "../../api/json.ts";
import { intFlag, parseFlags, requireFlag, stdoutWriter, UsageError, type Command } from "../command.ts";

const CSV_COLUMNS = ["leafIndex", "height", "txHash", "from", "type", "recordIndex", "action", "subject", "data"] as const;

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const exportCommand: Command = {
  name: "export",
  summary: "Offline: export the audit log as JSON lines or CSV",
  help: `Usage: ghostmesh export --home DIR --format jsonl|csv [--out FILE] [--from-leaf N]

Writes every log entry in log order (one JSON object per line, or CSV with a header row:
${CSV_COLUMNS.join(",")}). Default output is stdout.`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { home: { type: "string" }, format: { type: "string" }, out: { type: "string" }, "from-leaf": { type: "string" } });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const home = requireFlag(values.home, "home");
    const format = requireFlag(values.format, "format");
    if (format !== "jsonl" && format !== "csv") throw new UsageError(`--format: expected jsonl or csv, got "${format}"`);
    const dbPath = homePaths(home).chainDb;
    if (!existsSync(dbPath)) throw new UsageError(`${dbPath} not found`);
    const fromLeaf = intFlag(values["from-leaf"], "from-leaf") ?? 0;
    const store = new ChainStore(dbPath);
    let file: OutputFile | null = null;
    let count = 0;
    try {
      file = values.out ? openOutputFile(values.out) : null;
      const out = file;
      const write = out !== null ? (line: string) => out.write(line) : stdoutWriter(io);
      if (format === "csv") await write(`${CSV_COLUMNS.join(",")}\n`);
      for (const row of store.iterateEntries(fromLeaf)) {
        const entry = entryJson(decodeStoredEntry(row.bytes, row.leafIndex), row.leafIndex) as Record<string, unknown>;
        await write(format === "jsonl" ? `${JSON.stringify(entry)}\n` : `${CSV_COLUMNS.map((c) => csvField(entry[c])).join(",")}\n`);
        count += 1;
        if (count % 100_000 === 0) io.stderr(`exported ${count} entries\n`);
      }
    } catch (err) {
      await file?.close().catch(() => undefined);
      throw err;
    } finally {
      store.close();
    }
    await file?.close();
    io.stderr(`exported ${count} entries\n`);
    return 0;
  },
};
