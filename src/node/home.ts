/**
 * A node home directory: config.yaml, genesis.json, the validator key file and data/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  addressFromPublicKey,
  formatAddress,
  generateSigningKey,
  parseAddress,
  parseSignatureAlgorithmName,
  saveKeyFile,
  signatureAlgorithmName,
  type SigningKey,
} from "../crypto/index.ts";
import { parseWith, s, type Infer } from "../codec/index.ts";
import { chainIdSchema, policyOperationSchema, POLICY_OPERATIONS, POLICY_SIGNERS_MAX, PUBLIC_KEY_BYTES_MAX, roleSchema, ROLES, CHAIN_MODES, type Genesis, type Validator } from "../ledger/index.ts";
import { genesisStateWrites } from "../app/index.ts";
import { GhostmeshError, bytesEqual, errorMessage, fromHexOrUndefined, toHex } from "../util/index.ts";
import { CONFIG_FILE, defaultNodeConfig, renderNodeConfig, type NodeConfig } from "./config.ts";

export const GENESIS_FILE = "genesis.json";
export const VALIDATOR_KEY_FILE = "validator.key.json";
/** The views the validator key may have signed in (signingReservation.ts): beside the key, so a wiped data/ keeps it. */
export const SIGNING_RESERVATION_FILE = "validator.signing.json";
export const DATA_DIR = "data";
export const CHAIN_DB_FILE = "chain.db";
/** The libp2p (Ed25519) node key: fixes this node's PeerId across restarts. */
export const P2P_KEY_FILE = "p2p.key";
/** Peer reputation and bans (p2p_peers), apart from chain.db so p2p writes never wait on block commits. */
export const P2P_DB_FILE = "p2p.db";

export function homePaths(home: string) {
  return {
    config: join(home, CONFIG_FILE),
    genesis: join(home, GENESIS_FILE),
    validatorKey: join(home, VALIDATOR_KEY_FILE),
    signingReservation: join(home, SIGNING_RESERVATION_FILE),
    data: join(home, DATA_DIR),
    chainDb: join(home, DATA_DIR, CHAIN_DB_FILE),
    p2pKey: join(home, DATA_DIR, P2P_KEY_FILE),
    p2pDb: join(home, DATA_DIR, P2P_DB_FILE),
  };
}

/** Genesis allocations and role entries; more belongs in transactions, not in the genesis file. */
const GENESIS_ENTRIES_MAX = 100_000;

/** A validator as genesis.json (and the CLI's trusted-set file) write it: hex key, gm address, algorithm name. */
export const validatorJsonSchema = s.object({
  name: s.string({ minLength: 1, maxLength: 64 }),
  address: s.string({ minLength: 42, maxLength: 42 }),
  alg: s.string({ minLength: 1, maxLength: 16 }),
  publicKey: s.string({ minLength: 2, maxLength: PUBLIC_KEY_BYTES_MAX * 2 }),
  power: s.uint({ min: 1, max: 1_000_000_000 }),
});

/** One parsed validatorJsonSchema entry; throws naming `where` when its key is not hex or its address is not the key's. */
export function validatorFromJson(v: Infer<typeof validatorJsonSchema>, where: string): Validator {
  const alg = parseSignatureAlgorithmName(v.alg);
  const publicKey = fromHexOrUndefined(v.publicKey);
  if (!publicKey) throw new Error(`${where}.publicKey: not hex`);
  const address = parseAddress(v.address);
  if (!bytesEqual(addressFromPublicKey(alg, publicKey), address)) throw new Error(`${where}.address: does not match its public key`);
  return { name: v.name, address, alg, publicKey, power: v.power };
}

export function validatorToJson(v: Validator): Infer<typeof validatorJsonSchema> {
  return { name: v.name, address: formatAddress(v.address), alg: signatureAlgorithmName(v.alg), publicKey: toHex(v.publicKey), power: v.power };
}

const genesisJsonSchema = s.object({
  chainId: chainIdSchema,
  genesisTime: s.uint(),
  validators: s.array(validatorJsonSchema, { minLength: 1, maxLength: 1000 }),
  // Optional (decision 0600): genesis files written before balances and roles stay valid.
  allocations: s.optional(s.array(s.object({ address: s.string({ minLength: 42, maxLength: 42 }), amount: s.string({ minLength: 1, maxLength: 78 }) }), { maxLength: GENESIS_ENTRIES_MAX })),
  roles: s.optional(s.array(s.object({ address: s.string({ minLength: 42, maxLength: 42 }), roles: s.array(roleSchema, { maxLength: ROLES.length }) }), { minLength: 1, maxLength: GENESIS_ENTRIES_MAX })),
  policies: s.optional(
    s.array(
      s.object({
        operation: policyOperationSchema,
        threshold: s.uint({ min: 1, max: POLICY_SIGNERS_MAX }),
        signers: s.array(s.string({ minLength: 42, maxLength: 42 }), { minLength: 1, maxLength: POLICY_SIGNERS_MAX }),
      }),
      { maxLength: POLICY_OPERATIONS.length },
    ),
  ),
  // Optional (decision 0601): chain mode, PoS self-bonds and parameter overrides by module.
  mode: s.optional(s.oneOf(CHAIN_MODES)),
  bonds: s.optional(s.array(s.object({ validator: s.string({ minLength: 42, maxLength: 42 }), amount: s.string({ minLength: 1, maxLength: 78 }) }), { maxLength: 1000 })),
  params: s.optional(s.record(s.record(s.uint(), { maxEntries: 64 }), { maxEntries: 16 })),
});


export function genesisToJson(genesis: Genesis): string {
  const json = {
    chainId: genesis.chainId,
    genesisTime: genesis.genesisTime,
    validators: genesis.validators.map(validatorToJson),
    ...(genesis.allocations ? { allocations: genesis.allocations.map((a) => ({ address: formatAddress(a.address), amount: a.amount })) } : {}),
    ...(genesis.roles ? { roles: genesis.roles.map((r) => ({ address: formatAddress(r.address), roles: r.roles })) } : {}),
    ...(genesis.policies ? { policies: genesis.policies.map((p) => ({ operation: p.operation, threshold: p.threshold, signers: p.signers.map(formatAddress) })) } : {}),
    ...(genesis.mode ? { mode: genesis.mode } : {}),
    ...(genesis.bonds ? { bonds: genesis.bonds.map((b) => ({ validator: formatAddress(b.validator), amount: b.amount })) } : {}),
    ...(genesis.params ? { params: genesis.params } : {}),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export function genesisFromJson(text: string, source: string): Genesis {
  try {
    const json = parseWith(genesisJsonSchema, JSON.parse(text), "genesis");
    const validators: Validator[] = json.validators.map((v, i) => validatorFromJson(v, `genesis.validators[${i}]`));
    const genesis: Genesis = {
      chainId: json.chainId,
      genesisTime: json.genesisTime,
      validators,
      ...(json.allocations ? { allocations: json.allocations.map((a) => ({ address: parseAddress(a.address), amount: a.amount })) } : {}),
      ...(json.roles ? { roles: json.roles.map((r) => ({ address: parseAddress(r.address), roles: r.roles })) } : {}),
      ...(json.policies ? { policies: json.policies.map((p) => ({ operation: p.operation, threshold: p.threshold, signers: p.signers.map(parseAddress) })) } : {}),
      ...(json.mode ? { mode: json.mode } : {}),
      ...(json.bonds ? { bonds: json.bonds.map((b) => ({ validator: parseAddress(b.validator), amount: b.amount })) } : {}),
      ...(json.params ? { params: json.params } : {}),
    };
    // Amounts, duplicates, the admin rule and policy thresholds: the same checks that build state version 0.
    genesisStateWrites(genesis);
    return genesis;
  } catch (err) {
    throw new GhostmeshError("NODE_GENESIS_INVALID", `${source}: ${errorMessage(err)}`, { source });
  }
}

export function loadGenesis(home: string): Genesis {
  const path = homePaths(home).genesis;
  if (!existsSync(path)) {
    throw new GhostmeshError("NODE_HOME_MISSING", `${path} not found; create a node home with: ghostmesh init --home ${home}`, { path });
  }
  return genesisFromJson(readFileSync(path, "utf8"), path);
}

export type InitHomeOptions = {
  readonly chainId: string;
  readonly name: string;
  readonly genesisTimeMs: number;
  readonly keyProtection: { passphrase: string } | { plain: true };
  readonly config?: NodeConfig;
  /** Validators of a shared genesis; when absent, this node is the only validator. */
  readonly genesis?: Genesis;
  readonly key?: SigningKey;
};

/** Creates a node home; refuses to touch a directory that already holds one. */
export function initHome(home: string, opts: InitHomeOptions): { key: SigningKey; genesis: Genesis } {
  const paths = homePaths(home);
  if (existsSync(paths.genesis) || existsSync(paths.validatorKey)) {
    throw new GhostmeshError("NODE_HOME_EXISTS", `${home} already holds a node (genesis.json or validator.key.json exists); choose another --home`, { home });
  }
  mkdirSync(paths.data, { recursive: true });
  const key = opts.key ?? generateSigningKey();
  saveKeyFile(paths.validatorKey, key, opts.keyProtection);
  const genesis: Genesis = opts.genesis ?? {
    chainId: opts.chainId,
    genesisTime: opts.genesisTimeMs,
    validators: [{ name: opts.name, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }],
  };
  writeFileSync(paths.genesis, genesisToJson(genesis));
  writeFileSync(paths.config, renderNodeConfig(opts.config ?? defaultNodeConfig));
  return { key, genesis };
}
