import { existsSync } from "node:fs";
import { pino } from "pino";
import { loadNodeConfig } from "../../node/config.ts";
import { homePaths, loadGenesis } from "../../node/home.ts";
import { startNode } from "../../node/node.ts";
import { startP2pValidatorNode } from "../../node/p2p/index.ts";
import { lowerHelperThreadPriority } from "../../node/threadPriority.ts";
import { intFlag, parseFlags, requireFlag, UsageError, type Command } from "../command.ts";
import { loadKeyWithPassphrase } from "../passphrase.ts";

/** Set by ghostmesh devnet on the nodes it spawns (see the stdin watch below). */
export const DEVNET_CHILD_ENV = "GHOSTMESH_DEVNET_CHILD";

export const startCommand: Command = {
  name: "start",
  summary: "Run a node from its home directory",
  help: `Usage: ghostmesh start --home DIR [--api-host HOST] [--api-port PORT] [--block-interval-ms MS] [--passphrase P] [--resume-signing]

Runs the node until SIGINT/SIGTERM. Logs are JSON lines (pino) on stdout.
Configuration: DIR/config.yaml, overridden by GHOSTMESH_* variables, overridden by these flags.

When the home's genesis has several validators, this runs its validator with peer-to-peer
networking: config.yaml \`p2p: {listen: MULTIADDR, bootstrap: [MULTIADDR/p2p/PEERID, ...],
allow: [gm..., ...]}\` (default listen /ip4/127.0.0.1/tcp/26656); only the genesis validators
and the allow addresses may connect. The libp2p node key is DIR/data/p2p.key (created once).

  --home DIR               node home (created by ghostmesh init)
  --api-host HOST          REST API address (default 127.0.0.1)
  --api-port PORT          REST API port (default 8080; 0 picks a free port)
  --block-interval-ms MS   how often a block is produced when transactions wait (default 200)
  --passphrase P           passphrase of an encrypted validator key (or GHOSTMESH_PASSPHRASE)
  --resume-signing         a validator that saw another process sign with its key stopped signing
                           and records it in DIR/validator.signing.json; it then only follows the
                           chain, across restarts. Once no other process holds the key, start it
                           once with this flag to clear the record and sign again (not in a
                           service file: it would clear every future stop too). It first keeps
                           out of a few views, and stops again if the key signs there`,
  async run(argv, io) {
    const { values } = parseFlags(argv, {
      home: { type: "string" },
      "api-host": { type: "string" },
      "api-port": { type: "string" },
      "block-interval-ms": { type: "string" },
      passphrase: { type: "string" },
      "resume-signing": { type: "boolean" },
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
    if (values["resume-signing"] === true && genesis.validators.length === 1) throw new UsageError("--resume-signing is for validators of multi-validator chains; this home's genesis has one validator, which never stops signing");
    const validator = genesis.validators.length > 1 ? await startP2pValidatorNode({ home, config, genesis, resumeSigning: values["resume-signing"] === true }, { key }) : null;
    const node = validator ?? (await startNode({ home, config, genesis }, { key }));
    // After the start, so the node's worker threads exist (threads.helperNice, 0: leave them).
    if (config.threads.helperNice > 0) {
      const lowered = await lowerHelperThreadPriority(config.threads.helperNice);
      pino({ level: config.log.level }).info({ threads: lowered, nice: config.threads.helperNice }, lowered === null ? "Helper thread priorities are left as they are (per-thread priorities need Linux)" : "Helper threads yield to the event loop");
    }
    let shutdown: () => void = () => {};
    await new Promise<void>((resolve) => {
      let stopping = false;
      // Stays installed until the node has stopped: a second signal (Ctrl-C reaches a devnet's
      // nodes directly and through the devnet) must not kill the process mid-shutdown.
      shutdown = () => {
        if (stopping) return;
        stopping = true;
        void node.stop().then(resolve);
      };
      process.on("SIGINT", shutdown);
      process.on("SIGTERM", shutdown);
      // A validator whose consensus failed has stopped its store (exit code 1): end the process.
      validator?.host.once("error", shutdown);
      // Started by ghostmesh devnet: stop when the devnet dies, even by SIGKILL (its end of
      // our stdin closes), rather than run on as an orphan.
      if (io.env[DEVNET_CHILD_ENV] === "1") {
        process.stdin.once("close", shutdown);
        process.stdin.resume();
      }
    });
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    // A resumed stdin would keep the event loop, and the process, alive after the node stopped.
    if (io.env[DEVNET_CHILD_ENV] === "1") process.stdin.destroy();
    return process.exitCode === 1 ? 1 : 0;
  },
};
