/**
 * Every command and subcommand the CLI lists (read from its own --help, so a new one is covered
 * the day it is added), given random flags, values and arguments against a live node on
 * 127.0.0.1 and a real node home: it exits 0, 1 or 2 with a message, never with "unexpected
 * error" and a stack trace. It found two: a --genesis file that could not be read (`env green
 * --prove`, `query state --prove`; at 5,000 runs it catches that again in about half its runs)
 * and a directory given to `bundle import` as its file. Random flags rarely get past parsing;
 * the commands' own tests go deeper.
 * `start` and `devnet` run until stopped and `sim` for as long as its flags ask: their flags
 * are tested in test/e2e/cli.test.ts.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { buildTx } from "../../src/client/index.ts";
import { commands, runCli } from "../../src/cli/main.ts";
import type { Io } from "../../src/cli/command.ts";
import { encodeKeyFile, formatAddress } from "../../src/crypto/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

const LONG_RUNNING = new Set(["start", "devnet", "sim"]);
/** Flags that wait for a commit: a random nonce can leave a transaction pending until the timeout. */
const WAITING = new Set(["wait"]);

/** The flags of a command and what each takes (FILE, DIR, N, ...), from its help; none for a switch. */
type Invocation = { readonly argv0: readonly string[]; readonly flags: readonly string[]; readonly metavars: ReadonlyMap<string, string> };

async function helpOf(argv: string[]): Promise<string> {
  let text = "";
  await runCli(argv, { stdout: (t) => void (text += t), stderr: (t) => void (text += t), env: {} });
  return text;
}

describe("CLI: random flags and values on every command", () => {
  let t: TestChain;
  let url = "";
  let dir = "";
  const invocations: Invocation[] = [];

  before(async () => {
    t = openTestChain();
    t.producer.start();
    url = await t.api.listen({ host: "127.0.0.1", port: 0 });
    const registration = buildTx(t.validatorKey, t.genesis.chainId, 0, { type: "account.register" });
    await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(registration.bytes) });
    dir = join(t.dir, "cli");
    mkdirSync(dir);
    writeFileSync(join(dir, "key.json"), encodeKeyFile(t.validatorKey, { plain: true }));
    writeFileSync(join(dir, "junk.json"), "{not json");
    writeFileSync(join(dir, "empty.json"), "{}");
    assert.equal(await runCli(["init", "--home", join(dir, "home"), "--plain-key"], { stdout: () => {}, stderr: () => {}, env: {} }), 0);
    for (const command of commands) {
      if (LONG_RUNNING.has(command.name)) continue;
      const help = await helpOf([command.name, "--help"]);
      const flags = [...new Set([...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string))].filter((flag) => flag !== "help" && !WAITING.has(flag));
      const metavars = new Map([...help.matchAll(/--([a-z][a-z0-9-]*)[ =]([A-Z][A-Za-z]*)/g)].map((m) => [m[1] as string, m[2] as string]));
      const subcommands = new Set([...help.matchAll(new RegExp(`(?:ghostmesh |\\n\\s+)${command.name} ([a-z][a-z-]*)`, "g"))].map((m) => m[1] as string));
      invocations.push({ argv0: [command.name], flags, metavars });
      for (const sub of subcommands) invocations.push({ argv0: [command.name, sub], flags, metavars });
    }
  });

  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("lists every command but the long-running ones, with their subcommands", () => {
    const listed = new Set(invocations.map((i) => i.argv0[0]));
    for (const command of commands) assert.equal(listed.has(command.name), !LONG_RUNNING.has(command.name), command.name);
    assert.ok(invocations.some((i) => i.argv0.join(" ") === "query status"));
    assert.ok(invocations.length >= 50, `${invocations.length} invocations`);
  });

  it("exits 0, 1 or 2 with a message, never an unexpected error (property)", async () => {
    const paths = [join(dir, "home"), join(dir, "key.json"), join(dir, "junk.json"), join(dir, "empty.json"), join(dir, "missing.json"), join(dir, "nowhere", "x")];
    const address = formatAddress(t.genesis.validators[0]!.address);
    const value = fc.oneof(
      fc.constantFrom("0", "1", "2", "-1", "", "x", "99999999999999999999", "1.5", address, `gm${"0".repeat(40)}`, "00".repeat(32), "{}", "[]", '{"action":"a"}', "audit.append", "jsonl"),
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...paths),
      fc.constantFrom(...paths).map((path) => `@${path}`),
    );
    // Positionals name transactions, heights, addresses or files to read: absolute paths only.
    const positional = fc.oneof(fc.constantFrom("0", "1", "3", "-1", address, "00".repeat(32), "yes", "no", "blue"), fc.constantFrom(...paths));
    const exits = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...invocations), fc.array(fc.tuple(fc.nat(), value), { maxLength: 6 }), fc.array(positional, { maxLength: 1 }), async (invocation, picks, positionals) => {
        const argv = [...invocation.argv0, ...positionals];
        for (const [n, v] of picks) {
          const flag = invocation.flags[n % Math.max(1, invocation.flags.length)];
          if (flag === undefined) continue;
          argv.push(`--${flag}`);
          const metavar = invocation.metavars.get(flag);
          if (metavar === undefined) continue;
          // The network stays on this machine (every --node is the test node), and every file or
          // directory a command may write is in the test's directory, never the working one.
          if (flag === "node") argv.push(url);
          else if (metavar === "FILE" || metavar === "DIR") argv.push(flag === "home" && invocation.argv0[0] === "init" ? join(dir, `init-${n}`) : paths[n % paths.length]!);
          else argv.push(v);
        }
        let stderr = "";
        const io: Io = { stdout: () => {}, stderr: (text) => void (stderr += text), env: { GHOSTMESH_PASSPHRASE: "fuzz" } };
        const code = await runCli(argv, io);
        exits.set(code, (exits.get(code) ?? 0) + 1);
        assert.ok([0, 1, 2].includes(code), `ghostmesh ${argv.join(" ")}: exit ${code}`);
        assert.doesNotMatch(stderr, /unexpected error|\n\s+at /, `ghostmesh ${argv.join(" ")}`);
      }),
      { numRuns: 5000 },
    );
    assert.ok((exits.get(1) ?? 0) + (exits.get(0) ?? 0) >= 50, `some invocations got past flag parsing (${JSON.stringify([...exits])})`);
  });
});
