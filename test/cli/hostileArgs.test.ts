/**
 * Every command and subcommand the CLI lists (read from its own --help, so a new one is covered
 * the day it is added), run against a live node on 127.0.0.1 whose home is a real node home: it
 * exits 0, 1 or 2 with a message, never with "unexpected error" and a stack trace.
 * - Random flags, values and arguments. This found a --genesis file that could not be read
 *   (`env green --prove`, `query state --prove`) and a directory given to `bundle import` as its
 *   file. Random flags rarely get past parsing.
 * - Arguments built from each usage line of the help (test/helpers/usageGrammar.ts), with values
 *   mostly valid for what each flag names: most reach the command, and a good part succeed, so
 *   the property reaches the commands' own checks and the node's.
 * - Every flag a command takes is in its help: the usage lines are only as good as that.
 * `start` and `devnet` run until stopped and `sim` for as long as its flags ask: their flags
 * are tested in test/e2e/cli.test.ts.
 */
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { buildTx } from "../../src/client/index.ts";
import { commands, runCli } from "../../src/cli/main.ts";
import type { Io } from "../../src/cli/command.ts";
import { addressFromPublicKey, encodeKeyFile, formatAddress, generateSigningKey } from "../../src/crypto/index.ts";
import { MERGE_STRATEGIES, POLICY_OPERATIONS, PROPOSAL_TYPES, ROLES, TX_TYPES } from "../../src/ledger/index.ts";
import { homePaths, initHome } from "../../src/node/home.ts";
import { toHex } from "../../src/util/index.ts";
import { argvArbitrary, flagsOf, parseUsage, usageLinesOf, type UsageNode, type ValueSource } from "../helpers/usageGrammar.ts";
import { makeGenesis, openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

const LONG_RUNNING = new Set(["start", "devnet", "sim"]);
/** Flags that wait for a commit: a random nonce can leave a transaction pending until the timeout. */
const WAITING = new Set(["wait"]);

/** The flags of a command and what each takes (FILE, DIR, N, ...), from its help; none for a switch. */
type Invocation = { readonly argv0: readonly string[]; readonly flags: readonly string[]; readonly metavars: ReadonlyMap<string, string> };
/** One usage line of a command's help, parsed. */
type Usage = { readonly line: string; readonly node: UsageNode };

/**
 * What a usage line names but does not spell out, spelled out as its help's prose says:
 * env's SIGNER, and gov propose's content flags for each proposal type.
 */
const USAGE_MACROS: ReadonlyArray<readonly [string, string]> = [
  ["SIGNER", "--node URL (--home DIR | --key FILE)"],
  ["[tx flags]", "[--passphrase P] [--nonce N] [--timeout-ms MS]"],
  ["[content flags]", "[(--param MODULE.PARAM --value N ... | --version V --activation-height H | --validator gm… --power N ... | --to gm… --amount N | --action halt|resume --tx-type T ... | --action rollback --height H)]"],
];

async function helpOf(argv: string[]): Promise<string> {
  let text = "";
  await runCli(argv, { stdout: (t) => void (text += t), stderr: (t) => void (text += t), env: {} });
  return text;
}

/**
 * Every usage line of a command's help: `ghostmesh ...` lines with the indented lines of flags
 * that continue them, and query's indented `query SUB ...` lines.
 */
function usagesOf(name: string, help: string): Usage[] {
  const lines = usageLinesOf(help).filter((line) => !line.includes("SUBCOMMAND"));
  if (name === "query") lines.push(...[...help.matchAll(/^ {2}query ([a-z].*)$/gm)].map((m) => `query ${m[1] as string} --node URL [--json]`));
  return lines.map((raw) => {
    const line = USAGE_MACROS.reduce((text, [macro, expansion]) => text.replaceAll(macro, expansion), raw);
    return { line, node: parseUsage(line) };
  });
}

describe("CLI: random flags and values on every command", () => {
  let t: TestChain;
  let root = "";
  let url = "";
  let dir = "";
  let home = "";
  let txHashHex = "";
  const invocations: Invocation[] = [];
  const usages: Usage[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "gm-cli-fuzz-"));
    dir = join(root, "cli");
    home = join(dir, "home");
    // A node home whose node is the live test chain: funds and every role for its validator,
    // so commands that sign with --home or --key get past the node's checks as well.
    const key = generateSigningKey();
    const validator = addressFromPublicKey(key.alg, key.publicKey);
    const genesis = { ...makeGenesis(key), allocations: [{ address: validator, amount: "1000000000" }], roles: [{ address: validator, roles: [...ROLES] }] };
    initHome(home, { chainId: genesis.chainId, name: "v0", genesisTimeMs: genesis.genesisTime, keyProtection: { plain: true }, genesis, key });
    t = openTestChain({ dir: homePaths(home).data, key, genesis });
    t.producer.start();
    url = await t.api.listen({ host: "127.0.0.1", port: 0 });
    const registration = buildTx(t.validatorKey, t.genesis.chainId, 0, { type: "account.register" });
    txHashHex = toHex(registration.hash);
    await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(registration.bytes) });
    writeFileSync(join(dir, "key.json"), encodeKeyFile(t.validatorKey, { plain: true }));
    writeFileSync(join(dir, "junk.json"), "{not json");
    writeFileSync(join(dir, "empty.json"), "{}");
    writeFileSync(join(dir, "record.json"), '{"action":"fuzz.file","data":[1,2]}');
    const quiet: Io = { stdout: () => {}, stderr: () => {}, env: {} };
    assert.equal(await runCli(["tx", "build", "--type", "audit.append", "--from", formatAddress(validator), "--body", '{"record":{"action":"a"}}', "--node", url, "--out", join(dir, "unsigned.json")], quiet), 0);
    assert.equal(await runCli(["bundle", "export", "--home", home, "--from", "1", "--to", "1", "--out", join(dir, "bundle.gmb")], quiet), 0);
    for (const command of commands) {
      if (LONG_RUNNING.has(command.name)) continue;
      const help = await helpOf([command.name, "--help"]);
      const flags = [...new Set([...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string))].filter((flag) => flag !== "help" && !WAITING.has(flag));
      const metavars = new Map([...help.matchAll(/--([a-z][a-z0-9-]*)[ =]([A-Z][A-Za-z]*)/g)].map((m) => [m[1] as string, m[2] as string]));
      const subcommands = new Set([...help.matchAll(new RegExp(`(?:ghostmesh |\\n\\s+)${command.name} ([a-z][a-z-]*)`, "g"))].map((m) => m[1] as string));
      invocations.push({ argv0: [command.name], flags, metavars });
      for (const sub of subcommands) invocations.push({ argv0: [command.name, sub], flags, metavars });
      usages.push(...usagesOf(command.name, help));
    }
  });

  after(async () => {
    await t.close();
    removeDir(root);
  });

  it("lists every command but the long-running ones, with their subcommands", () => {
    const listed = new Set(invocations.map((i) => i.argv0[0]));
    for (const command of commands) assert.equal(listed.has(command.name), !LONG_RUNNING.has(command.name), command.name);
    assert.ok(invocations.some((i) => i.argv0.join(" ") === "query status"));
    assert.ok(invocations.length >= 50, `${invocations.length} invocations`);
  });

  it("parses a usage line of every command and subcommand but the long-running ones", () => {
    const covered = new Set(usages.map((u) => u.line.split(" ").slice(0, 2).join(" ")));
    for (const invocation of invocations) {
      if (invocation.argv0.length === 1 && invocations.some((i) => i.argv0.length === 2 && i.argv0[0] === invocation.argv0[0])) continue;
      const [name, sub] = invocation.argv0;
      assert.ok(covered.has(`${name} ${sub ?? ""}`.trim()) || [...covered].some((c) => c.startsWith(`${name} `) && sub === undefined), `no usage line for ${invocation.argv0.join(" ")}`);
    }
    assert.ok(usages.length >= 40, `${usages.length} usage lines`);
  });

  it("documents every flag a command takes: each flag any help names is unknown to the commands whose help omits it", async () => {
    const helps = new Map<string, string>();
    for (const invocation of invocations) helps.set(invocation.argv0[0]!, await helpOf([invocation.argv0[0]!, "--help"]));
    const everyFlag = new Set([...helps.values()].flatMap((help) => [...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string)));
    const unknown = async (argv: string[]): Promise<boolean> => {
      let stderr = "";
      await runCli(argv, { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} });
      return /Unknown option/.test(stderr);
    };
    const undocumented: string[] = [];
    const hasSubcommands = (name: string) => invocations.some((i) => i.argv0.length === 2 && i.argv0[0] === name);
    for (const invocation of invocations) {
      if (invocation.argv0.length === 1 && hasSubcommands(invocation.argv0[0]!)) continue;
      const help = helps.get(invocation.argv0[0]!)!;
      for (const flag of everyFlag) {
        if (flag === "help" || new RegExp(`--${flag}\\b`).test(help)) continue;
        // As a switch and with a value (a path in the test's directory, should the flag be taken
        // and the command write there): a flag the command does not take is unknown either way.
        if (!(await unknown([...invocation.argv0, `--${flag}`])) || !(await unknown([...invocation.argv0, `--${flag}=${join(dir, "probe")}`]))) {
          undocumented.push(`${invocation.argv0.join(" ")} --${flag}`);
        }
      }
    }
    assert.deepEqual(undocumented, []);
  });

  it("refuses, naming it, every flag of a command's help that a subcommand's usage line does not name", async () => {
    const accepted: string[] = [];
    for (const usage of usages) {
      const prefix: string[] = [];
      const items = usage.node.kind === "sequence" ? usage.node.items : [usage.node];
      for (const item of items) {
        if (item.kind !== "word" || item.words.length !== 1) break;
        prefix.push(item.words[0]!);
      }
      const taken = flagsOf(usage.node);
      const help = await helpOf([prefix[0]!, "--help"]);
      for (const flag of new Set([...help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string))) {
        if (flag === "help" || taken.has(flag)) continue;
        let refused = false;
        for (const form of [`--${flag}`, `--${flag}=${join(dir, "probe")}`]) {
          let stderr = "";
          const code = await runCli([...prefix, form], { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} });
          refused ||= code === 2 && new RegExp(`Unknown option '--${flag}'|does not take --${flag}\\b`).test(stderr);
        }
        if (!refused) accepted.push(`${prefix.join(" ")} --${flag}`);
      }
    }
    assert.deepEqual(accepted, []);
  });

  it("refuses, naming it, an argument beyond those a subcommand's usage line names", async () => {
    const ignored: string[] = [];
    for (const usage of usages) {
      const items = usage.node.kind === "sequence" ? usage.node.items : [usage.node];
      const prefix = items.filter((item) => item.kind === "word" && item.words.length === 1).map((item) => (item.kind === "word" ? item.words[0]! : ""));
      const slots = items.filter((item) => item.kind === "value" || (item.kind === "word" && item.words.length > 1)).length;
      const args = Array.from({ length: slots + 1 }, (_, i) => `arg${i}`);
      let stderr = "";
      const code = await runCli([...prefix, ...args], { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} });
      if (code !== 2 || !new RegExp(`"arg${slots}" is one too many|Unexpected argument 'arg${slots}'`).test(stderr)) ignored.push(`${prefix.join(" ")} ${args.join(" ")}: exit ${code}, ${stderr.trim()}`);
    }
    assert.deepEqual(ignored, []);
  });

  it("gov propose refuses the content flags of other proposal types, and emergency actions the flags of the others", async () => {
    const base = ["gov", "propose", "--node", url, "--key", join(dir, "key.json")];
    const cases: [string[], RegExp][] = [
      [["--type", "text", "--param", "staking.rewardRateBps", "--value", "1"], /--type text does not take --param/],
      [["--type", "upgrade", "--version", "v2", "--activation-height", "9", "--amount", "5"], /--type upgrade does not take --amount/],
      [["--type", "emergency", "--action", "rollback", "--height", "1", "--tx-type", "audit.append"], /--action rollback does not take --tx-type/],
      [["--type", "emergency", "--action", "halt", "--tx-type", "audit.append", "--height", "1"], /--action halt does not take --height/],
    ];
    for (const [flags, message] of cases) {
      let stderr = "";
      assert.equal(await runCli([...base, ...flags], { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} }), 2, flags.join(" "));
      assert.match(stderr, message);
    }
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

  it("exits 0, 1 or 2 on arguments built from every usage line, and most reach the command (property)", async () => {
    const validator = formatAddress(t.genesis.validators[0]!.address);
    const strangerKey = generateSigningKey();
    const stranger = formatAddress(addressFromPublicKey(strangerKey.alg, strangerKey.publicKey));
    let fresh = 0;
    const freshPath = (prefix: string) => fc.constant(null).map(() => join(dir, `${prefix}-${fresh++}`));
    const hostile = fc.oneof(fc.constantFrom("", "-1", "x", "1.5", "99999999999999999999", "gm", "00"), fc.string({ maxLength: 10 }));
    const number = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("0", "1", "2", "3", "10", "1000") }, { weight: 1, arbitrary: hostile });
    const address = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(validator, stranger) }, { weight: 1, arbitrary: hostile });
    const hex32 = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex) }, { weight: 1, arbitrary: hostile });
    const mostly = (...valid: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: hostile });
    const readable = (...files: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...files.map((f) => join(dir, f))) }, { weight: 1, arbitrary: fc.constantFrom(join(dir, "junk.json"), join(dir, "missing.json"), dir) });
    const valuesFor = (usage: Usage): ValueSource => (metavar, flag) => {
      const [command, subcommand] = usage.line.split(" ");
      if (metavar === null) return fc.constant("");
      if (flag === "node") return fc.constant(url);
      if (flag === "home") return command === "init" ? freshPath("home") : fc.oneof({ weight: 4, arbitrary: fc.constant(home) }, { weight: 1, arbitrary: fc.constantFrom(dir, join(dir, "missing")) });
      if (flag === "out") return fc.oneof({ weight: 4, arbitrary: freshPath("out") }, { weight: 1, arbitrary: fc.constantFrom(dir, join(dir, "missing", "x"), "/dev/full") });
      if (flag === "key" || flag === "cosign") return readable("key.json");
      if (flag === "genesis") return readable("home/genesis.json");
      if (flag === "trust-cache") return fc.oneof(freshPath("trust"), fc.constantFrom(join(dir, "junk.json"), dir));
      if (flag === "alg") return mostly("ml-dsa-44", "ml-dsa-65", "ml-dsa-87");
      if (flag === "passphrase") return mostly("fuzz");
      if (flag === "chain-id") return mostly(t.genesis.chainId);
      if (flag === "type") return command === "gov" ? mostly(...PROPOSAL_TYPES) : subcommand === "send" ? mostly("account.register", "audit.append", "audit.batch") : mostly(...TX_TYPES);
      if (flag === "strategy") return mostly(...MERGE_STRATEGIES);
      if (flag === "param") return mostly("staking.rewardRateBps", "governance.minDeposit", "chain.epochBlocks");
      if (flag === "tx-type") return mostly(...TX_TYPES);
      if (flag === "action") return mostly("halt", "resume", "rollback", "audit.append", "fuzz");
      if (metavar.includes("|") && !metavar.includes("@")) return mostly(...metavar.split("|"));
      switch (metavar) {
        case "JSON|@FILE":
          return mostly('{"action":"fuzz"}', '{"record":{"action":"built"}}', '[{"action":"a"},{"action":"b","subject":"s"}]', '{"records":[{"action":"c"}]}', '{"to":"' + stranger + '","amount":"1"}', "{}", `@${join(dir, "record.json")}`, `@${join(dir, "junk.json")}`, `@${join(dir, "missing.json")}`);
        case "FILE":
          // Positional files: a transaction file (tx sign, tx broadcast) or a bundle (bundle import).
          return readable("unsigned.json", "bundle.gmb");
        case "DIR":
          return freshPath("home");
        case "URL":
          return fc.constant(url);
        case "ADDRESS":
        case "VALIDATOR":
        case "gm…":
          return address;
        case "HEX":
          return fc.oneof({ weight: 3, arbitrary: hex32 }, { weight: 1, arbitrary: fc.constantFrom(`01${toHex(t.genesis.validators[0]!.address)}`, `02${toHex(t.genesis.validators[0]!.address)}`) });
        case "HASH":
        case "TXHASH":
          return fc.oneof({ weight: 2, arbitrary: fc.constant(txHashHex) }, { weight: 2, arbitrary: hex32 });
        case "ROLE":
          return mostly(...ROLES);
        case "OPERATION":
          return mostly(...POLICY_OPERATIONS);
        case "ID":
        case "N":
        case "H":
        case "K":
        case "I":
        case "V":
        case "MS":
        case "AMOUNT":
        case "HEIGHT":
          return number;
        default:
          // Names and free text: NAME, TARGET, TEXT, T, D, A, C, P, MODULE.PARAM.
          return mostly("blue", "env-1", "audit.append", "fuzz");
      }
    };
    // Commands that wait for a commit (gov always does) wait at most 2 s unless the flags say
    // otherwise: a transaction held behind a nonce gap (its predecessor refused) never commits.
    const bounded = (usage: Usage, args: string[]) => (flagsOf(usage.node).has("timeout-ms") && !args.includes("--timeout-ms") ? [...args, "--timeout-ms", "2000"] : args);
    const argv = fc.constantFrom(...usages).chain((usage) => argvArbitrary(usage.node, valuesFor(usage)).map((args) => ({ usage, args: bounded(usage, args) })));
    const exitsByUsage = new Map<string, Set<number>>();
    const exits = new Map<number, number>();
    const io: Io = { stdout: () => {}, stderr: () => {}, env: { GHOSTMESH_PASSPHRASE: "fuzz", XDG_CACHE_HOME: join(dir, "cache") } };
    await fc.assert(
      fc.asyncProperty(argv, async ({ usage, args }) => {
        let stderr = "";
        const code = await runCli(args, { ...io, stderr: (text) => void (stderr += text) });
        exits.set(code, (exits.get(code) ?? 0) + 1);
        const seen = exitsByUsage.get(usage.line) ?? new Set();
        exitsByUsage.set(usage.line, seen.add(code));
        assert.ok([0, 1, 2].includes(code), `ghostmesh ${args.join(" ")}: exit ${code}`);
        assert.doesNotMatch(stderr, /unexpected error|\n\s+at /, `ghostmesh ${args.join(" ")}`);
      }),
      { numRuns: 1000 },
    );
    const succeeded = [...exitsByUsage].filter(([, codes]) => codes.has(0)).length;
    assert.ok((exits.get(0) ?? 0) >= 250, `a quarter of the invocations succeed (${JSON.stringify([...exits])})`);
    assert.ok(succeeded * 2 >= usages.length, `half of the usage lines succeed at least once (${succeeded} of ${usages.length})`);
  });
});
