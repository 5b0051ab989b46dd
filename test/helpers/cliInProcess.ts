/** Runs the ghostmesh CLI in this process, capturing what it prints (for API tests against an in-process node). */
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import type { Io } from "../../src/cli/command.ts";

export type CliOutput = { code: number; stdout: string; stderr: string };

export async function cli(...argv: string[]): Promise<CliOutput> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env: {} };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** The JSON a successful command printed; fails the test with its stderr otherwise. */
export function json<T>(result: CliOutput): T {
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}
