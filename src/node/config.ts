/**
 * Node configuration: `config.yaml` in the node home, overridden by GHOSTMESH_* environment
 * variables, overridden by command-line flags. Every value is checked; a bad value names the
 * file or variable it came from.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument as parseYamlDocument, stringify as stringifyYaml } from "yaml";
import { parseWith, s } from "../codec/index.ts";
import { BLOCK_ENTRIES_MAX, BLOCK_TXS_MAX } from "../ledger/index.ts";
import { defaultMempoolOptions } from "../mempool/index.ts";
import { CHANNELS_MAX, resolveChannelsOptions, resolveDandelionOptions, type ChannelConfig, type DandelionOptions } from "../p2p/index.ts";
import { GhostmeshError, errorMessage } from "../util/index.ts";
import { HELPER_THREAD_NICE_MAX } from "./threadPriority.ts";

export type NodeConfig = {
  readonly api: { readonly host: string; readonly port: number };
  /**
   * `emptyIntervalMs`: an idle chain still commits an empty block once this long has passed
   * since the last one (0: never), so epochs, governance periods and timelocks, which are
   * counted in blocks, keep moving without traffic.
   */
  readonly block: { readonly intervalMs: number; readonly txsMax: number; readonly entriesMax: number; readonly emptyIntervalMs: number };
  /**
   * `waitingTxsMax`: transactions held waiting for an earlier nonce of their sender, at most;
   * `waitingBlocksMax`: committed blocks one may wait before it leaves, refused
   * MEMPOOL_NONCE_GAP_EXPIRED (src/mempool/options.ts).
   */
  readonly mempool: { readonly txsMax: number; readonly waitingTxsMax: number; readonly waitingBlocksMax: number };
  readonly log: { readonly level: "debug" | "info" | "warn" | "error" | "silent" };
  /**
   * `helperNice`: the nice value `ghostmesh start` gives the process's helper threads (libuv's
   * threadpool, V8's helpers, worker threads) so the event loop gets a core first (Linux; 0
   * leaves them as they are; src/node/threadPriority.ts).
   */
  readonly threads: { readonly helperNice: number };
  /**
   * `proofHistoryBlocks`: the state tree keeps the nodes that prove the state of the last this
   * many heights (and of each epoch's last height, for light clients); older ones are deleted
   * as the chain grows. 0 keeps every height's. Values are never deleted: reads at any height,
   * and an emergency rollback, are unchanged (src/node/stateProofPruner.ts, decision 0400).
   */
  readonly state: { readonly proofHistoryBlocks: number };
  /**
   * Peer-to-peer networking of a multi-validator chain (unused by a one-validator chain).
   * `listen`: the multiaddr to listen on; `bootstrap`: peers dialled at start and redialled
   * whenever the connection drops (`/ip4/../tcp/../p2p/<PeerId>`); `allow`: ML-DSA addresses
   * ("gm...") admitted besides the genesis validators (permissioned allowlist);
   * `channels`: the ways out for dialing, in order of preference, with fallback (decision 0502);
   * `dandelion`: Dandelion++ stem routing of this validator's own transactions (decision 0502).
   */
  readonly p2p: {
    readonly listen: string;
    readonly bootstrap: readonly string[];
    readonly allow: readonly string[];
    readonly channels: readonly ChannelConfig[];
    readonly dandelion: NodeDandelionConfig;
  };
};

export type NodeDandelionConfig = Pick<DandelionOptions, "enabled" | "fluffProbabilityBps" | "epochMs" | "embargoMsMin" | "embargoMsMax">;

export const defaultNodeConfig: NodeConfig = {
  // Loopback by default: exposing a node is an operator's explicit choice.
  api: { host: "127.0.0.1", port: 8080 },
  // 200 ms keeps single-transaction latency low while batching thousands per block under load.
  block: { intervalMs: 200, txsMax: 5_000, entriesMax: 100_000, emptyIntervalMs: 1_000 },
  mempool: { txsMax: defaultMempoolOptions.txsMax, waitingTxsMax: defaultMempoolOptions.waitingTxsMax, waitingBlocksMax: defaultMempoolOptions.waitingBlocksMax },
  log: { level: "info" },
  // 19: measured in the consensus bench, the event loop then waits least (decision 0200, session 17).
  threads: { helperNice: 19 },
  // Every height provable, as before pruning existed: deleting history is the operator's choice.
  state: { proofHistoryBlocks: 0 },
  // Loopback by default, like the API; 26656 is the port operators of BFT chains expect.
  p2p: {
    listen: "/ip4/127.0.0.1/tcp/26656",
    bootstrap: [],
    allow: [],
    channels: [{ name: "direct", kind: "tcp" }],
    dandelion: {
      enabled: true,
      // q = 10% and 10-minute epochs: the paper's and BIP 156's values (p2p/dandelion/options.ts).
      fluffProbabilityBps: 1_000,
      epochMs: 10 * 60 * 1_000,
      // Validators keep open qstp connections to each other, so a stem hop is one request plus a
      // signature check: milliseconds, and a 10-hop stem well under a second. A 2 s floor keeps
      // honest stems fluffing before any embargo; the 6 s ceiling bounds what a black-holed stem
      // adds to a transaction's commit latency (a devnet client waits 30 s). BIP 156's 10-30 s
      // budget is for Internet-wide hops.
      embargoMsMin: 2_000,
      embargoMsMax: 6_000,
    },
  },
};

/** A bound for `state.proofHistoryBlocks`: beyond any chain's length, below the integers a double holds exactly. */
const PROOF_HISTORY_BLOCKS_MAX = 1_000_000_000_000;

/** Bootstrap peers and extra allowed identities a config may list. */
const P2P_PEERS_MAX = 1_000;

const channelName = s.string({ minLength: 1, maxLength: 32, pattern: /^[a-z0-9_-]+$/ });
const channelTimeout = s.optional(s.uint({ min: 1, max: 600_000 }));
const channelSchema = s.union("kind", [
  s.object({ name: channelName, kind: s.literal("tcp"), connectTimeoutMs: channelTimeout }),
  s.object({
    name: channelName,
    kind: s.literal("socks5"),
    proxy: s.string({ minLength: 3, maxLength: 300 }),
    username: s.optional(s.string({ minLength: 1, maxLength: 255 })),
    password: s.optional(s.string({ minLength: 1, maxLength: 255 })),
    connectTimeoutMs: channelTimeout,
  }),
]);

const configSchema = s.object({
  api: s.optional(s.object({ host: s.optional(s.string({ minLength: 1, maxLength: 255 })), port: s.optional(s.uint({ max: 65_535 })) })),
  block: s.optional(
    s.object({
      intervalMs: s.optional(s.uint({ min: 1, max: 60_000 })),
      txsMax: s.optional(s.uint({ min: 1, max: BLOCK_TXS_MAX })),
      entriesMax: s.optional(s.uint({ min: 1, max: BLOCK_ENTRIES_MAX })),
      emptyIntervalMs: s.optional(s.uint({ max: 3_600_000 })),
    }),
  ),
  mempool: s.optional(
    s.object({
      txsMax: s.optional(s.uint({ min: 1, max: 10_000_000 })),
      waitingTxsMax: s.optional(s.uint({ max: 10_000_000 })),
      waitingBlocksMax: s.optional(s.uint({ min: 1, max: 1_000_000 })),
    }),
  ),
  log: s.optional(s.object({ level: s.optional(s.oneOf(["debug", "info", "warn", "error", "silent"] as const)) })),
  threads: s.optional(s.object({ helperNice: s.optional(s.uint({ max: HELPER_THREAD_NICE_MAX })) })),
  state: s.optional(s.object({ proofHistoryBlocks: s.optional(s.uint({ max: PROOF_HISTORY_BLOCKS_MAX })) })),
  p2p: s.optional(
    s.object({
      listen: s.optional(s.string({ minLength: 1, maxLength: 1024 })),
      bootstrap: s.optional(s.array(s.string({ minLength: 1, maxLength: 1024 }), { maxLength: P2P_PEERS_MAX })),
      allow: s.optional(s.array(s.string({ minLength: 42, maxLength: 42 }), { maxLength: P2P_PEERS_MAX })),
      channels: s.optional(s.array(channelSchema, { minLength: 1, maxLength: CHANNELS_MAX })),
      dandelion: s.optional(
        s.object({
          enabled: s.optional(s.bool()),
          fluffProbabilityBps: s.optional(s.uint({ max: 10_000 })),
          epochMs: s.optional(s.uint({ min: 1, max: 7 * 24 * 3_600_000 })),
          embargoMsMin: s.optional(s.uint({ min: 1, max: 3_600_000 })),
          embargoMsMax: s.optional(s.uint({ min: 1, max: 3_600_000 })),
        }),
      ),
    }),
  ),
});

type PartialConfig = ReturnType<typeof configSchema.parse>;

export const CONFIG_FILE = "config.yaml";

/** Environment variables and the config path each one sets. */
export const ENV_VARIABLES: Record<string, readonly [section: string, key: string, kind: "number" | "string" | "boolean"]> = {
  GHOSTMESH_API_HOST: ["api", "host", "string"],
  GHOSTMESH_API_PORT: ["api", "port", "number"],
  GHOSTMESH_BLOCK_INTERVAL_MS: ["block", "intervalMs", "number"],
  GHOSTMESH_BLOCK_TXS_MAX: ["block", "txsMax", "number"],
  GHOSTMESH_BLOCK_ENTRIES_MAX: ["block", "entriesMax", "number"],
  GHOSTMESH_BLOCK_EMPTY_INTERVAL_MS: ["block", "emptyIntervalMs", "number"],
  GHOSTMESH_MEMPOOL_TXS_MAX: ["mempool", "txsMax", "number"],
  GHOSTMESH_MEMPOOL_WAITING_TXS_MAX: ["mempool", "waitingTxsMax", "number"],
  GHOSTMESH_MEMPOOL_WAITING_BLOCKS_MAX: ["mempool", "waitingBlocksMax", "number"],
  GHOSTMESH_LOG_LEVEL: ["log", "level", "string"],
  GHOSTMESH_THREADS_HELPER_NICE: ["threads", "helperNice", "number"],
  GHOSTMESH_STATE_PROOF_HISTORY_BLOCKS: ["state", "proofHistoryBlocks", "number"],
  GHOSTMESH_P2P_LISTEN: ["p2p", "listen", "string"],
  // Channels are a list of objects: config.yaml only.
  GHOSTMESH_P2P_DANDELION_ENABLED: ["p2p", "dandelion.enabled", "boolean"],
  GHOSTMESH_P2P_DANDELION_EMBARGO_MS_MIN: ["p2p", "dandelion.embargoMsMin", "number"],
  GHOSTMESH_P2P_DANDELION_EMBARGO_MS_MAX: ["p2p", "dandelion.embargoMsMax", "number"],
};

export function loadNodeConfig(home: string, env: NodeJS.ProcessEnv, overrides: PartialConfig = {}): NodeConfig {
  const path = join(home, CONFIG_FILE);
  let fromFile: PartialConfig = {};
  if (existsSync(path)) {
    fromFile = parseConfig(readConfigYaml(path), path);
  }
  const fromEnv = parseConfig(envConfig(env), "environment (GHOSTMESH_*)");
  const config = merge(merge(merge(defaultNodeConfig, fromFile), fromEnv), parseConfig(overrides, "command-line flags"));
  checkP2pConfig(config, existsSync(path) ? path : "configuration");
  return config;
}

/**
 * The file's YAML as plain data. What YAML only warns about (a tag it cannot resolve, an unknown
 * directive) is refused here like an error: it means the file is not what its author thinks,
 * and the warning would otherwise go to stderr while the node starts on a guess.
 */
function readConfigYaml(path: string): unknown {
  try {
    const doc = parseYamlDocument(readFileSync(path, "utf8"));
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) throw problem;
    // Building the data can fail too (an alias to no anchor).
    return (doc.toJS() as unknown) ?? {};
  } catch (err) {
    throw new GhostmeshError("NODE_CONFIG_INVALID", `${path}: not valid YAML: ${errorMessage(err)}`, { path });
  }
}

/** Rules across fields (unique channel names, proxy "host:port", embargo range), named by field. */
function checkP2pConfig(config: NodeConfig, source: string): void {
  const { channels, dandelion } = config.p2p;
  for (const [i, channel] of channels.entries()) {
    try {
      resolveChannelsOptions({ channels: [channel] });
    } catch (err) {
      throw new GhostmeshError("NODE_CONFIG_INVALID", `${source}: p2p.channels[${i}] (${channel.name}): ${errorMessage(err).replace(/^channels: /, "")}`, { source, field: `p2p.channels[${i}]` });
    }
    const first = channels.findIndex((other) => other.name === channel.name);
    if (first !== i) {
      throw new GhostmeshError("NODE_CONFIG_INVALID", `${source}: p2p.channels[${i}].name: "${channel.name}" is already the name of p2p.channels[${first}]; names must be unique`, { source, field: `p2p.channels[${i}].name` });
    }
  }
  if (dandelion.embargoMsMin > dandelion.embargoMsMax) {
    throw new GhostmeshError("NODE_CONFIG_INVALID", `${source}: p2p.dandelion.embargoMsMin (${dandelion.embargoMsMin}) must not exceed p2p.dandelion.embargoMsMax (${dandelion.embargoMsMax})`, {
      source,
      field: "p2p.dandelion.embargoMsMin",
    });
  }
  resolveDandelionOptions(dandelion);
}

function parseConfig(raw: unknown, source: string): PartialConfig {
  try {
    return parseWith(configSchema, raw, "config");
  } catch (err) {
    throw new GhostmeshError("NODE_CONFIG_INVALID", `${source}: ${errorMessage(err)}`, { source });
  }
}

/** The GHOSTMESH_* variables as a partial config; a bad one is NODE_CONFIG_INVALID naming the variable and its value. */
function envConfig(env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, [section, key, kind]] of Object.entries(ENV_VARIABLES)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const shown = `${name}=${JSON.stringify(value.slice(0, 100))}`;
    let parsed: unknown = value;
    if (kind === "number") {
      if (!/^\d{1,15}$/.test(value)) throw new GhostmeshError("NODE_CONFIG_INVALID", `${shown}: expected a decimal integer`, { source: name });
      parsed = Number(value);
    } else if (kind === "boolean") {
      if (value !== "true" && value !== "false") throw new GhostmeshError("NODE_CONFIG_INVALID", `${shown}: expected true or false`, { source: name });
      parsed = value === "true";
    }
    // "dandelion.enabled": a key of a nested section.
    const [outer, inner] = key.split(".") as [string, string | undefined];
    const single = inner === undefined ? { [section]: { [outer]: parsed } } : { [section]: { [outer]: { [inner]: parsed } } };
    parseConfig(single, shown);
    const target = (out[section] ??= {});
    if (inner === undefined) target[outer] = parsed;
    else ((target[outer] ??= {}) as Record<string, unknown>)[inner] = parsed;
  }
  return out;
}

function merge(base: NodeConfig, over: PartialConfig): NodeConfig {
  return {
    api: { ...base.api, ...stripUndefined(over.api) },
    block: { ...base.block, ...stripUndefined(over.block) },
    mempool: { ...base.mempool, ...stripUndefined(over.mempool) },
    log: { ...base.log, ...stripUndefined(over.log) },
    threads: { ...base.threads, ...stripUndefined(over.threads) },
    state: { ...base.state, ...stripUndefined(over.state) },
    p2p: { ...base.p2p, ...stripUndefined(over.p2p), dandelion: { ...base.p2p.dandelion, ...stripUndefined(over.p2p?.dandelion) } },
  };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function renderNodeConfig(config: NodeConfig): string {
  return `# Ghostmesh node configuration. Environment variables GHOSTMESH_* and flags override it.\n${stringifyYaml(config)}`;
}
