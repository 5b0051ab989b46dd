/**
 * The shape of a CLI usage line, as our --help texts write them:
 *   ghostmesh tx build --type TYPE --from gm… [--body JSON|@FILE] (--node URL | --chain-id ID --nonce N) [--out FILE]
 * `[...]` is optional, `(a | b)` a choice, `...` repeats what precedes it, `yes|no` one of the
 * words, an upper-case word (or one with `…`) a value the user supplies, a lower-case word itself.
 * Property tests build argument lists from it, so they pass flag parsing and reach the command.
 */
import fc from "fast-check";

export type UsageNode =
  | { readonly kind: "word"; readonly words: readonly string[] }
  | { readonly kind: "value"; readonly metavar: string }
  | { readonly kind: "flag"; readonly name: string; readonly metavar: string | null }
  | { readonly kind: "sequence"; readonly items: readonly UsageNode[] }
  | { readonly kind: "optional"; readonly item: UsageNode }
  | { readonly kind: "choice"; readonly options: readonly UsageNode[] }
  | { readonly kind: "repeat"; readonly item: UsageNode };

const PUNCTUATION = new Set(["[", "]", "(", ")", "|", "..."]);

function isMetavar(token: string): boolean {
  return /^[A-Z][A-Z0-9_.]*$/.test(token) || token.includes("…");
}

/**
 * The usage lines of a help text: what follows `ghostmesh` on each line that starts with it
 * (after "Usage:" or indentation), joined with the indented lines of flags that continue it.
 */
export function usageLinesOf(help: string): string[] {
  return [...help.matchAll(/^(?:Usage:)?\s*ghostmesh ([a-z].*(?:\n {8,}(?:[[-]|\((?!also)).*)*)$/gm)].map((m) => (m[1] as string).replace(/\s+/g, " "));
}

/** Parses what follows `ghostmesh` on a usage line; throws on brackets that do not pair. */
export function parseUsage(line: string): UsageNode {
  const tokens = line.replace(/([[\]()])/g, " $1 ").split(/\s+/).filter((token) => token !== "");
  let at = 0;

  function choice(closing: string | null): UsageNode {
    const options: UsageNode[] = [sequence()];
    while (tokens[at] === "|") {
      at++;
      options.push(sequence());
    }
    if (closing !== null) {
      if (tokens[at] !== closing) throw new Error(`usage "${line}": expected "${closing}" at token ${at}, got "${tokens[at] ?? "end"}"`);
      at++;
    }
    return options.length === 1 ? options[0]! : { kind: "choice", options };
  }

  function sequence(): UsageNode {
    const items: UsageNode[] = [];
    for (let token = tokens[at]; token !== undefined && token !== "|" && token !== "]" && token !== ")"; token = tokens[at]) {
      at++;
      if (token === "...") {
        const last = items.pop();
        if (last === undefined) throw new Error(`usage "${line}": "..." repeats nothing`);
        items.push({ kind: "repeat", item: last });
      } else if (token === "[") items.push({ kind: "optional", item: choice("]") });
      else if (token === "(") items.push(choice(")"));
      else if (token.startsWith("--")) {
        const next = tokens[at];
        const takesValue = next !== undefined && !next.startsWith("--") && !PUNCTUATION.has(next);
        if (takesValue) at++;
        items.push({ kind: "flag", name: token.slice(2), metavar: takesValue ? next : null });
      } else if (isMetavar(token)) items.push({ kind: "value", metavar: token });
      else items.push({ kind: "word", words: token.split("|") });
    }
    return items.length === 1 ? items[0]! : { kind: "sequence", items };
  }

  const node = choice(null);
  if (at !== tokens.length) throw new Error(`usage "${line}": unexpected "${tokens[at]}" at token ${at}`);
  return node;
}

/** Each flag of a usage line with what it takes (null: a switch). */
export function flagsOf(node: UsageNode, into = new Map<string, string | null>()): Map<string, string | null> {
  switch (node.kind) {
    case "flag":
      into.set(node.name, node.metavar);
      break;
    case "sequence":
      for (const item of node.items) flagsOf(item, into);
      break;
    case "choice":
      for (const option of node.options) flagsOf(option, into);
      break;
    case "optional":
    case "repeat":
      flagsOf(node.item, into);
      break;
    case "word":
    case "value":
      break;
  }
  return into;
}

/**
 * Where a value comes from: `flag` is the flag that takes it, or null for a positional;
 * `metavar` is null for a switch. Returning null leaves the flag out (for flags a test must not
 * pass, such as --wait); a switch is passed as itself otherwise.
 */
export type ValueSource = (metavar: string | null, flag: string | null) => fc.Arbitrary<string> | null;

/** Argument lists the usage line describes, with values from `values`. */
export function argvArbitrary(node: UsageNode, values: ValueSource): fc.Arbitrary<string[]> {
  switch (node.kind) {
    case "word":
      return fc.constantFrom(...node.words).map((word) => [word]);
    case "value":
      return (values(node.metavar, null) ?? fc.constant("")).map((value) => [value]);
    case "flag": {
      const value = values(node.metavar, node.name);
      if (value === null) return fc.constant<string[]>([]);
      return node.metavar === null ? fc.constant([`--${node.name}`]) : value.map((v) => [`--${node.name}`, v]);
    }
    case "sequence":
      return fc.tuple(...node.items.map((item) => argvArbitrary(item, values))).map((parts) => parts.flat());
    case "optional":
      return fc.oneof(fc.constant<string[]>([]), argvArbitrary(node.item, values));
    case "choice":
      return fc.oneof(...node.options.map((option) => argvArbitrary(option, values)));
    case "repeat":
      return fc.array(argvArbitrary(node.item, values), { minLength: 1, maxLength: 3 }).map((parts) => parts.flat());
  }
}
