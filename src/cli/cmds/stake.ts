/** ghostmesh stake: bond, delegate, unbond, unjail, and show stake and validators (docs/decisions/0602). */
import { encodeAmount } from "../../app/index.ts";
import { GhostmeshClient, responseSchemas as r, type TxIntent } from "../../client/index.ts";
import { s } from "../../codec/index.ts";
import { intFlag, parseFlags, printJson, printSent, refuseNotTaken, requireFlag, UsageError, type Command, type Io, type Takes } from "../command.ts";
import { addressArg, positiveAmountArg } from "../args.ts";
import { loadSigner, TX_FLAGS, TX_FLAGS_HELP } from "../signer.ts";
import { sendTx } from "./tx.ts";

const SUBCOMMANDS = ["bond", "delegate", "unbond", "unjail", "show", "validators"] as const;
const WRITE_FLAGS = ["node", "home", "key", "wait", "json", ...TX_FLAGS] as const;
const READ_FLAGS = ["node", "json"] as const;
const TAKES: Readonly<Record<Subcommand, Takes>> = {
  bond: { flags: WRITE_FLAGS, args: 1 },
  delegate: { flags: WRITE_FLAGS, args: 2 },
  unbond: { flags: WRITE_FLAGS, args: 2 },
  unjail: { flags: WRITE_FLAGS, args: 0 },
  show: { flags: READ_FLAGS, args: 1 },
  validators: { flags: READ_FLAGS, args: 0 },
};
type Subcommand = (typeof SUBCOMMANDS)[number];

function address(text: string | undefined, what: string): Uint8Array {
  if (text === undefined) throw new UsageError(`missing ${what}; see ghostmesh stake --help`);
  return addressArg(text, what);
}

/** A positive decimal token amount, as the wire's minimal big-endian bytes. */
function amount(text: string | undefined): Uint8Array {
  if (text === undefined) throw new UsageError("missing AMOUNT (a positive decimal integer); see ghostmesh stake --help");
  return encodeAmount(positiveAmountArg(text, "AMOUNT"));
}

function intentOf(sub: "bond" | "delegate" | "unbond" | "unjail", positionals: readonly string[]): TxIntent {
  switch (sub) {
    case "bond":
      return { type: "staking.bond", body: { amount: amount(positionals[0]) } };
    case "delegate":
    case "unbond":
      return { type: sub === "delegate" ? "staking.delegate" : "staking.unbond", body: { validator: address(positionals[0], "VALIDATOR"), amount: amount(positionals[1]) } };
    case "unjail":
      return { type: "staking.unjail", body: {} };
  }
}

const LIST_ITEMS_MAX = 100_000;
const validatorsSchema = r.open({
  mode: r.text,
  totalBonded: r.decimal,
  validatorSet: s.array(r.open({ address: r.address, power: r.decimal }), { maxLength: LIST_ITEMS_MAX }),
  candidates: s.array(r.open({ address: r.address, stake: r.decimal, jailed: s.bool(), jailedUntilEpoch: s.uint(), missed: s.uint(), inValidatorSet: s.bool() }), { maxLength: LIST_ITEMS_MAX }),
});
const delegationsSchema = r.open({
  address: r.address,
  delegations: s.array(r.open({ validator: r.address, amount: r.decimal }), { maxLength: LIST_ITEMS_MAX }),
  unbonding: s.array(r.open({ validator: r.address, amount: r.decimal, releaseEpoch: s.uint() }), { maxLength: LIST_ITEMS_MAX }),
});

async function show(sub: "show" | "validators", client: GhostmeshClient, positionals: readonly string[], json: boolean, io: Io): Promise<number> {
  if (sub === "validators") {
    const shown = await client.getJson("/v1/staking/validators", validatorsSchema);
    if (json) return printJson(io, shown), 0;
    io.stdout(`mode ${shown.mode}, total bonded ${shown.totalBonded}\n`);
    for (const c of shown.candidates) {
      const flags = [c.inValidatorSet ? "in set" : "", c.jailed ? `jailed until epoch ${c.jailedUntilEpoch}` : "", c.missed > 0 ? `missed ${c.missed}` : ""].filter((f) => f !== "");
      io.stdout(`${c.address}  stake ${c.stake}${flags.length > 0 ? `  (${flags.join(", ")})` : ""}\n`);
    }
    if (shown.candidates.length === 0) for (const v of shown.validatorSet) io.stdout(`${v.address}  power ${v.power}\n`);
    return 0;
  }
  address(positionals[0], "ADDRESS");
  const shown = await client.getJson(`/v1/staking/delegations/${encodeURIComponent(positionals[0] ?? "")}`, delegationsSchema);
  if (json) return printJson(io, shown), 0;
  if (shown.delegations.length === 0 && shown.unbonding.length === 0) io.stdout(`${shown.address}: no delegations\n`);
  for (const d of shown.delegations) io.stdout(`${shown.address} → ${d.validator}  ${d.amount}\n`);
  for (const u of shown.unbonding) io.stdout(`${shown.address} ← ${u.validator}  ${u.amount} unbonding, released at the end of epoch ${u.releaseEpoch}\n`);
  return 0;
}

export const stakeCommand: Command = {
  name: "stake",
  summary: "Bond, delegate, unbond and unjail on a PoS chain; show delegations and validators",
  help: `Usage:
  ghostmesh stake bond AMOUNT --node URL (--home DIR | --key FILE) [--wait] [tx flags] [--json]
  ghostmesh stake delegate VALIDATOR AMOUNT --node URL (--home DIR | --key FILE) [--wait] [tx flags] [--json]
  ghostmesh stake unbond VALIDATOR AMOUNT --node URL (--home DIR | --key FILE) [--wait] [tx flags] [--json]
  ghostmesh stake unjail --node URL (--home DIR | --key FILE) [--wait] [tx flags] [--json]
  ghostmesh stake show ADDRESS --node URL [--json]
  ghostmesh stake validators --node URL [--json]

bond: self-bond AMOUNT from the signer's balance; the signer becomes a validator candidate
  (its account key must be ML-DSA-65: validators sign consensus with it).
delegate: move AMOUNT of the balance into a delegation to the candidate VALIDATOR (gm…).
unbond: take AMOUNT out of a delegation (your self-bond: VALIDATOR = your address); it returns
  to the balance at the end of epoch (current + staking.unbondingEpochs).
unjail: release your jailed validator once staking.jailEpochs have passed since the slash.
AMOUNT: a positive decimal integer of token units. --home DIR signs with that node's validator
key; --key FILE with a key file. --wait waits until the transaction is committed.
The validator set changes at epoch ends: top staking.maxValidators non-jailed candidates by stake.

${TX_FLAGS_HELP}`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "stake ${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        node: { type: "string" },
        home: { type: "string" },
        key: { type: "string" },
        passphrase: { type: "string" },
        nonce: { type: "string" },
        wait: { type: "boolean" },
        "timeout-ms": { type: "string" },
        json: { type: "boolean" },
      },
      true,
    );
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    const command = sub as Subcommand;
    refuseNotTaken({ values, positionals }, TAKES[command], `stake ${sub}`);
    if (command === "show" || command === "validators") {
      return show(command, new GhostmeshClient(requireFlag(values.node, "node")), positionals, values.json === true, io);
    }
    const intent = intentOf(command, positionals);
    const client = new GhostmeshClient(requireFlag(values.node, "node"));
    const key = await loadSigner({ home: values.home, key: values.key, passphrase: values.passphrase }, io);
    const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
    const result = await sendTx(client, key, intent, { nonce: intFlag(values.nonce, "nonce"), wait: values.wait === true, timeoutMs }, io);
    printSent(io, result, values.json);
    return 0;
  },
};
