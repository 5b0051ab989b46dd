/**
 * End to end: the `ghostmesh` command as a user meets it. Usage errors exit 2 naming the flag,
 * every command has --help, keys round-trip plain and encrypted, export prints one line per
 * log entry, and the bin explains itself on an old Node.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSigningKey, saveKeyFile } from "../../src/crypto/index.ts";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { commands, runCli as runCliInProcess } from "../../src/cli/main.ts";
import { NODE_PROCESS_FLAGS } from "../../src/cli/nodeFlags.ts";
import { BIN_SCRIPT, killAllChildren, makeTempDir, mapLimit, parseJsonOutput, removeDir, runCli, startNode } from "./helpers.ts";
import { homePaths } from "../../src/node/home.ts";

let dir = "";
before(() => {
  dir = makeTempDir("cli");
});
after(() => {
  killAllChildren();
  removeDir(dir);
});

describe("ghostmesh usage errors", () => {
  it("bad flags exit 2 with a message naming the flag", async () => {
    const keyFile = join(dir, "usage.key.json");
    saveKeyFile(keyFile, generateSigningKey(), { plain: true });
    const node = "http://127.0.0.1:9"; // never contacted: flags are checked first
    const cases: { args: string[]; names: RegExp }[] = [
      { args: ["verify", "--home", dir, "--bogus"], names: /--bogus/ },
      { args: ["verify"], names: /--home/ },
      { args: ["export", "--home", dir, "--format", "xml"], names: /--format.*xml/ },
      { args: ["devnet", "--validators", "abc", "--dir", join(dir, "devnet-abc")], names: /--validators.*abc/ },
      { args: ["tx", "send", "--node", node, "--key", keyFile, "--type", "bogus", "--data", "{}"], names: /--type.*bogus/ },
      { args: ["tx", "send", "--node", node, "--key", keyFile, "--type", "audit.append", "--data", "{not json"], names: /--data.*JSON/ },
      { args: ["tx", "send", "--node", node, "--key", keyFile, "--type", "audit.append", "--data", '{"subject":"no action"}'], names: /--data.*action/ },
      { args: ["tx", "send", "--node", node, "--key", keyFile, "--type", "audit.append", "--data", `@${join(dir, "no-such-record.json")}`], names: /--data: cannot read .*no-such-record\.json \(ENOENT/ },
      { args: ["tx", "build", "--type", "audit.append", "--from", `gm${"0".repeat(40)}`, "--chain-id", "c", "--nonce", "0", "--body", `@${join(dir, "no-such-body.json")}`], names: /--body: cannot read .*no-such-body\.json/ },
      { args: ["tx", "build", "--type", "roles.grant", "--from", `gm${"0".repeat(40)}`, "--chain-id", "c", "--nonce", "1", "--body", `{"address":"gm${"1".repeat(40)}","role":"admin"}`, "--out", dir], names: /--out .*: cannot write it \(EISDIR/ },
      { args: ["frobnicate"], names: /unknown command "frobnicate"/ },
    ];
    const failures: string[] = [];
    await mapLimit(cases, 2, async ({ args, names }) => {
      const result = await runCli(args);
      if (result.code !== 2 || !names.test(result.stderr)) failures.push(`ghostmesh ${args.join(" ")}: exit ${result.code}, stderr: ${result.stderr.trim()}`);
      if (result.stderr.includes("    at ")) failures.push(`ghostmesh ${args.join(" ")}: prints a stack trace`);
    });
    assert.deepEqual(failures, []);
    assert.equal(existsSync(join(dir, "devnet-abc")), false, "devnet --validators abc created its directory");
  });

  it("ghostmesh with no arguments prints the usage with every command and exits 2", async () => {
    const result = await runCli([]);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /^Usage: ghostmesh COMMAND/);
    for (const command of commands) assert.match(result.stdout, new RegExp(`^  ${command.name} `, "m"), `usage lacks ${command.name}`);
  });

  it("--help for every command and subcommand exits 0 and prints its usage", async () => {
    const invocations = [["--help"], ...commands.map((c) => [c.name, "--help"]), ["keys", "show", "--help"], ["tx", "send", "--help"]];
    const failures: string[] = [];
    await mapLimit(invocations, 2, async (args) => {
      const result = await runCli(args);
      const name = args[0] === "--help" ? "COMMAND" : args[0];
      if (result.code !== 0 || !result.stdout.includes("Usage:") || !result.stdout.includes(`ghostmesh ${name}`)) {
        failures.push(`ghostmesh ${args.join(" ")}: exit ${result.code}, stdout: ${result.stdout.slice(0, 200)}, stderr: ${result.stderr.slice(0, 200)}`);
      }
    });
    assert.deepEqual(failures, []);
  });
});

describe("ghostmesh keys", () => {
  type KeyInfo = { address: string; alg: string; publicKey: string };

  it("keys new --plain then keys show round-trip the address and algorithm, and the file is private", async () => {
    const file = join(dir, "plain.key.json");
    const created = await runCli(["keys", "new", "--out", file, "--plain", "--alg", "ml-dsa-44", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const made = parseJsonOutput<{ file: string; address: string; alg: string }>(created);
    assert.match(made.address, /^gm[0-9a-f]{40}$/);
    assert.equal(made.alg.toLowerCase(), "ml-dsa-44");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const shown = await runCli(["keys", "show", "--key", file, "--json"]);
    assert.equal(shown.code, 0, shown.stderr);
    const info = parseJsonOutput<KeyInfo>(shown);
    assert.equal(info.address, made.address);
    assert.equal(info.alg.toLowerCase(), "ml-dsa-44");
    assert.match(info.publicKey, /^[0-9a-f]+$/);
    const again = await runCli(["keys", "new", "--out", file, "--plain"]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /already exists; refusing to overwrite a key \(move it away first, or choose another path\)/);
    assert.equal(parseJsonOutput<KeyInfo>(await runCli(["keys", "show", "--key", file, "--json"])).address, made.address, "the key is untouched");
  });

  it("an encrypted key opens with --passphrase or GHOSTMESH_PASSPHRASE; a wrong passphrase exits 1 and a missing one exits 2", async () => {
    const file = join(dir, "secret.key.json");
    const passphrase = "correct horse battery staple";
    const created = await runCli(["keys", "new", "--out", file, "--passphrase", passphrase, "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const made = parseJsonOutput<{ address: string; alg: string }>(created);
    assert.equal(made.alg.toLowerCase(), "ml-dsa-65");
    assert.equal(readFileSync(file, "utf8").includes(passphrase), false);
    const [withFlag, withEnv, wrong, missing] = await Promise.all([
      runCli(["keys", "show", "--key", file, "--passphrase", passphrase, "--json"]),
      runCli(["keys", "show", "--key", file, "--json"], { env: { GHOSTMESH_PASSPHRASE: passphrase } }),
      runCli(["keys", "show", "--key", file, "--passphrase", "wrong horse", "--json"]),
      runCli(["keys", "show", "--key", file, "--json"]),
    ]);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.equal(parseJsonOutput<KeyInfo>(withFlag).address, made.address);
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assert.equal(parseJsonOutput<KeyInfo>(withEnv).address, made.address);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /wrong passphrase/);
    assert.equal(wrong.stdout, "");
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /passphrase/);
  });

  it("keys new takes its passphrase from GHOSTMESH_PASSPHRASE", async () => {
    const file = join(dir, "env.key.json");
    const created = await runCli(["keys", "new", "--out", file, "--json"], { env: { GHOSTMESH_PASSPHRASE: "from the environment" } });
    assert.equal(created.code, 0, created.stderr);
    const address = parseJsonOutput<{ address: string }>(created).address;
    const [right, wrong] = await Promise.all([
      runCli(["keys", "show", "--key", file, "--passphrase", "from the environment", "--json"]),
      runCli(["keys", "show", "--key", file, "--passphrase", "something else", "--json"]),
    ]);
    assert.equal(right.code, 0, right.stderr);
    assert.equal(parseJsonOutput<{ address: string }>(right).address, address);
    assert.equal(wrong.code, 1);
  });
});

describe("ghostmesh export", () => {
  let home = "";
  const txHashes: string[] = [];
  const BATCH_RECORDS = 5;
  const ENTRIES = 1 + 1 + BATCH_RECORDS + 1; // register, append, batch, append (with a comma and a quote for CSV)

  before(async () => {
    home = join(dir, "export-node");
    const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-export"]);
    assert.equal(init.code, 0, init.stderr);
    const node = await startNode(home, ["--block-interval-ms", "20"]);
    try {
      const client = new GhostmeshClient(node.api);
      const key = generateSigningKey();
      const intents: Parameters<typeof buildTx>[3][] = [
        { type: "account.register" },
        { type: "audit.append", record: { action: "deploy", subject: "api" } },
        { type: "audit.batch", records: Array.from({ length: BATCH_RECORDS }, (_, i) => ({ action: "batch", subject: `r${i}`, data: { i } })) },
        { type: "audit.append", record: { action: "note", subject: 'a "quoted", subject', data: { multi: "line\nvalue" } } },
      ];
      for (const [nonce, intent] of intents.entries()) {
        const response = await client.submitTx(buildTx(key, "e2e-export", nonce, intent).bytes, { wait: true });
        assert.equal(response.status, "committed");
        txHashes.push(response.hash);
      }
    } finally {
      await node.stop();
    }
  });

  it("export --format jsonl prints one JSON object per log entry, in leaf order", async () => {
    const result = await runCli(["export", "--home", home, "--format", "jsonl"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(lines.pop(), "", "output does not end with a newline");
    assert.equal(lines.length, ENTRIES);
    const rows = lines.map((line) => JSON.parse(line) as { leafIndex: number; txHash: string; recordIndex: number; subject?: string });
    assert.deepEqual(rows.map((r) => r.leafIndex), Array.from({ length: ENTRIES }, (_, i) => i));
    assert.deepEqual([...new Set(rows.map((r) => r.txHash))], txHashes);
    assert.deepEqual(rows.filter((r) => r.txHash === txHashes[2]).map((r) => r.recordIndex), [0, 1, 2, 3, 4]);
    assert.equal(rows.at(-1)?.subject, 'a "quoted", subject');
  });

  it("export --format csv prints a header and one row per log entry, quoting commas, quotes and newlines", async () => {
    const result = await runCli(["export", "--home", home, "--format", "csv"]);
    assert.equal(result.code, 0, result.stderr);
    const rows = parseCsv(result.stdout);
    assert.deepEqual(rows[0], ["leafIndex", "height", "txHash", "from", "type", "recordIndex", "action", "subject", "data"]);
    assert.equal(rows.length, 1 + ENTRIES);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), Array.from({ length: ENTRIES }, (_, i) => String(i)));
    const last = rows.at(-1) as string[];
    assert.equal(last[7], 'a "quoted", subject');
    assert.deepEqual(JSON.parse(last[8] as string), { multi: "line\nvalue" });
  });

  it("export --out FILE writes what stdout would get; an --out that cannot be written exits 1 naming it, for export and bundle export", async () => {
    const file = join(dir, "export.jsonl");
    const written = await runCli(["export", "--home", home, "--format", "jsonl", "--out", file]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(readFileSync(file, "utf8"), (await runCli(["export", "--home", home, "--format", "jsonl"])).stdout);
    // In process, without a stream behind stdout, the entries go through io.stdout like other output.
    let captured = "";
    const io = { stdout: (text: string) => void (captured += text), stderr: () => {}, env: {} };
    assert.equal(await runCliInProcess(["export", "--home", home, "--format", "jsonl"], io), 0);
    assert.equal(captured, readFileSync(file, "utf8"));
    for (const leaf of ["0x10", "1e3", "", "-1", "1.5"]) assert.equal(await runCliInProcess(["export", "--home", home, "--format", "jsonl", "--from-leaf", leaf], io), 2, `--from-leaf "${leaf}"`);
    for (const args of [["export", "--home", home, "--format", "csv", "--out", dir], ["bundle", "export", "--home", home, "--from", "1", "--to", "2", "--out", dir]]) {
      const refused = await runCli(args);
      assert.equal(refused.code, 1, `ghostmesh ${args.join(" ")}: ${refused.stderr}`);
      assert.match(refused.stderr, new RegExp(`${dir}: cannot write it \\(EISDIR`));
      assert.doesNotMatch(refused.stderr, /unexpected error|Unhandled|\n\s+at /);
    }
  });
});

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "");
    else field += c;
  }
  assert.equal(field, "", "CSV does not end with a newline");
  return rows;
}

describe("ghostmesh start", () => {
  it("with its API port taken exits 1 at once, naming the address and where to change it", async () => {
    const home = join(dir, "port-taken");
    const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-port-taken"]);
    assert.equal(init.code, 0, init.stderr);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      // Before the fix the node printed the error but its block producer kept the process running.
      const result = await runCli(["start", "--home", home, "--api-port", String(port)], { timeoutMs: 30_000 });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot serve the API on 127\\.0\\.0\\.1:${port}: the port is in use.*--api-port`));
      assert.doesNotMatch(result.stderr, /unexpected error/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("--resume-signing on a one-validator chain exits 2 before starting: such a validator never stops signing", async () => {
    const home = join(dir, "resume-one-validator");
    const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-resume-one"]);
    assert.equal(init.code, 0, init.stderr);
    const result = await runCli(["start", "--home", home, "--resume-signing"], { timeoutMs: 30_000 });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--resume-signing is for validators of multi-validator chains/);
    assert.equal(existsSync(homePaths(home).chainDb), false, "nothing started");
  });
});

describe("bin/ghostmesh.js", () => {
  /** A node binary older than 24 on this machine (the system Node), if any. */
  function oldNode(): string | undefined {
    const which = spawnSync("which", ["-a", "node"], { encoding: "utf8" }).stdout.split("\n");
    for (const candidate of ["/usr/local/bin/node", "/usr/bin/node", ...which]) {
      if (!candidate || !existsSync(candidate)) continue;
      const version = spawnSync(candidate, ["--version"], { encoding: "utf8" }).stdout.trim();
      const major = Number(/^v(\d+)\./.exec(version)?.[1]);
      if (major > 0 && major < 24) return candidate;
    }
    return undefined;
  }

  it("run by a Node older than 24 prints that it needs Node.js 24 and exits 1", async (t) => {
    const node = oldNode();
    if (!node) return t.skip("no Node older than 24 on this machine");
    t.diagnostic(`using ${node}`);
    const result = await runCli(["--help"], { execPath: node, script: BIN_SCRIPT });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /needs Node\.js 24/);
    assert.equal(result.stdout, "");
  });

  it("run by Node 24 dispatches to the CLI", async () => {
    const result = await runCli(["keys", "--help"], { script: BIN_SCRIPT });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ghostmesh keys new/);
  });

  it("run as a command, starts Node with the V8 flags devnet gives its validators", async () => {
    const firstLine = readFileSync(BIN_SCRIPT, "utf8").split("\n")[0];
    assert.equal(firstLine, `#!/usr/bin/env -S node ${NODE_PROCESS_FLAGS.join(" ")}`);
    // Run through its #! line, with the project's Node first on PATH (as npx does).
    const nodeDir = dirname(process.execPath);
    const result = spawnSync(BIN_SCRIPT, ["keys", "--help"], { encoding: "utf8", env: { ...process.env, PATH: `${nodeDir}:${process.env.PATH ?? ""}` } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /ghostmesh keys new/);
  });
});
