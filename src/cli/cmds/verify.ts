import { existsSync } from "node:fs";
import { ChainStore } from "../../ledger/index.ts";
import { homePaths, loadGenesis } from "../../node/home.ts";
import { VerifyFailure, defaultVerifyOptions, verifyStore } from "../../node/verify.ts";
import type { StateMigrationProgress } from "../../state/index.ts";
import { parseFlags, printJson, requireFlag, UsageError, type Command } from "../command.ts";

export const verifyCommand: Command = {
  name: "verify",
  summary: "Offline: replay a node's whole store and check every signature, link, root and proof node",
  help: `Usage: ghostmesh verify --home DIR [--json]

Replays the store from genesis: block links, certificates (validator signatures), transaction
signatures, tx roots, log entries, log roots, state roots and every stored Merkle tile.
Exit 0 when everything checks; exit 1 naming the first bad height or object.
It may run beside the node: it reads the store in short snapshots (a second each, so the
node's write-ahead log is checkpointed as usual) while the node goes on committing, and
checks the chain up to the head of its last snapshot, at or above the head when it started.`,
  async run(argv, io) {
    const { values } = parseFlags(argv, { home: { type: "string" }, json: { type: "boolean" } });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const home = requireFlag(values.home, "home");
    const genesis = loadGenesis(home);
    const dbPath = homePaths(home).chainDb;
    if (!existsSync(dbPath)) throw new UsageError(`${dbPath} not found: this node has not stored any block yet`);
    const store = new ChainStore(dbPath);
    let lastPrinted = 0;
    try {
      const onStateMigration: StateMigrationProgress = ({ fromSchema, rowsDone, rowsTotal, finished }) => {
        if (finished) io.stderr(`migrated the state tables from schema ${fromSchema}: ${rowsTotal} rows\n`);
        else io.stderr(`migrating the state tables from schema ${fromSchema} in place (once, after an upgrade): ${rowsDone}/${rowsTotal} rows\n`);
      };
      const report = await verifyStore(
        store,
        genesis,
        (height, heightMax) => {
          if (height - lastPrinted >= 1000 || height === heightMax) {
            lastPrinted = height;
            io.stderr(`verified ${height}/${heightMax} blocks\n`);
          }
        },
        { ...defaultVerifyOptions, onStateMigration },
      );
      if (values.json) printJson(io, { ok: true, ...report });
      else io.stdout(`OK: ${report.height} blocks, ${report.txs} transactions, log size ${report.logSize}, root ${report.logRoot}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof VerifyFailure)) throw err;
      if (values.json) printJson(io, { ok: false, height: err.meta.height, object: err.meta.object, error: err.message });
      io.stderr(`verify FAILED: ${err.message}\n`);
      return 1;
    } finally {
      store.close();
    }
  },
};
