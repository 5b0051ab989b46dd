/**
 * What every CLI command shares: flag parsing with clear errors, --help, and the rule that
 * with --json stdout carries exactly one JSON document while messages go to stderr.
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { GhostmeshError, errorMessage } from "../util/index.ts";

export type Io = {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /**
   * The stream behind `stdout`, for output too large to buffer (export): the writer waits for it
   * to drain. Absent, such output goes through `stdout` like any other.
   */
  readonly stdoutStream?: NodeJS.WritableStream;
};

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdoutStream: process.stdout,
};

/** Writes to `io`'s standard output, waiting for its stream to drain when it has one. */
export function stdoutWriter(io: Io): (text: string) => Promise<void> {
  const stream = io.stdoutStream;
  if (stream === undefined) return async (text) => io.stdout(text);
  return (text) => (stream.write(text) ? Promise.resolve() : new Promise<void>((resolve) => stream.once("drain", resolve)));
}

export type Command = {
  readonly name: string;
  readonly summary: string;
  /** Full help text: usage line, flags and examples. */
  readonly help: string;
  run(argv: string[], io: Io): Promise<number>;
};

export class UsageError extends GhostmeshError<"CLI_USAGE"> {
  constructor(message: string) {
    super("CLI_USAGE", message, {});
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with `--help` built in; unknown flags and missing values become UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(errorMessage(err).replace(/^TypeError \[\w+\]: /, ""));
  }
}

/** What a subcommand takes: its flags, and how many arguments. */
export type Takes = { readonly flags: readonly string[]; readonly args: number };

/**
 * One parser serves all of a command's subcommands: this refuses each flag it parsed that
 * `subcommand` ("tx build") does not take, and each argument beyond its count, so nothing is
 * silently ignored.
 */
export function refuseNotTaken(parsed: { readonly values: Readonly<Record<string, unknown>>; readonly positionals: readonly string[] }, takes: Takes, subcommand: string): void {
  for (const [flag, value] of Object.entries(parsed.values)) {
    if (value === undefined || flag === "help" || takes.flags.includes(flag)) continue;
    throw new UsageError(`${subcommand} does not take --${flag}; see ghostmesh ${subcommand.split(" ")[0]} --help`);
  }
  refuseExtraArguments(parsed.positionals, takes.args, subcommand);
}

/** Refuses arguments beyond the `count` a subcommand ("query status") takes: none is silently ignored. */
export function refuseExtraArguments(positionals: readonly string[], count: number, subcommand: string): void {
  const extra = positionals[count];
  if (extra === undefined) return;
  const takes = count === 0 ? "no arguments" : `${count} argument${count === 1 ? "" : "s"}`;
  throw new UsageError(`${subcommand} takes ${takes}; "${extra}" is one too many (see ghostmesh ${subcommand.split(" ")[0]} --help)`);
}

export function requireFlag<T>(value: T | undefined, flag: string): T {
  if (value === undefined || value === "") throw new UsageError(`missing required flag --${flag}`);
  return value;
}

export function intFlag(value: string | undefined, flag: string, opts: { min?: number; max?: number } = {}): number | undefined {
  return value === undefined ? undefined : intArg(value, `--${flag}`, opts);
}

/** A decimal integer from `min` (default 0) to `max`; `name` is the flag or argument as the help shows it ("--rate", "BLOCKS"). */
export function intArg(text: string, name: string, opts: { min?: number; max?: number } = {}): number {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  return n;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** What a sent transaction became: the response as JSON, or "HASH pending" / "HASH committed at height H". */
export function printSent(io: Io, sent: { hash: string; height?: number }, json: boolean | undefined): void {
  if (json) printJson(io, sent);
  else io.stdout(`${sent.hash}${sent.height === undefined ? " pending" : ` committed at height ${sent.height}`}\n`);
}

/**
 * A flag's JSON, inline or `@FILE`; a file that cannot be read and text that is not JSON are
 * usage errors that say which.
 */
export function readJsonFlag(text: string, what: string): unknown {
  let json = text;
  if (text.startsWith("@")) {
    try {
      json = readFileSync(text.slice(1), "utf8");
    } catch (err) {
      throw new UsageError(`${what}: cannot read ${text.slice(1)} (${errorMessage(err)})`);
    }
  }
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new UsageError(`${what}: not valid JSON (${errorMessage(err)})`);
  }
}
