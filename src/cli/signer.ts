/** Who signs a transaction: `--home DIR` (that node's validator key) or `--key FILE`, exactly one. */
import { join } from "node:path";
import type { SigningKey } from "../crypto/index.ts";
import { VALIDATOR_KEY_FILE } from "../node/home.ts";
import { UsageError, type Io } from "./command.ts";
import { loadKeyWithPassphrase } from "./passphrase.ts";

/**
 * The flags every command that signs and sends a transaction takes, for its help: usage lines
 * write them as [tx flags].
 */
export const TX_FLAGS = ["passphrase", "nonce", "timeout-ms"] as const;

export const TX_FLAGS_HELP = `[tx flags], taken by every command that signs and sends a transaction:
  --passphrase P     passphrase of the key file (else GHOSTMESH_PASSPHRASE, else a prompt)
  --nonce N          use this nonce instead of asking the node for the signer's next one
                     (a node syncing blocks is not asked: its nonce may be stale)
  --timeout-ms MS    how long to wait for the commit, 1 to 120000 (default 30000)`;

export type SignerFlags = { readonly home?: string; readonly key?: string; readonly passphrase?: string };

export async function loadSigner(flags: SignerFlags, io: Io): Promise<SigningKey> {
  if (flags.home !== undefined && flags.key !== undefined) throw new UsageError("--home and --key both name a signer; pass one");
  if (flags.home !== undefined) return loadKeyWithPassphrase(join(flags.home, VALIDATOR_KEY_FILE), flags.passphrase, io);
  if (flags.key !== undefined) return loadKeyWithPassphrase(flags.key, flags.passphrase, io);
  throw new UsageError("missing signer: pass --home DIR (sign with that node's validator key) or --key FILE");
}
