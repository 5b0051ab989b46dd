/**
 * Node configuration: `config.yaml` in the node home, overridden by GHOSTMESH_* environment
 * variables, overridden by command-line flags. Every value is checked; a bad value names the
 * file or variable it came from.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseWith, s } from "../codec/index.ts";
import { BLOCK_ENTRIES_MAX, BLOCK_TXS_MAX } from "../ledger/index.ts";
import { GhostmeshError, errorMessage } from "../util/index.ts";

export type NodeConfig = {
  readonly api: { readonly host: string; readonly port: number };
  readonly block: { readonly intervalMs: number; readonly txsMax: number; readonly entriesMax: number };
  readonly mempool: { readonly txsMax: number };
  readonly log: { readonly level: "debug" | "info" | "warn" | "error" | "silent" };
  /**
   * Peer-to-peer networking of a multi-validator chain (unused by a one-validator chain).
   * `listen`: the multiaddr to listen on; `bootstrap`: peers dialled at start and redialled
   * whenever the connection drops (`/ip4/../tcp/../p2p/<PeerId>`); `allow`: ML-DSA addresses
   * ("gm...") admitted besides the genesis validators (permissioned allowlist).
   */
  readonly p2p: { readonly listen: string; readonly bootstrap: readonly string[]; readonly allow: readonly string[] };
};

export const defaultNodeConfig: NodeConfig = {
  // Loopback by default: exposing a node is an operator's explicit choice.
  api: { host: "127.0.0.1", port: 8080 },
  // 200 ms keeps single-transaction latency low while batching thousands per block under load.
  block: { intervalMs: 200, txsMax: 5_000, entriesMax: 100_000 },
  mempool: { txsMax: 50_000 },
  log: { level: "info" },
  // Loopback by default, like the API; 26656 is the port operators of BFT chains expect.
  p2p: { listen: "/ip4/127.0.0.1/tcp/26656", bootstrap: [], allow: [] },
};

/** Bootstrap peers and extra allowed identities a config may list. */
const P2P_PEERS_MAX = 1_000;

const configSchema = s.object({
  api: s.optional(s.object({ host: s.optional(s.string({ minLength: 1, maxLength: 255 })), port: s.optional(s.uint({ max: 65_535 })) })),
  block: s.optional(
    s.object({
      intervalMs: s.optional(s.uint({ min: 1, max: 60_000 })),
      txsMax: s.optional(s.uint({ min: 1, max: BLOCK_TXS_MAX })),
      entriesMax: s.optional(s.uint({ min: 1, max: BLOCK_ENTRIES_MAX })),
    }),
  ),
  mempool: s.optional(s.object({ txsMax: s.optional(s.uint({ min: 1, max: 10_000_000 })) })),
  log: s.optional(s.object({ level: s.optional(s.oneOf(["debug", "info", "warn", "error", "silent"] as const)) })),
  p2p: s.optional(
    s.object({
      listen: s.optional(s.string({ minLength: 1, maxLength: 1024 })),
      bootstrap: s.optional(s.array(s.string({ minLength: 1, maxLength: 1024 }), { maxLength: P2P_PEERS_MAX })),
      allow: s.optional(s.array(s.string({ minLength: 42, maxLength: 42 }), { maxLength: P2P_PEERS_MAX })),
    }),
  ),
});

type PartialConfig = ReturnType<typeof configSchema.parse>;

export const CONFIG_FILE = "config.yaml";

/** Environment variables and the config path each one sets. */
const ENV_VARIABLES: Record<string, readonly [section: string, key: string, kind: "number" | "string"]> = {
  GHOSTMESH_API_HOST: ["api", "host", "string"],
  GHOSTMESH_API_PORT: ["api", "port", "number"],
  GHOSTMESH_BLOCK_INTERVAL_MS: ["block", "intervalMs", "number"],
  GHOSTMESH_BLOCK_TXS_MAX: ["block", "txsMax", "number"],
  GHOSTMESH_BLOCK_ENTRIES_MAX: ["block", "entriesMax", "number"],
  GHOSTMESH_MEMPOOL_TXS_MAX: ["mempool", "txsMax", "number"],
  GHOSTMESH_LOG_LEVEL: ["log", "level", "string"],
  GHOSTMESH_P2P_LISTEN: ["p2p", "listen", "string"],
};

export function loadNodeConfig(home: string, env: NodeJS.ProcessEnv, overrides: PartialConfig = {}): NodeConfig {
  const path = join(home, CONFIG_FILE);
  let fromFile: PartialConfig = {};
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path, "utf8")) ?? {};
    } catch (err) {
      throw new GhostmeshError("NODE_CONFIG_INVALID", `${path}: not valid YAML: ${errorMessage(err)}`, { path });
    }
    fromFile = parseConfig(raw, path);
  }
  const fromEnv = parseConfig(envConfig(env), "environment (GHOSTMESH_*)");
  return merge(merge(merge(defaultNodeConfig, fromFile), fromEnv), parseConfig(overrides, "command-line flags"));
}

function parseConfig(raw: unknown, source: string): PartialConfig {
  try {
    return parseWith(configSchema, raw, "config");
  } catch (err) {
    throw new GhostmeshError("NODE_CONFIG_INVALID", `${source}: ${errorMessage(err)}`, { source });
  }
}

function envConfig(env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, [section, key, kind]] of Object.entries(ENV_VARIABLES)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const parsed = kind === "number" && /^\d+$/.test(value) ? Number(value) : value;
    (out[section] ??= {})[key] = parsed;
  }
  return out;
}

function merge(base: NodeConfig, over: PartialConfig): NodeConfig {
  return {
    api: { ...base.api, ...stripUndefined(over.api) },
    block: { ...base.block, ...stripUndefined(over.block) },
    mempool: { ...base.mempool, ...stripUndefined(over.mempool) },
    log: { ...base.log, ...stripUndefined(over.log) },
    p2p: { ...base.p2p, ...stripUndefined(over.p2p) },
  };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function renderNodeConfig(config: NodeConfig): string {
  return `# Ghostmesh node configuration. Environment variables GHOSTMESH_* and flags override it.\n${stringifyYaml(config)}`;
}
