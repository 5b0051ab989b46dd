/** ghostmesh gov: propose, vote on, show and list governance proposals (decision 0603). */
import { encodeAmount, parseDecimalAmount } from "../../app/index.ts";
import { EMERGENCY_ACTIONS, GOV_VOTE_OPTIONS, PROPOSAL_TYPES, type GovVoteOption, type ProposalContent, type ProposalType } from "../../ledger/index.ts";
import { GhostmeshClient, responseSchemas as r } from "../../client/index.ts";
import { s, type Infer } from "../../codec/index.ts";
import { GhostmeshError, errorMessage } from "../../util/index.ts";
import { intFlag, parseFlags, printJson, refuseExtraArguments, requireFlag, UsageError, type Command, type Io } from "../command.ts";
import { addressArg } from "../args.ts";
import { loadSigner, TX_FLAGS_HELP } from "../signer.ts";
import { sendTx } from "./tx.ts";

const SUBCOMMANDS = ["propose", "vote", "show", "list"] as const;
const STATUSES = ["voting", "passed", "rejected", "vetoed", "executed", "failed"] as const;

type Flags = {
  type?: string;
  param?: string[];
  value?: string[];
  version?: string;
  "activation-height"?: string;
  validator?: string[];
  power?: string[];
  to?: string;
  amount?: string;
  action?: string;
  "tx-type"?: string[];
  height?: string;
};

const proposalSchema = r.open({
  id: s.uint(),
  status: r.text,
  type: r.text,
  title: r.text,
  proposer: r.text,
  deposit: r.text,
  votingEndsEpoch: s.uint(),
  executeEpoch: s.nullable(s.uint()),
  reason: s.nullable(r.text),
});
type ProposalJson = Infer<typeof proposalSchema>;
const proposalsSchema = r.open({ proposals: s.array(proposalSchema, { maxLength: 10_000 }) });
const minDepositSchema = r.open({ params: r.open({ governance: r.open({ minDeposit: s.uint() }) }) });

function address(text: string, flag: string): Uint8Array {
  return addressArg(text, `--${flag}`);
}

function amount(text: string, flag: string): bigint {
  try {
    return parseDecimalAmount(text, `--${flag}`);
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
}

/** Pairs repeated flags in order: --param a.b --value 1 --param c.d --value 2. */
function pairs(names: readonly string[] | undefined, values: readonly string[] | undefined, nameFlag: string, valueFlag: string): [string, string][] {
  if (names === undefined || names.length === 0) throw new UsageError(`missing --${nameFlag}`);
  if (values === undefined || values.length !== names.length) throw new UsageError(`give one --${valueFlag} per --${nameFlag} (${names.length} --${nameFlag}, ${values?.length ?? 0} --${valueFlag})`);
  return names.map((name, i) => [name, values[i] as string]);
}

/** The content flags of each proposal type; the others' are refused, not ignored. */
const CONTENT_FLAGS: Readonly<Record<ProposalType, readonly (keyof Flags)[]>> = {
  "param-change": ["param", "value"],
  upgrade: ["version", "activation-height"],
  "validator-set": ["validator", "power"],
  "treasury-spend": ["to", "amount"],
  emergency: ["action", "tx-type", "height"],
  text: [],
};
const ALL_CONTENT_FLAGS = [...new Set(Object.values(CONTENT_FLAGS).flat())];

function contentOf(type: ProposalType, flags: Flags): ProposalContent {
  for (const flag of ALL_CONTENT_FLAGS) {
    if (flags[flag] !== undefined && !CONTENT_FLAGS[type].includes(flag)) throw new UsageError(`--type ${type} does not take --${flag}; see ghostmesh gov --help`);
  }
  switch (type) {
    case "param-change":
      return {
        type,
        changes: pairs(flags.param, flags.value, "param", "value").map(([name, value]) => {
          const [module, param, extra] = name.split(".");
          if (!module || !param || extra !== undefined) throw new UsageError(`--param: expected MODULE.PARAM such as staking.rewardRateBps, got "${name}"`);
          return { module, param, value: intFlag(value, "value") as number };
        }),
      };
    case "upgrade":
      return { type, version: requireFlag(flags.version, "version"), activationHeight: intFlag(requireFlag(flags["activation-height"], "activation-height"), "activation-height", { min: 1 }) as number };
    case "validator-set":
      return {
        type,
        changes: pairs(flags.validator, flags.power, "validator", "power").map(([v, p]) => ({ address: address(v, "validator"), power: intFlag(p, "power", { max: 1_000_000 }) as number })),
      };
    case "treasury-spend":
      return { type, to: address(requireFlag(flags.to, "to"), "to"), amount: encodeAmount(amount(requireFlag(flags.amount, "amount"), "amount")) };
    case "emergency": {
      const action = requireFlag(flags.action, "action");
      if (!(EMERGENCY_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`--action: one of ${EMERGENCY_ACTIONS.join(", ")}, got "${action}"`);
      if (action === "rollback") {
        if (flags["tx-type"] !== undefined) throw new UsageError("--action rollback does not take --tx-type: a rollback restores the whole state of --height");
        return { type, action: "rollback", height: intFlag(requireFlag(flags.height, "height"), "height", { min: 1 }) as number };
      }
      if (flags.height !== undefined) throw new UsageError(`--action ${action} does not take --height (only rollback does)`);
      if (flags["tx-type"] === undefined) throw new UsageError(`--tx-type: name the transaction types to ${action} (repeatable)`);
      return { type, action: action as "halt" | "resume", txTypes: flags["tx-type"] };
    }
    case "text":
      return { type };
  }
}

function defaultTitle(content: ProposalContent): string {
  switch (content.type) {
    case "param-change":
      return `Set ${content.changes.map((c) => `${c.module}.${c.param} = ${c.value}`).join(", ")}`.slice(0, 140);
    case "upgrade":
      return `Upgrade to ${content.version} at height ${content.activationHeight}`.slice(0, 140);
    case "validator-set":
      return `Change ${content.changes.length} validator(s)`;
    case "treasury-spend":
      return "Treasury spend";
    case "emergency":
      return content.action === "rollback" ? `Emergency rollback to height ${content.height}` : `Emergency ${content.action} of ${(content.txTypes ?? []).join(", ")}`.slice(0, 140);
    case "text":
      return "Text proposal";
  }
}

const connect = (node: string | undefined) => new GhostmeshClient(requireFlag(node, "node"));

const signerFlags = { home: { type: "string" }, key: { type: "string" }, passphrase: { type: "string" }, nonce: { type: "string" }, "timeout-ms": { type: "string" } } as const;

async function propose(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, {
    node: { type: "string" },
    ...signerFlags,
    type: { type: "string" },
    title: { type: "string" },
    description: { type: "string" },
    deposit: { type: "string" },
    param: { type: "string", multiple: true },
    value: { type: "string", multiple: true },
    version: { type: "string" },
    "activation-height": { type: "string" },
    validator: { type: "string", multiple: true },
    power: { type: "string", multiple: true },
    to: { type: "string" },
    amount: { type: "string" },
    action: { type: "string" },
    "tx-type": { type: "string", multiple: true },
    height: { type: "string" },
    json: { type: "boolean" },
  });
  const client = connect(values.node);
  const type = requireFlag(values.type, "type");
  if (!(PROPOSAL_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type: one of ${PROPOSAL_TYPES.join(", ")}, got "${type}"`);
  const content = contentOf(type as ProposalType, values);
  const title = values.title ?? defaultTitle(content);
  const deposit = values.deposit === undefined ? BigInt((await client.getJson("/v1/params", minDepositSchema)).params.governance.minDeposit) : amount(values.deposit, "deposit");
  const key = await loadSigner(values, io);
  const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
  const body = { title, ...(values.description === undefined ? {} : { description: values.description }), deposit: encodeAmount(deposit), content };
  const sent = await sendTx(client, key, { type: "gov.propose", body }, { nonce: intFlag(values.nonce, "nonce"), wait: true, timeoutMs }, io);
  if (sent.height === undefined) throw new GhostmeshError("CLI_TX_NOT_COMMITTED", `proposal ${sent.hash} was not committed (status ${sent.status}); check it with ghostmesh query tx, or retry with a longer --timeout-ms`, {});
  const found = await client.getJson(`/v1/gov/proposals?txHash=${sent.hash}`, proposalsSchema);
  const proposal = found.proposals[0];
  if (proposal === undefined) throw new GhostmeshError("CLI_PROPOSAL_NOT_FOUND", `transaction ${sent.hash} was committed at height ${sent.height} but created no proposal; see ghostmesh query tx ${sent.hash}`, {});
  const result = { proposalId: proposal.id, hash: sent.hash, height: sent.height };
  if (values.json) printJson(io, result);
  else io.stdout(`proposal ${proposal.id} (${proposal.type}) committed at height ${sent.height}, tx ${sent.hash}; voting ends with epoch ${proposal.votingEndsEpoch}\n`);
  return 0;
}

async function vote(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, { node: { type: "string" }, ...signerFlags, json: { type: "boolean" } }, true);
  refuseExtraArguments(positionals, 2, "gov vote");
  const client = connect(values.node);
  const [idText, option] = positionals;
  if (idText === undefined || option === undefined) throw new UsageError("usage: ghostmesh gov vote ID yes|no|abstain|veto --node URL (--home DIR | --key FILE)");
  const proposalId = intFlag(idText, "ID", { min: 1 }) as number;
  if (!(GOV_VOTE_OPTIONS as readonly string[]).includes(option)) throw new UsageError(`OPTION: one of ${GOV_VOTE_OPTIONS.join(", ")}, got "${option}"`);
  const key = await loadSigner(values, io);
  const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
  const sent = await sendTx(client, key, { type: "gov.vote", body: { proposalId, option: option as GovVoteOption } }, { nonce: intFlag(values.nonce, "nonce"), wait: true, timeoutMs }, io);
  const result = { proposalId, option, hash: sent.hash, status: sent.status, ...(sent.height === undefined ? {} : { height: sent.height }) };
  if (values.json) printJson(io, result);
  else io.stdout(`voted ${option} on proposal ${proposalId}: ${sent.hash}${sent.height === undefined ? " pending" : ` committed at height ${sent.height}`}\n`);
  return 0;
}

async function show(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(argv, { node: { type: "string" }, json: { type: "boolean" } }, true);
  refuseExtraArguments(positionals, 1, "gov show");
  if (positionals[0] === undefined) throw new UsageError("usage: ghostmesh gov show ID --node URL [--json]");
  const client = connect(values.node);
  const id = intFlag(positionals[0], "ID", { min: 1 }) as number;
  const proposal = await client.getJson(`/v1/gov/proposals/${id}`, proposalSchema);
  if (values.json) printJson(io, proposal);
  else io.stdout(`${describe(proposal)}\n`);
  return 0;
}

async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, { node: { type: "string" }, status: { type: "string" }, json: { type: "boolean" } });
  const client = connect(values.node);
  if (values.status !== undefined && !(STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`--status: one of ${STATUSES.join(", ")}, got "${values.status}"`);
  const listed = await client.getJson(`/v1/gov/proposals${values.status === undefined ? "" : `?status=${values.status}`}`, proposalsSchema);
  if (values.json) printJson(io, listed);
  else io.stdout(listed.proposals.length === 0 ? "(no proposals)\n" : `${listed.proposals.map(describe).join("\n")}\n`);
  return 0;
}

function describe(p: ProposalJson): string {
  const timing = p.status === "voting" ? `voting ends with epoch ${p.votingEndsEpoch}` : p.status === "passed" ? `executes with epoch ${p.executeEpoch}` : (p.reason ?? "");
  return `#${p.id} ${p.status.padEnd(8)} ${p.type.padEnd(14)} ${p.title}  (${timing})`;
}

export const govCommand: Command = {
  name: "gov",
  summary: "Propose, vote on, show and list governance proposals",
  help: `Usage:
  ghostmesh gov propose --node URL (--home DIR | --key FILE) --type TYPE [content flags] [--title T] [--description D] [--deposit N] [tx flags] [--json]
  ghostmesh gov vote ID yes|no|abstain|veto --node URL (--home DIR | --key FILE) [tx flags] [--json]
  ghostmesh gov show ID --node URL [--json]
  ghostmesh gov list --node URL [--status ${STATUSES.join("|")}] [--json]

Content flags by --type:
  param-change    --param MODULE.PARAM --value N (repeatable, paired in order), e.g. --param staking.rewardRateBps --value 200
  upgrade         --version V --activation-height H
  validator-set   --validator gm… --power N (repeatable, paired; power 0 removes; PoA chains only)
  treasury-spend  --to gm… --amount N
  emergency       --action halt|resume --tx-type T (repeatable), or --action rollback --height H
                  (restores the state of height H as a new block; the proposer needs emergency_rollback)
  text            (no content flags)

--deposit defaults to governance.minDeposit (GET /v1/params); --title defaults to a summary of the content.
propose and vote wait for the commit (--timeout-ms); propose prints {proposalId, hash, height}.
--home DIR signs with that node's validator key; --key FILE with a key file (--passphrase or prompt).

${TX_FLAGS_HELP}`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "gov ${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    if (rest.includes("--help") || rest.includes("-h")) return io.stdout(`${this.help}\n`), 0;
    switch (sub as (typeof SUBCOMMANDS)[number]) {
      case "propose":
        return propose(rest, io);
      case "vote":
        return vote(rest, io);
      case "show":
        return show(rest, io);
      case "list":
        return list(rest, io);
    }
  },
};
