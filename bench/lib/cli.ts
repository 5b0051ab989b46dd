/**
 * The benches' command lines, under the CLI's rules (src/cli/command.ts): `--help` prints the
 * bench's help on stdout and exits 0; an unknown flag, a missing value or a bad value prints what
 * is wrong and the usage line on stderr and exits 2, before any work starts.
 */
import type { ParseArgsConfig } from "node:util";
import { intArg as cliIntArg, parseFlags, UsageError } from "../../src/cli/command.ts";
import { errorMessage } from "../../src/util/index.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export type BenchCommandLine<O extends Options> = {
  /** Names the bench in error messages, e.g. "bench/consensus-node.ts". */
  readonly name: string;
  /** The whole help text; its first line is the usage line repeated after an error. */
  readonly help: string;
  readonly options: O;
  /** How many positional arguments the bench takes (default none). */
  readonly positionalsMax?: number;
};

/**
 * Parses `argv` and hands the result to `read`, which turns it into the bench's settings and
 * throws UsageError (intArg, choiceArg) for a bad value. Returns only when the command line is good.
 */
export function benchCommandLine<O extends Options, T>(
  spec: BenchCommandLine<O>,
  read: (parsed: ReturnType<typeof parseFlags<O>>) => T,
  argv: string[] = process.argv.slice(2),
): T {
  try {
    const parsed = parseFlags(argv, spec.options, (spec.positionalsMax ?? 0) > 0);
    if ((parsed.values as { help?: boolean }).help === true) {
      process.stdout.write(spec.help.endsWith("\n") ? spec.help : `${spec.help}\n`);
      process.exit(0);
    }
    const positionalsMax = spec.positionalsMax ?? 0;
    if (parsed.positionals.length > positionalsMax) {
      throw new UsageError(`expected at most ${positionalsMax} argument${positionalsMax === 1 ? "" : "s"}, got ${parsed.positionals.length}: ${parsed.positionals.join(" ")}`);
    }
    return read(parsed);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const usageLine = spec.help.split("\n", 1)[0] ?? "";
    process.stderr.write(`${spec.name}: ${errorMessage(err)}\n${usageLine}\n(--help for details)\n`);
    process.exit(2);
  }
}

/** An integer from `min` to `max` (decimal digits only, the CLI's intArg); `fallback` when absent. */
export function intArg(text: string, name: string, range: { readonly min: number; readonly max: number }): number;
export function intArg(text: string | undefined, name: string, range: { readonly min: number; readonly max: number }, fallback: number): number;
export function intArg(text: string | undefined, name: string, range: { readonly min: number; readonly max: number }): number | undefined;
export function intArg(text: string | undefined, name: string, range: { readonly min: number; readonly max: number }, fallback?: number): number | undefined {
  return text === undefined ? fallback : cliIntArg(text, name, range);
}

/** One of `choices`; `fallback` when absent. */
export function choiceArg<C extends string>(text: string | undefined, name: string, choices: readonly C[], fallback: C): C {
  if (text === undefined) return fallback;
  const choice = choices.find((c) => c === text);
  if (choice === undefined) {
    const expected = choices.length <= 2 ? choices.join(" or ") : `one of ${choices.join(", ")}`;
    throw new UsageError(`${name}: expected ${expected}, got "${text}"`);
  }
  return choice;
}
