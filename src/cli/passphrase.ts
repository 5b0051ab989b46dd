/** Passphrases come from a flag, the GHOSTMESH_PASSPHRASE variable, or a prompt on a terminal. */
import { createInterface } from "node:readline";
import { loadKeyFile, type SigningKey } from "../crypto/index.ts";
import { GhostmeshError } from "../util/index.ts";
import { UsageError, type Io } from "./command.ts";

export async function readPassphrase(flag: string | undefined, io: Io, purpose: string): Promise<string> {
  if (flag !== undefined) return flag;
  const fromEnv = io.env.GHOSTMESH_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${purpose} needs a passphrase: pass --passphrase, set GHOSTMESH_PASSPHRASE, or run on a terminal to be prompted`);
  }
  return prompt(`Passphrase for ${purpose}: `);
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Hide what is typed: readline echoes through _writeToOutput.
    const internal = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(question);
    internal._writeToOutput = () => {};
    rl.question("", (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
  });
}

/** Loads a key file, asking for a passphrase only when the file is encrypted. */
export async function loadKeyWithPassphrase(path: string, flag: string | undefined, io: Io): Promise<SigningKey> {
  try {
    return loadKeyFile(path, flag);
  } catch (err) {
    if (!(err instanceof GhostmeshError) || err.code !== "CRYPTO_KEYFILE_PASSPHRASE_REQUIRED") throw err;
  }
  return loadKeyFile(path, await readPassphrase(undefined, io, path));
}
