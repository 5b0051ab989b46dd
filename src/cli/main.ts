/**
 * The `ghostmesh` command: dispatches to one command per module of work. Exit codes: 0 ok,
 * 1 failure (e.g. verify found a problem), 2 usage error.
 */
import { GhostmeshError, errorMessage } from "../util/index.ts";
import { ClientError } from "../client/index.ts";
import { processIo, UsageError, type Command, type Io } from "./command.ts";

export { processIo };
import { bundleCommand } from "./cmds/bundle.ts";
import { devnetCommand } from "./cmds/devnet.ts";
import { envCommand } from "./cmds/env.ts";
import { exportCommand } from "./cmds/export.ts";
import { initCommand } from "./cmds/init.ts";
import { keysCommand } from "./cmds/keys.ts";
import { queryCommand } from "./cmds/query.ts";
import { rolesCommand } from "./cmds/roles.ts";
import { govCommand } from "./cmds/gov.ts";
import { stakeCommand } from "./cmds/stake.ts";
import { simCommand } from "./cmds/sim.ts";
import { startCommand } from "./cmds/start.ts";
import { txCommand } from "./cmds/tx.ts";
import { verifyCommand } from "./cmds/verify.ts";
import { compactCommand } from "./cmds/compact.ts";

export const commands: readonly Command[] = [initCommand, startCommand, devnetCommand, keysCommand, txCommand, rolesCommand, govCommand, stakeCommand, envCommand, queryCommand, verifyCommand, compactCommand, exportCommand, bundleCommand, simCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: ghostmesh COMMAND [flags]   (ghostmesh COMMAND --help for details)\n\nCommands:\n${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}\n`;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`ghostmesh: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`ghostmesh ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof GhostmeshError || err instanceof ClientError) {
      io.stderr(`ghostmesh ${name}: ${err.message}${err instanceof ClientError ? ` (${err.code})` : ""}\n`);
      return 1;
    }
    io.stderr(`ghostmesh ${name}: unexpected error: ${errorMessage(err)}\n${(err as Error).stack ?? ""}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
}
