/**
 * ghostmesh tx build | sign | broadcast: offline and multi-party signing (decision 0601). The
 * file format and signing order are in client/txFile.ts.
 */
import { writeFileSync } from "node:fs";
import { addressFromPublicKey, formatAddress, parseAddress } from "../../crypto/index.ts";
import { encodeCanonical } from "../../codec/index.ts";
import { TX_TYPES } from "../../ledger/index.ts";
import { bodyFromJson, buildUnsignedTx, GhostmeshClient, parseTxFile, signTxFile, signedTxOfFile, txFileOf } from "../../client/index.ts";
import { errorMessage, GhostmeshError } from "../../util/index.ts";
import { intFlag, printJson, printSent, readJsonFlag, requireFlag, UsageError, type Io } from "../command.ts";
import { loadSigner } from "../signer.ts";

export type OfflineFlags = {
  node?: string;
  type?: string;
  body?: string;
  from?: string;
  nonce?: string;
  "chain-id"?: string;
  out?: string;
  key?: string;
  home?: string;
  passphrase?: string;
  wait?: boolean;
  "timeout-ms"?: string;
  json?: boolean;
};

function readTxFile(path: string | undefined) {
  const file = requireFlag(path, "FILE (positional)");
  return { path: file, ...parseTxFile(readJsonFlag(`@${file}`, file), file) };
}

function writeOut(io: Io, out: string | undefined, json: unknown): void {
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (out === undefined) return io.stdout(text);
  try {
    writeFileSync(out, text);
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot write it (${errorMessage(err)})`);
  }
}

/** The account's next nonce, refused while the node syncs: the answer and its syncing flag come from one read. */
export async function nextNonceOf(client: GhostmeshClient, from: string): Promise<number> {
  const account = await client.account(from);
  if (account.syncing) {
    // Its state may be far behind: the nonce it knows may be spent, and a registered account may read as new.
    throw new GhostmeshError("CLI_NODE_SYNCING", `${client.baseUrl} is syncing blocks (at height ${account.height}), so the next nonce it knows for ${from} may be stale: send through another node, again once it is in consensus, or pass --nonce N`, { height: account.height });
  }
  return account.nextNonce;
}

/** tx build: chain id and nonce from --node, or both given (fully offline). */
export async function txBuild(values: OfflineFlags, io: Io): Promise<number> {
  const type = requireFlag(values.type, "type");
  if (!(TX_TYPES as readonly string[]).includes(type)) throw new UsageError(`--type: "${type}" is not one of ${TX_TYPES.join(", ")}`);
  if (type === "audit.batch") throw new UsageError("--type: audit.batch carries its records beside the transaction; send batches with ghostmesh tx send");
  let from: Uint8Array;
  try {
    from = parseAddress(requireFlag(values.from, "from"));
  } catch (err) {
    throw new UsageError(`--from: ${errorMessage(err)}`);
  }
  let chainId = values["chain-id"];
  let nonce = intFlag(values.nonce, "nonce", { min: 0 });
  if (chainId === undefined || nonce === undefined) {
    if (values.node === undefined) throw new UsageError("tx build needs --node URL, or both --chain-id and --nonce to build fully offline");
    const client = new GhostmeshClient(values.node);
    chainId ??= (await client.status()).chainId;
    nonce ??= await nextNonceOf(client, formatAddress(from));
  }
  if (nonce === 0 && type !== "account.register") io.stderr(`Warning: ${formatAddress(from)} has nonce 0, so it is not registered yet; broadcast an account.register first\n`);
  const body = values.body === undefined ? {} : readJsonFlag(values.body, "--body");
  let tx;
  try {
    tx = buildUnsignedTx({ chainId, from, nonce, type, body: bodyFromJson(body) });
  } catch (err) {
    throw new UsageError(`--body: ${errorMessage(err)}`);
  }
  writeOut(io, values.out, txFileOf(tx, null));
  return 0;
}

/** tx sign FILE: the sender signs last; anyone else adds a cosignature. Rewrites FILE unless --out. */
export async function txSign(file: string | undefined, values: OfflineFlags, io: Io): Promise<number> {
  const loaded = readTxFile(file);
  const key = await loadSigner(values, io);
  const signed = signTxFile(loaded.tx, loaded.sig, key);
  const signer = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
  if (signed.droppedSenderSig) io.stderr("Warning: the sender had already signed; a cosignature changes the body, so the sender must sign again (last)\n");
  writeOut(io, values.out ?? loaded.path, txFileOf(signed.tx, signed.sig));
  if (values.out !== undefined || values.json) printJson(io, { signer, role: signed.role, file: values.out ?? loaded.path, readyToBroadcast: signed.sig !== null });
  else io.stderr(`Signed ${loaded.path} as ${signed.role} ${signer}${signed.sig === null ? "; the sender signs last" : "; ready to broadcast"}\n`);
  return 0;
}

/** tx broadcast FILE: sends the signed transaction; --wait for its commit. */
export async function txBroadcast(file: string | undefined, values: OfflineFlags, io: Io): Promise<number> {
  const loaded = readTxFile(file);
  const signedTx = signedTxOfFile(loaded.tx, loaded.sig);
  const client = new GhostmeshClient(requireFlag(values.node, "node"));
  const timeoutMs = intFlag(values["timeout-ms"], "timeout-ms", { min: 1, max: 120_000 });
  const response = await client.submitTx(encodeCanonical(signedTx), { wait: values.wait === true, timeoutMs });
  printSent(io, response, values.json);
  return 0;
}
