/** The usage-line grammar the CLI property tests build arguments from (test/helpers/usageGrammar.ts). */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { argvArbitrary, flagsOf, parseUsage } from "../helpers/usageGrammar.ts";

describe("usage grammar", () => {
  const line = "tx build --type TYPE --from gm… [--body JSON|@FILE] (--node URL | --chain-id ID --nonce N) [--signer gm… ...] [--json]";

  it("reads words, values, flags with and without values, options, choices and repeats", () => {
    assert.deepEqual(parseUsage("gov vote ID yes|no --json"), {
      kind: "sequence",
      items: [
        { kind: "word", words: ["gov"] },
        { kind: "word", words: ["vote"] },
        { kind: "value", metavar: "ID" },
        { kind: "word", words: ["yes", "no"] },
        { kind: "flag", name: "json", metavar: null },
      ],
    });
    assert.deepEqual([...flagsOf(parseUsage(line))], [
      ["type", "TYPE"],
      ["from", "gm…"],
      ["body", "JSON|@FILE"],
      ["node", "URL"],
      ["chain-id", "ID"],
      ["nonce", "N"],
      ["signer", "gm…"],
      ["json", null],
    ]);
    assert.deepEqual(parseUsage("x [--a [--b B]]"), {
      kind: "sequence",
      items: [{ kind: "word", words: ["x"] }, { kind: "optional", item: { kind: "sequence", items: [{ kind: "flag", name: "a", metavar: null }, { kind: "optional", item: { kind: "flag", name: "b", metavar: "B" } }] } }],
    });
  });

  it("refuses brackets that do not pair and a repeat of nothing", () => {
    for (const bad of ["x [--a", "x (--a | --b", "x --a]", "... x", "x )"]) assert.throws(() => parseUsage(bad), /usage "/, bad);
  });

  it("builds only argument lists the line describes (property)", () => {
    const values = (metavar: string | null, flag: string | null) => (flag === "json" ? null : fc.constant(metavar === null ? "" : `<${metavar}>`));
    fc.assert(
      fc.property(argvArbitrary(parseUsage(line), values), (argv) => {
        assert.deepEqual(argv.slice(0, 6), ["tx", "build", "--type", "<TYPE>", "--from", "<gm…>"]);
        const rest = argv.slice(6).join(" ");
        assert.match(rest, /^(--body <JSON\|@FILE> )?(--node <URL>|--chain-id <ID> --nonce <N>)( --signer <gm…>){0,3}$/);
        assert.ok(!argv.includes("--json"), "a flag the source leaves out is not passed");
      }),
    );
  });
});
