import { exportBundle, importBundle } from "../../node/bundle/index.ts";
import { intFlag, parseFlags, printJson, refuseExtraArguments, requireFlag, UsageError, type Command, type Io } from "../command.ts";

const HELP = `Usage: ghostmesh bundle export --home DIR --from H --to H --out FILE [--json]
       ghostmesh bundle import FILE --home DIR [--json]

Offline bundles: committed blocks with their QCs and transactions in one file (a versioned
canonical-CBOR sequence: a header with chain id, genesis hash and range, then the blocks),
for moving a chain between machines without a network.

export  Writes blocks H..H of the node in DIR to FILE (streamed; the node may be running).
import  Commits the bundle's blocks to the node in DIR, which must be stopped (its store
        is locked for the import). Every block is verified as block sync verifies it: it
        follows the head, its QC carries a quorum of valid validator signatures for exactly
        that block, and it re-executes to the same header. Transaction signatures are
        covered by the certified block hash (its txRoot), so they are not verified one by
        one; ghostmesh verify --home DIR re-checks every one. All or nothing: a bad block
        stops the import with exit 1 naming its height, and nothing is committed. Blocks the
        node already holds are skipped, so importing twice is harmless.

--json prints {imported, fromHeight, toHeight} (import) or {exported, fromHeight, toHeight}.`;

async function runExport(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, { home: { type: "string" }, from: { type: "string" }, to: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return io.stdout(`${HELP}\n`), 0;
  const home = requireFlag(values.home, "home");
  const fromHeight = intFlag(requireFlag(values.from, "from"), "from", { min: 1 }) as number;
  const toHeight = intFlag(requireFlag(values.to, "to"), "to", { min: 1 }) as number;
  if (toHeight < fromHeight) throw new UsageError(`--to ${toHeight} is below --from ${fromHeight}`);
  const out = requireFlag(values.out, "out");
  const range = await exportBundle({ home, fromHeight, toHeight, out });
  if (values.json) printJson(io, { exported: range.blocks, fromHeight, toHeight });
  else io.stdout(`exported blocks ${fromHeight}..${toHeight} (${range.blocks}) to ${out}\n`);
  return 0;
}

async function runImport(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, { home: { type: "string" }, json: { type: "boolean" } }, true);
  if (values.help) return io.stdout(`${HELP}\n`), 0;
  refuseExtraArguments(positionals, 1, "bundle import");
  const home = requireFlag(values.home, "home");
  const [file] = positionals;
  if (file === undefined) throw new UsageError("bundle import needs the bundle FILE to import");
  const result = await importBundle({ home, file });
  if (values.json) printJson(io, { imported: result.imported, fromHeight: result.fromHeight, toHeight: result.toHeight });
  else io.stdout(`imported ${result.imported} blocks of ${result.fromHeight}..${result.toHeight} (${result.alreadyPresent} already present)\n`);
  return 0;
}

export const bundleCommand: Command = {
  name: "bundle",
  summary: "Offline: export committed blocks to a bundle file, or import one into a stopped node",
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "export") return runExport(rest, io);
    if (sub === "import") return runImport(rest, io);
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${HELP}\n`), sub === undefined ? 2 : 0;
    throw new UsageError(`unknown subcommand "${sub}": expected export or import`);
  },
};
