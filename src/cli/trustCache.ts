/**
 * The newest validator set this client has verified from a chain's genesis, kept in a file so
 * that the next `--verify`/`--prove` walks only the epochs after it. Without it every command
 * walks from epoch 0: one certified block and a few state proofs per epoch, i.e. a chain with
 * 100-block epochs makes a client fetch and check ~860 epochs per day of its age, every time.
 *
 * The file holds only what this client verified itself, and is trusted as the genesis file it
 * was verified from is: whoever can write it can make the client accept another set. Default
 * place: `$XDG_CACHE_HOME/ghostmesh/validator-sets/` (or `~/.cache/...`), one file per genesis.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseWith, s } from "../codec/index.ts";
import { hashGenesis, hashValidatorSet, type Genesis } from "../ledger/index.ts";
import { ValidatorSetWalk, type ValidatorSetSource, type VerifiedValidatorSet } from "../client/validatorSets.ts";
import type { Io } from "./command.ts";
import { validatorFromJson, validatorJsonSchema, validatorToJson } from "../node/home.ts";
import { GhostmeshError, bytesEqual, errorMessage, fromHexOrUndefined, toHex } from "../util/index.ts";

const FORMAT = "ghostmesh-trusted-validator-set";
const VERSION = 1;

const trustFileSchema = s.object({
  format: s.literal(FORMAT),
  version: s.literal(VERSION),
  chainId: s.string({ minLength: 1, maxLength: 128 }),
  genesisHash: s.string({ minLength: 64, maxLength: 64 }),
  epoch: s.uint({ min: 1 }),
  hash: s.string({ minLength: 64, maxLength: 64 }),
  validators: s.array(validatorJsonSchema, { minLength: 1, maxLength: 1000 }),
});

/** The flags of a verification that walks validator sets from genesis (genesis and trust cache). */
export const TRUST_FLAGS = ["genesis", "trust-cache", "no-trust-cache"] as const;

export type TrustCacheFlags = { readonly "trust-cache"?: string; readonly "no-trust-cache"?: boolean };

/** Help text for the two flags, shared by the commands that verify against validator sets. */
export const TRUST_CACHE_HELP = `--trust-cache FILE   where the newest verified validator set is kept, so the next walk starts
                       there (default: $XDG_CACHE_HOME or ~/.cache, ghostmesh/validator-sets/)
  --no-trust-cache     walk from genesis and keep nothing`;

/** The file to use, or null: `--no-trust-cache`, or no cache directory in the environment. */
export function trustCachePath(flags: TrustCacheFlags, env: NodeJS.ProcessEnv, genesis: Genesis): string | null {
  if (flags["no-trust-cache"]) return null;
  if (flags["trust-cache"] !== undefined) return flags["trust-cache"];
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, ".cache") : undefined);
  if (base === undefined) return null;
  return join(base, "ghostmesh", "validator-sets", `${toHex(hashGenesis(genesis))}.json`);
}

function invalid(path: string, reason: string): never {
  throw new GhostmeshError("CLI_TRUST_CACHE_INVALID", `${path}: ${reason}; delete it (the next verification walks from genesis and writes it again) or pass --no-trust-cache`, { path });
}

/** The set the file holds for this genesis; null when there is no file yet. */
export function loadTrustedSet(path: string, genesis: Genesis): VerifiedValidatorSet | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No such file (or a parent that is not a directory): nothing kept yet; saving will say why it cannot.
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    return invalid(path, `cannot be read: ${errorMessage(err)}`);
  }
  let file;
  try {
    file = parseWith(trustFileSchema, JSON.parse(text), "trusted validator set");
  } catch (err) {
    return invalid(path, `is not a trusted validator set file: ${errorMessage(err)}`);
  }
  const genesisHash = toHex(hashGenesis(genesis));
  if (file.genesisHash !== genesisHash) invalid(path, `holds a validator set of chain ${file.chainId} (genesis ${file.genesisHash}), not of this genesis (${genesis.chainId}, ${genesisHash})`);
  let set;
  try {
    set = { validators: file.validators.map((v, i) => validatorFromJson(v, `validators[${i}]`)) };
  } catch (err) {
    return invalid(path, errorMessage(err));
  }
  const hash = hashValidatorSet(set);
  if (!bytesEqual(hash, fromHexOrUndefined(file.hash) ?? new Uint8Array())) invalid(path, `its validators hash to ${toHex(hash)}, not to the recorded ${file.hash}`);
  return { epoch: file.epoch, set, hash };
}

/** Replaces the file (write, then rename) when `verified` is newer than what it held. */
export function saveTrustedSet(path: string, genesis: Genesis, verified: VerifiedValidatorSet, held: VerifiedValidatorSet | null): void {
  if (verified.epoch === 0 || (held !== null && verified.epoch <= held.epoch)) return;
  const file = {
    format: FORMAT,
    version: VERSION,
    chainId: genesis.chainId,
    genesisHash: toHex(hashGenesis(genesis)),
    epoch: verified.epoch,
    hash: toHex(verified.hash),
    validators: verified.set.validators.map(validatorToJson),
  };
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, path);
}

/**
 * A walk that starts from the trusted-set file when there is one. `keepNewest()`, called once
 * the command's verification succeeded, leaves the newest set the walk verified in the file; a
 * file that cannot be written costs a warning, not the verified result.
 */
export function openCachedWalk(io: Io, source: ValidatorSetSource, genesis: Genesis, flags: TrustCacheFlags): { walk: ValidatorSetWalk; keepNewest(): void } {
  const path = trustCachePath(flags, io.env, genesis);
  const held = path === null ? null : loadTrustedSet(path, genesis);
  const walk = new ValidatorSetWalk(source, genesis, held);
  const keepNewest = (): void => {
    if (path === null) return;
    try {
      saveTrustedSet(path, genesis, walk.newest, held);
    } catch (err) {
      io.stderr(`warning: the verified validator set was not kept in ${path}: ${errorMessage(err)}\n`);
    }
  };
  return { walk, keepNewest };
}
