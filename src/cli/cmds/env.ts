/**
 * ghostmesh env: Blue environments (create, update, checkpoint, merge), promotion to Green, and
 * the queries; `green --prove` checks the promotion against a QC-signed checkpoint (decision 0604).
 */
import { readGreen, GREEN_KEY, type GreenRecord } from "../../app/index.ts";
import { GhostmeshClient, responseSchemas, verifyCheckpointFromGenesis, verifyInclusionResponse, verifyStateProofResponse, type CheckpointResponse, type ModuleTxIntent } from "../../client/index.ts";
import { decodeWith } from "../../codec/index.ts";
import type { SigningKey } from "../../crypto/index.ts";
import { blockHeaderSchema, decodeStoredEntry, ENV_NAME_PATTERN, MERGE_SOURCES_MAX, MERGE_STRATEGIES } from "../../ledger/index.ts";
import { fromHexOrUndefined, GhostmeshError, toHex } from "../../util/index.ts";
import { intFlag, parseFlags, printJson, printSent, refuseNotTaken, requireFlag, UsageError, type Command, type Io, type Takes } from "../command.ts";
import { loadKeyWithPassphrase } from "../passphrase.ts";
import { loadSigner, TX_FLAGS, TX_FLAGS_HELP } from "../signer.ts";
import { trustedGenesis } from "./query.ts";
import { registerCosigners } from "./roles.ts";
import { sendTx } from "./tx.ts";
import { openCachedWalk, TRUST_CACHE_HELP, TRUST_FLAGS, type TrustCacheFlags } from "../trustCache.ts";

const WRITE_SUBCOMMANDS = ["create", "update", "checkpoint", "merge", "promote"] as const;
/** show-green and history are the same query as green. */
const READ_SUBCOMMANDS = ["show", "green", "show-green", "history"] as const;
const SUBCOMMANDS = [...WRITE_SUBCOMMANDS, ...READ_SUBCOMMANDS] as const;
const SEND_FLAGS = ["node", "home", "key", "wait", "json", ...TX_FLAGS] as const;
const RECORD_FLAGS = [...SEND_FLAGS, "state-hash", "version"] as const;
const GREEN: Takes = { flags: ["node", "from", "limit", "prove", "json", ...TRUST_FLAGS], args: 0 };
const TAKES: Readonly<Record<(typeof SUBCOMMANDS)[number], Takes>> = {
  create: { flags: [...RECORD_FLAGS, "description"], args: 1 },
  update: { flags: RECORD_FLAGS, args: 1 },
  checkpoint: { flags: RECORD_FLAGS, args: 1 },
  merge: { flags: [...RECORD_FLAGS, "source", "strategy"], args: 1 },
  promote: { flags: [...SEND_FLAGS, "cosign"], args: 1 },
  show: { flags: ["node", "json"], args: 1 },
  green: GREEN,
  "show-green": GREEN,
  history: GREEN,
};
type WriteSubcommand = (typeof WRITE_SUBCOMMANDS)[number];

type Flags = {
  "state-hash"?: string;
  version?: string;
  description?: string;
  source?: string[];
  strategy?: string;
};

function envName(text: string | undefined, what: string): string {
  if (text === undefined) throw new UsageError(`missing ${what}; see ghostmesh env --help`);
  if (!ENV_NAME_PATTERN.test(text)) throw new UsageError(`${what}: "${text.slice(0, 80)}" is not an environment name (lowercase letters, digits and dashes, 1 to 63, starting with a letter or digit)`);
  return text;
}

function stateHash(text: string | undefined): Uint8Array {
  const value = requireFlag(text, "state-hash");
  const hex = value.startsWith("0x") ? value.slice(2) : value;
  const bytes = fromHexOrUndefined(hex);
  if (bytes === undefined || bytes.length !== 32) throw new UsageError(`--state-hash: expected 64 hex characters (a 32-byte hash), got "${value.slice(0, 80)}"`);
  return bytes;
}

function version(text: string | undefined): number {
  return intFlag(requireFlag(text, "version"), "version") as number;
}

function intentOf(sub: WriteSubcommand, positionals: readonly string[], flags: Flags): ModuleTxIntent {
  const name = envName(positionals[0], sub === "merge" ? "TARGET" : "NAME");
  switch (sub) {
    case "create":
      return { type: "env.create", body: { name, stateHash: stateHash(flags["state-hash"]), version: version(flags.version), ...(flags.description === undefined ? {} : { description: flags.description }) } };
    case "update":
      return { type: "env.update", body: { name, stateHash: stateHash(flags["state-hash"]), version: version(flags.version) } };
    case "checkpoint":
      return { type: "env.checkpoint", body: { name, stateHash: stateHash(flags["state-hash"]), version: version(flags.version) } };
    case "merge": {
      const sources = (flags.source ?? []).map((text, i) => envName(text, `--source #${i + 1}`));
      if (sources.length === 0 || sources.length > MERGE_SOURCES_MAX) throw new UsageError(`--source: name 1 to ${MERGE_SOURCES_MAX} source environments`);
      const strategy = requireFlag(flags.strategy, "strategy");
      if (!(MERGE_STRATEGIES as readonly string[]).includes(strategy)) throw new UsageError(`--strategy: "${strategy}" is not one of ${MERGE_STRATEGIES.join(", ")}`);
      const body = { sources, target: name, strategy: strategy as (typeof MERGE_STRATEGIES)[number], stateHash: stateHash(flags["state-hash"]), version: version(flags.version) };
      return { type: "env.merge", body };
    }
    case "promote":
      return { type: "env.promote", body: { name } };
  }
}

function fail(message: string): never {
  throw new GhostmeshError("CLIENT_VERIFY_FAILED", message, {});
}

/**
 * The Green record as the checkpoint's state root commits to it: a QC-verified checkpoint, then
 * a state proof of the Green key at that height against the stateRoot of the checkpoint's header.
 */
async function provenGreen(client: GhostmeshClient, checkpoint: CheckpointResponse): Promise<GreenRecord> {
  const header = decodeWith(blockHeaderSchema, fromHexOrUndefined(checkpoint.header) ?? fail("checkpoint.header is not hex"), "checkpoint.header");
  const response = await client.stateProof(toHex(GREEN_KEY), { height: checkpoint.height });
  verifyStateProofResponse(response, header.stateRoot);
  if (response.value === null) fail(`no environment is Green at checkpoint height ${checkpoint.height} (the state proof shows the Green key absent)`);
  const value = fromHexOrUndefined(response.value) ?? fail("state proof value is not hex");
  const green = readGreen((key) => (toHex(key) === toHex(GREEN_KEY) ? value : undefined));
  return green ?? fail("the Green record is missing");
}

/**
 * Verifies, client-side: the latest checkpoint's QC against the trusted validators; the Green
 * record against the checkpoint's stateRoot; the promotion transaction's log entry against the
 * checkpoint's logRoot (RFC 6962 inclusion); and that this entry is the env.promote the Green
 * record names (same tx hash, height and environment).
 */
async function proveGreen(io: Io, client: GhostmeshClient, flags: { genesis?: string } & TrustCacheFlags) {
  const checkpoint = await client.checkpoint();
  const { walk, keepNewest } = openCachedWalk(io, client, await trustedGenesis(client, flags.genesis), flags);
  const { validatorSet } = await verifyCheckpointFromGenesis(walk, checkpoint);
  const green = await provenGreen(client, checkpoint);
  const txHash = toHex(green.txHash);
  const tx = await client.tx(txHash);
  if (tx.status !== "committed" || tx.firstLeaf === undefined) fail(`promotion ${txHash} is not committed`);
  const proof = await client.inclusionProof(txHash, { treeSize: checkpoint.treeSize });
  if (proof.leafIndex !== tx.firstLeaf) fail(`the inclusion proof is for leaf ${proof.leafIndex}, but promotion ${txHash} starts at leaf ${tx.firstLeaf}`);
  verifyInclusionResponse(proof, checkpoint.rootHash);
  keepNewest();
  const entry = decodeStoredEntry(new Uint8Array(Buffer.from(proof.entry, "base64")), proof.leafIndex);
  const record = entry.record as { name?: unknown };
  if (entry.type !== "env.promote" || toHex(entry.txHash) !== txHash || entry.height !== green.height || record.name !== green.name) {
    fail(`log entry ${proof.leafIndex} is ${entry.type} of ${toHex(entry.txHash)} at height ${entry.height}, not the promotion of "${green.name}" (${txHash}) at height ${green.height}`);
  }
  return {
    verified: true,
    checkpoint: { height: checkpoint.height, blockHash: checkpoint.blockHash, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, epoch: validatorSet.epoch, validatorSetHash: toHex(validatorSet.hash), validatorsChecked: validatorSet.set.validators.length },
    green: { name: green.name, stateHash: toHex(green.stateHash), version: green.version, height: green.height, txHash },
    stateProof: { key: toHex(GREEN_KEY), height: checkpoint.height, verifiedAgainst: "checkpoint header stateRoot" },
    inclusion: { leafIndex: proof.leafIndex, treeSize: proof.treeSize, auditPath: proof.auditPath, verifiedAgainst: "checkpoint rootHash" },
  };
}

function historyPath(from: number | undefined, limit: number | undefined): string {
  const params = new URLSearchParams();
  if (from !== undefined) params.set("from", String(from));
  if (limit !== undefined) params.set("limit", String(limit));
  const text = params.toString();
  return `/v1/env-green${text ? `?${text}` : ""}`;
}

async function send(sub: WriteSubcommand, positionals: string[], values: Flags & SendFlags, io: Io): Promise<void> {
  const intent = intentOf(sub, positionals, values);
  const client = new GhostmeshClient(requireFlag(values.node, "node"));
  const key = await loadSigner({ home: values.home, key: values.key, passphrase: values.passphrase }, io);
  const cosigners: SigningKey[] = [];
  for (const file of values.cosign ?? []) cosigners.push(await loadKeyWithPassphrase(file, values.passphrase, io));
  const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
  await registerCosigners(client, cosigners, timeoutMs, io);
  const result = await sendTx(client, key, intent, { nonce: intFlag(values.nonce, "nonce"), wait: values.wait === true, timeoutMs, cosigners }, io);
  printSent(io, result, values.json);
}

type SendFlags = { node?: string; home?: string; key?: string; cosign?: string[]; nonce?: string; wait?: boolean; "timeout-ms"?: string; passphrase?: string; json?: boolean };

export const envCommand: Command = {
  name: "env",
  summary: "Blue environments: create, update, checkpoint, merge; promote to Green; show",
  help: `Usage:
  ghostmesh env create NAME --state-hash HEX --version N [--description TEXT] SIGNER [--wait] [tx flags] [--json]
  ghostmesh env update NAME --state-hash HEX --version N SIGNER [--wait] [tx flags] [--json]
  ghostmesh env checkpoint NAME --state-hash HEX --version N SIGNER [--wait] [tx flags] [--json]
  ghostmesh env merge TARGET --source NAME [--source NAME ...] --strategy S --state-hash HEX --version N SIGNER [--wait] [tx flags] [--json]
  ghostmesh env promote NAME SIGNER [--cosign KEYFILE ...] [--wait] [tx flags] [--json]
  ghostmesh env show NAME --node URL [--json]
  ghostmesh env green --node URL [--from I] [--limit N] [--prove [--genesis FILE] [--trust-cache FILE | --no-trust-cache]] [--json]
        (also: env show-green, env history)

SIGNER is --node URL and either --home DIR (that node's validator key) or --key FILE.
HEX is a 32-byte state hash as 64 hex characters; versions only go up (update, merge).
Strategies: ${MERGE_STRATEGIES.join(", ")}.
create, update, checkpoint and merge need the write_blue_state role; promote needs
promote_to_green and, if an env.promote policy exists, K of its signers' signatures: the
sender's (when it is a signer) and one per --cosign key file (same passphrase as --key).
green --prove verifies, here: the latest checkpoint's certificate against the validator set
of its epoch, verified epoch by epoch from the genesis set (--genesis FILE, else the node's
/v1/genesis), the Green record against the checkpoint's
stateRoot, and the promotion's log entry against the checkpoint's log root. The walk starts at
the newest set verified before (kept per genesis):
  ${TRUST_CACHE_HELP}

${TX_FLAGS_HELP}`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "env ${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        node: { type: "string" },
        home: { type: "string" },
        key: { type: "string" },
        cosign: { type: "string", multiple: true },
        "state-hash": { type: "string" },
        version: { type: "string" },
        description: { type: "string" },
        source: { type: "string", multiple: true },
        strategy: { type: "string" },
        from: { type: "string" },
        limit: { type: "string" },
        prove: { type: "boolean" },
        genesis: { type: "string" },
        "trust-cache": { type: "string" },
        "no-trust-cache": { type: "boolean" },
        nonce: { type: "string" },
        wait: { type: "boolean" },
        "timeout-ms": { type: "string" },
        passphrase: { type: "string" },
        json: { type: "boolean" },
      },
      true,
    );
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    refuseNotTaken({ values, positionals }, TAKES[sub as (typeof SUBCOMMANDS)[number]], `env ${sub}`);
    if ((WRITE_SUBCOMMANDS as readonly string[]).includes(sub)) return await send(sub as WriteSubcommand, positionals, values, io), 0;
    const client = new GhostmeshClient(requireFlag(values.node, "node"));
    if (sub === "show") {
      const shown = await client.getJson(`/v1/env/${envName(positionals[0], "NAME")}`, responseSchemas.anyObject);
      return printJson(io, shown), 0;
    }
    if (values.prove) return printJson(io, await proveGreen(io, client, values)), 0;
    const path = historyPath(intFlag(values.from, "from"), intFlag(values.limit, "limit", { min: 1, max: 1000 }));
    return printJson(io, await client.getJson(path, responseSchemas.anyObject)), 0;
  },
};
