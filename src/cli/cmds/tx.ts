import { addressFromPublicKey, formatAddress, parseAddress, type SigningKey } from "../../crypto/index.ts";
import { parseDecimalAmount } from "../../app/index.ts";
import { fromJsonValue, parseWith } from "../../codec/index.ts";
import { auditRecordSchema, BATCH_RECORDS_MAX, type AuditRecord } from "../../ledger/index.ts";
import { buildTx, GhostmeshClient, type TxIntent } from "../../client/index.ts";
import { GhostmeshError, errorMessage, toHex } from "../../util/index.ts";
import { intFlag, parseFlags, printSent, readJsonFlag, refuseNotTaken, requireFlag, UsageError, type Command, type Io, type Takes } from "../command.ts";
import { loadKeyWithPassphrase } from "../passphrase.ts";
import { TX_FLAGS, TX_FLAGS_HELP } from "../signer.ts";
import { nextNonceOf, txBroadcast, txBuild, txSign } from "./txOffline.ts";

const TX_TYPES = ["account.register", "audit.append", "audit.batch"] as const;
const SUBCOMMANDS = ["send", "transfer", "build", "sign", "broadcast"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const TAKES: Readonly<Record<Subcommand, Takes>> = {
  send: { flags: ["node", "key", "type", "data", "wait", "json", ...TX_FLAGS], args: 0 },
  transfer: { flags: ["node", "key", "to", "amount", "wait", "json", ...TX_FLAGS], args: 0 },
  build: { flags: ["type", "from", "body", "node", "chain-id", "nonce", "out"], args: 0 },
  sign: { flags: ["key", "home", "passphrase", "out", "json"], args: 1 },
  broadcast: { flags: ["node", "wait", "timeout-ms", "json"], args: 1 },
};

export const txCommand: Command = {
  name: "tx",
  summary: "Sign and send a transaction",
  help: `Usage: ghostmesh tx send --node URL --key FILE --type TYPE [--data JSON|@FILE] [--wait] [tx flags] [--json]
       ghostmesh tx transfer --node URL --key FILE --to ADDRESS --amount N [--wait] [tx flags] [--json]
       ghostmesh tx build --type TYPE --from gm… [--body JSON|@FILE] (--node URL | --chain-id ID --nonce N) [--out FILE]
       ghostmesh tx sign FILE (--key FILE | --home DIR) [--passphrase P] [--out FILE] [--json]
       ghostmesh tx broadcast FILE --node URL [--wait] [--timeout-ms MS] [--json]

Types:
  account.register   register the key's public key (done automatically before the first transaction)
  audit.append       --data is one record: {"action": "...", "subject"?: "...", "data"?: any JSON}
  audit.batch        --data is an array of up to ${BATCH_RECORDS_MAX} records (or {"records": [...]}); one signature covers all

tx transfer sends a token.transfer of --amount (a decimal unsigned integer) to --to (gm…).

  --node URL         node API, e.g. http://127.0.0.1:8080
  --key FILE         key file that signs (see ghostmesh keys new)
  --data JSON|@FILE  the record(s), inline or from a file
  --wait             wait until the transaction commits and print {hash, height}
  --json             print exactly one JSON document on stdout

Offline and multi-party signing: tx build writes the unsigned transaction of any type (body
as JSON: addresses gm…, amounts decimal strings, hashes hex) to --out or stdout; tx sign adds a
signature and rewrites the file: the sender's key signs the transaction, any other key adds a
cosignature (roles.*, env.promote). Cosigners sign first, the sender last. tx broadcast sends it.

${TX_FLAGS_HELP}`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "tx ${sub}"; use tx send, transfer, build, sign or broadcast`);
    const { values, positionals } = parseFlags(rest, {
      body: { type: "string" },
      from: { type: "string" },
      "chain-id": { type: "string" },
      out: { type: "string" },
      home: { type: "string" },
      to: { type: "string" },
      amount: { type: "string" },
      node: { type: "string" },
      key: { type: "string" },
      type: { type: "string" },
      data: { type: "string" },
      nonce: { type: "string" },
      wait: { type: "boolean" },
      "timeout-ms": { type: "string" },
      passphrase: { type: "string" },
      json: { type: "boolean" },
    }, sub === "sign" || sub === "broadcast");
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    refuseNotTaken({ values, positionals }, TAKES[sub as Subcommand], `tx ${sub}`);
    if (sub === "build") return txBuild(values, io);
    if (sub === "sign") return txSign(positionals[0], values, io);
    if (sub === "broadcast") return txBroadcast(positionals[0], values, io);
    const client = new GhostmeshClient(requireFlag(values.node, "node"));
    const intent = sub === "transfer" ? transferIntent(values.to, values.amount) : sendIntent(values.type, values.data);
    const key = await loadKeyWithPassphrase(requireFlag(values.key, "key"), values.passphrase, io);
    const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
    if (intent.type === "token.transfer") await checkBalance(client, key, intent.amount);
    const result = await sendTx(client, key, intent, { nonce: intFlag(values.nonce, "nonce"), wait: values.wait === true, timeoutMs }, io);
    printSent(io, result, values.json);
    return 0;
  },
};

function sendIntent(typeFlag: string | undefined, dataFlag: string | undefined): TxIntent {
  const type = requireFlag(typeFlag, "type");
  if (!(TX_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type: "${type}" is not one of ${TX_TYPES.join(", ")}; transfers use tx transfer, roles ghostmesh roles`);
  return parseIntent(type as (typeof TX_TYPES)[number], dataFlag);
}

/**
 * Execution refuses a transfer above the balance and the node then drops it, so a --wait would
 * only time out: check the committed balance first and say so (the node still decides).
 */
async function checkBalance(client: GhostmeshClient, key: SigningKey, amount: bigint): Promise<void> {
  const from = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
  const balance = BigInt((await client.account(from)).balance);
  if (balance < amount) {
    throw new GhostmeshError("CLI_INSUFFICIENT_BALANCE", `${from} holds ${balance}, cannot send ${amount}`, { address: from });
  }
}

function transferIntent(toFlag: string | undefined, amountFlag: string | undefined): TxIntent {
  let to: Uint8Array;
  let amount: bigint;
  try {
    to = parseAddress(requireFlag(toFlag, "to"));
    amount = parseDecimalAmount(requireFlag(amountFlag, "amount"), "--amount");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(errorMessage(err));
  }
  if (amount === 0n) throw new UsageError("--amount: must be at least 1");
  return { type: "token.transfer", to, amount };
}

function parseIntent(type: (typeof TX_TYPES)[number], dataFlag: string | undefined): TxIntent {
  if (type === "account.register") {
    if (dataFlag !== undefined) throw new UsageError("--data: account.register takes no data");
    return { type };
  }
  const text = requireFlag(dataFlag, "data");
  const json = readJsonFlag(text, "--data");
  const toRecord = (value: unknown, path: string): AuditRecord => parseWith(auditRecordSchema, fromJsonValue(value, path), path);
  try {
    if (type === "audit.append") return { type, record: toRecord(json, "data") };
    const list = Array.isArray(json) ? json : (json as { records?: unknown }).records;
    if (!Array.isArray(list) || list.length === 0 || list.length > BATCH_RECORDS_MAX) {
      throw new UsageError(`--data: audit.batch needs an array of 1 to ${BATCH_RECORDS_MAX} records`);
    }
    return { type, records: list.map((value, i) => toRecord(value, `data[${i}]`)) };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--data: ${errorMessage(err)}`);
  }
}

export type SendResult = { hash: string; height?: number; status: string; from: string; nonce: number };

/** Sends the intent, registering the key first when the account is new. */
export async function sendTx(
  client: GhostmeshClient,
  key: SigningKey,
  intent: TxIntent,
  opts: { nonce?: number; wait: boolean; timeoutMs?: number; cosigners?: readonly SigningKey[] },
  io: Io,
): Promise<SendResult> {
  const status = await client.status();
  const from = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
  let nonce = opts.nonce ?? (await nextNonceOf(client, from));
  if (nonce === 0 && intent.type !== "account.register" && opts.nonce === undefined) {
    const registration = buildTx(key, status.chainId, 0, { type: "account.register" });
    await client.submitTx(registration.bytes);
    io.stderr(`Registering ${from} (tx ${toHex(registration.hash)})\n`);
    nonce = 1;
  }
  const built = buildTx(key, status.chainId, nonce, intent, { cosigners: opts.cosigners ?? [] });
  const response = await client.submitTx(built.bytes, { wait: opts.wait, timeoutMs: opts.timeoutMs });
  return { hash: response.hash, status: response.status, from, nonce, ...(response.height === undefined ? {} : { height: response.height }) };
}
