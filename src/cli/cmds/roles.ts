/** ghostmesh roles: show, grant and revoke RBAC roles, and set multi-signature policies (decision 0600). */
import { addressFromPublicKey, formatAddress, type SigningKey } from "../../crypto/index.ts";
import { POLICY_OPERATIONS, POLICY_SIGNERS_MAX, ROLES, type PolicyOperation, type Role } from "../../ledger/index.ts";
import { buildTx, GhostmeshClient, type TxIntent } from "../../client/index.ts";
import { toHex } from "../../util/index.ts";
import { intFlag, parseFlags, printJson, printSent, refuseNotTaken, requireFlag, UsageError, type Command, type Io, type Takes } from "../command.ts";
import { TX_FLAGS, TX_FLAGS_HELP } from "../signer.ts";
import { addressArg } from "../args.ts";
import { loadKeyWithPassphrase } from "../passphrase.ts";
import { sendTx } from "./tx.ts";

const SUBCOMMANDS = ["show", "policies", "grant", "revoke", "set-policy"] as const;
const WRITE_FLAGS = ["node", "key", "cosign", "wait", "json", ...TX_FLAGS] as const;
const TAKES: Readonly<Record<(typeof SUBCOMMANDS)[number], Takes>> = {
  show: { flags: ["node", "json"], args: 1 },
  policies: { flags: ["node", "json"], args: 0 },
  grant: { flags: WRITE_FLAGS, args: 2 },
  revoke: { flags: WRITE_FLAGS, args: 2 },
  "set-policy": { flags: [...WRITE_FLAGS, "threshold", "signer"], args: 1 },
};

function address(text: string | undefined, what: string): Uint8Array {
  if (text === undefined) throw new UsageError(`missing ${what}; see ghostmesh roles --help`);
  return addressArg(text, what);
}

function role(text: string | undefined): Role {
  if (text === undefined || !(ROLES as readonly string[]).includes(text)) {
    throw new UsageError(`ROLE: "${text ?? ""}" is not a role; roles are ${ROLES.join(", ")}`);
  }
  return text as Role;
}

function intentOf(sub: "grant" | "revoke" | "set-policy", positionals: readonly string[], values: { threshold?: string; signer?: string[] }): TxIntent {
  if (sub !== "set-policy") return { type: sub === "grant" ? "roles.grant" : "roles.revoke", address: address(positionals[0], "ADDRESS"), role: role(positionals[1]) };
  const operation = positionals[0];
  if (operation === undefined || !(POLICY_OPERATIONS as readonly string[]).includes(operation)) {
    throw new UsageError(`OPERATION: "${operation ?? ""}" is not one of ${POLICY_OPERATIONS.join(", ")}`);
  }
  const signers = (values.signer ?? []).map((text, i) => address(text, `--signer #${i + 1}`));
  if (signers.length === 0) throw new UsageError("--signer: name at least one signer of the policy");
  const threshold = intFlag(requireFlag(values.threshold, "threshold"), "threshold", { min: 1, max: POLICY_SIGNERS_MAX }) as number;
  return { type: "roles.setPolicy", operation: operation as PolicyOperation, threshold, signers };
}

/**
 * Cosignatures verify under the cosigner's registered key, so a cosigner that never sent a
 * transaction is registered first, and committed before the governed transaction is sent.
 */
export async function registerCosigners(client: GhostmeshClient, cosigners: readonly SigningKey[], timeoutMs: number | undefined, io: Io): Promise<void> {
  let chainId: string | undefined;
  for (const cosigner of cosigners) {
    const address = addressFromPublicKey(cosigner.alg, cosigner.publicKey);
    const account = await client.account(formatAddress(address));
    if (account.registered || account.nextNonce > 0) continue;
    chainId ??= (await client.status()).chainId;
    const registration = buildTx(cosigner, chainId, 0, { type: "account.register" });
    io.stderr(`Registering cosigner ${formatAddress(address)} (tx ${toHex(registration.hash)})\n`);
    await client.submitTx(registration.bytes, { wait: true, timeoutMs });
  }
}

export const rolesCommand: Command = {
  name: "roles",
  summary: "Show, grant and revoke roles; set multi-signature policies",
  help: `Usage:
  ghostmesh roles show ADDRESS --node URL [--json]
  ghostmesh roles policies --node URL [--json]
  ghostmesh roles grant ADDRESS ROLE --node URL --key FILE [--cosign KEYFILE ...] [--wait] [tx flags] [--json]
  ghostmesh roles revoke ADDRESS ROLE --node URL --key FILE [--cosign KEYFILE ...] [--wait] [tx flags] [--json]
  ghostmesh roles set-policy OPERATION --threshold K --signer gm… [--signer gm… ...] --node URL --key FILE [--cosign KEYFILE ...] [--wait] [tx flags] [--json]

Roles: ${ROLES.join(", ")}. Only an admin grants, revokes and sets policies.
Operations a policy can govern: ${POLICY_OPERATIONS.join(", ")} (.admin: the admin role).
An operation with a policy needs K distinct signatures of its signers on the one transaction:
the sender's (when it is a signer) and one per --cosign key file (same passphrase as --key).

${TX_FLAGS_HELP}`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand "roles ${sub}"; use one of ${SUBCOMMANDS.join(", ")}`);
    const { values, positionals } = parseFlags(
      rest,
      {
        node: { type: "string" },
        key: { type: "string" },
        cosign: { type: "string", multiple: true },
        signer: { type: "string", multiple: true },
        threshold: { type: "string" },
        nonce: { type: "string" },
        wait: { type: "boolean" },
        "timeout-ms": { type: "string" },
        passphrase: { type: "string" },
        json: { type: "boolean" },
      },
      true,
    );
    if (values.help) return io.stdout(`${this.help}\n`), 0;
    refuseNotTaken({ values, positionals }, TAKES[sub as (typeof SUBCOMMANDS)[number]], `roles ${sub}`);
    const client = new GhostmeshClient(requireFlag(values.node, "node"));
    if (sub === "show") {
      const shown = await client.roles(requireFlag(positionals[0], "ADDRESS (positional)"));
      if (values.json) printJson(io, shown);
      else io.stdout(`${shown.address}: ${shown.roles.length === 0 ? "(no roles)" : shown.roles.join(", ")}\n`);
      return 0;
    }
    if (sub === "policies") return printJson(io, await client.policies()), 0;
    const intent = intentOf(sub as "grant" | "revoke" | "set-policy", positionals, values);
    const key = await loadKeyWithPassphrase(requireFlag(values.key, "key"), values.passphrase, io);
    const cosigners: SigningKey[] = [];
    for (const file of values.cosign ?? []) cosigners.push(await loadKeyWithPassphrase(file, values.passphrase, io));
    const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
    await registerCosigners(client, cosigners, timeoutMs, io);
    const result = await sendTx(client, key, intent, { nonce: intFlag(values.nonce, "nonce"), wait: values.wait === true, timeoutMs, cosigners }, io);
    printSent(io, result, values.json);
    return 0;
  },
};


