import { existsSync } from "node:fs";
import { loadNodeConfig } from "../../node/config.ts";
import { homePaths, loadGenesis } from "../../node/home.ts";
import { startNode } from "../../node/node.ts";
import { intFlag, parseFlags, requireFlag, UsageError, type Command } from "../command.ts";
import { loadKeyWithPassphrase } from "../passphrase.ts";

export const startCommand: Command = {
  name: "start",
  summary: "Run a node from its home directory",
  help: `Usage: ghostmesh start --home DIR [--api-host HOST] [--api-port PORT] [--block-interval-ms MS] [--passphrase P]

Runs the node until SIGINT/SIGTERM. Logs are JSON lines (pino) on stdout.
Configuration: DIR/config.yaml, overridden by GHOSTMESH_* variables, overridden by these flags.

  --home DIR               node home (created by ghostmesh init)
  --api-host HOST          REST API address (default 127.0.0.1)
  --api-port PORT          REST API port (default 8080; 0 picks a free port)
  --block-interval-ms MS   how often a block is produced when transactions wait (default 200)
  --passphrase P           passphrase of an encrypted validator key (or GHOSTMESH_PASSPHRASE)`,
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      home: { type: "string" },
      "api-host": { type: "string" },
      "api-port": { type: "string" },
      "block-interval-ms": { type: "string" },
      passphrase: { type: "string" },
    });
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const home = requireFlag(values.home, "home");
    const paths = homePaths(home);
    if (!existsSync(paths.validatorKey)) throw new UsageError(`${paths.validatorKey} not found; create a node home with: ghostmesh init --home ${home}`);
    const config = loadNodeConfig(home, io.env, {
      api: { host: values["api-host"], port: intFlag(values["api-port"], "api-port", { max: 65_535 }) },
      block: { intervalMs: intFlag(values["block-interval-ms"], "block-interval-ms", { min: 1, max: 60_000 }) },
    });
    const genesis = loadGenesis(home);
    const key = await loadKeyWithPassphrase(paths.validatorKey, values.passphrase, io);
    const node = await startNode({ home, config, genesis }, { key });
    await new Promise<void>((resolve) => {
      const shutdown = () => {
        process.off("SIGINT", shutdown);
        process.off("SIGTERM", shutdown);
        void node.stop().then(resolve);
      };
      process.on("SIGINT", shutdown);
      process.on("SIGTERM", shutdown);
    });
    return 0;
  },
};
