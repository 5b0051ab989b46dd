/**
 * Environments (decision 0604): Blue environments are experimental states named by a hash and
 * a version; Green is the one canonical state of the chain. State layout: environmentState.ts
 * (keys 0x40-0x45).
 *
 * - env.create / env.update / env.checkpoint / env.merge need `write_blue_state`.
 * - env.promote needs `promote_to_green` and, when genesis or roles.setPolicy installed an
 *   `env.promote` policy, its k-of-n authority signatures (multisig.ts); without a policy one
 *   `promote_to_green` holder suffices.
 * Cheap checks come before signature verification, so a refused promotion costs little.
 */
import type { Role, Tx } from "../ledger/index.ts";
import { bytesEqual, toHex } from "../util/index.ts";
import type { BlockState, StateGetter } from "./blockState.ts";
import type { TxContext } from "./context.ts";
import { appendCheckpoint, appendMerge, readCheckpoints, readEnvironment, readGreen, writeEnvironment, writeGreen, type Environment } from "./environmentState.ts";
import { checkPolicyAuthority } from "./multisig.ts";
import { readPolicy, readRoles } from "./roles.ts";
import type { ModuleRejection } from "./types.ts";

export type EnvironmentTx = Extract<Tx, { type: "env.create" | "env.update" | "env.promote" | "env.checkpoint" | "env.merge" }>;
type Of<T extends EnvironmentTx["type"]> = Extract<EnvironmentTx, { type: T }>;

export function applyEnvironmentTx(state: BlockState, tx: EnvironmentTx, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const get: StateGetter = (key) => state.get(key);
  const role: Role = tx.type === "env.promote" ? "promote_to_green" : "write_blue_state";
  if (!readRoles(get, tx.from).includes(role)) {
    return { code: "APP_MISSING_ROLE", message: `${tx.type}: sender ${toHex(tx.from)} does not hold the ${role} role` };
  }
  switch (tx.type) {
    case "env.create":
      return create(state, tx, txHash, ctx);
    case "env.update":
      return update(state, tx, txHash, ctx);
    case "env.checkpoint":
      return checkpoint(state, tx, txHash, ctx);
    case "env.merge":
      return merge(state, tx, txHash, ctx);
    case "env.promote":
      return promote(state, tx, txHash, ctx);
  }
}

function notFound(type: string, name: string): ModuleRejection {
  return { code: "APP_ENV_NOT_FOUND", message: `${type}: no environment named "${name}"; create it with env.create` };
}

function versionNotHigher(type: string, name: string, version: number, current: number): ModuleRejection {
  return { code: "APP_ENV_VERSION_NOT_HIGHER", message: `${type}: version ${version} of "${name}" must be higher than its current version ${current}` };
}

function create(state: BlockState, tx: Of<"env.create">, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const { name, stateHash, version, description } = tx.body;
  if (readEnvironment((key) => state.get(key), name) !== undefined) {
    return { code: "APP_ENV_EXISTS", message: `env.create: an environment named "${name}" already exists; use env.update` };
  }
  writeEnvironment(state, { name, description: description ?? "", stateHash, version, creator: tx.from, createdHeight: ctx.height, updatedHeight: ctx.height, updatedTxHash: txHash });
  return undefined;
}

function update(state: BlockState, tx: Of<"env.update">, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const { name, stateHash, version } = tx.body;
  const env = readEnvironment((key) => state.get(key), name);
  if (env === undefined) return notFound(tx.type, name);
  if (version <= env.version) return versionNotHigher(tx.type, name, version, env.version);
  writeEnvironment(state, { ...env, stateHash, version, updatedHeight: ctx.height, updatedTxHash: txHash });
  return undefined;
}

/**
 * A checkpoint names a state the environment has reached: its version is at most the current
 * one (equal: the hash must be the current hash) and above the previous checkpoint's, so an
 * environment's checkpoints are in version order.
 */
function checkpoint(state: BlockState, tx: Of<"env.checkpoint">, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const get: StateGetter = (key) => state.get(key);
  const { name, stateHash, version } = tx.body;
  const env = readEnvironment(get, name);
  if (env === undefined) return notFound(tx.type, name);
  if (version > env.version) {
    return { code: "APP_ENV_CHECKPOINT_AHEAD", message: `env.checkpoint: version ${version} is ahead of "${name}" (at version ${env.version}); update it first` };
  }
  if (version === env.version && !bytesEqual(stateHash, env.stateHash)) {
    return { code: "APP_ENV_CHECKPOINT_MISMATCH", message: `env.checkpoint: "${name}" at version ${version} has state ${toHex(env.stateHash)}, not ${toHex(stateHash)}` };
  }
  const last = readCheckpoints(get, name).recent.at(-1);
  if (last !== undefined && version <= last.version) {
    return { code: "APP_ENV_VERSION_NOT_HIGHER", message: `env.checkpoint: version ${version} of "${name}" must be higher than its last checkpoint's version ${last.version}` };
  }
  appendCheckpoint(state, name, { stateHash, version, height: ctx.height, txHash });
  return undefined;
}

function merge(state: BlockState, tx: Of<"env.merge">, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const get: StateGetter = (key) => state.get(key);
  const { sources, target: targetName, strategy, stateHash, version } = tx.body;
  const target = readEnvironment(get, targetName);
  if (target === undefined) return notFound(tx.type, targetName);
  if (new Set(sources).size !== sources.length) {
    return { code: "APP_ENV_MERGE_DUPLICATE_SOURCE", message: "env.merge: each source environment is named once" };
  }
  if (sources.includes(targetName)) {
    return { code: "APP_ENV_MERGE_SOURCE_IS_TARGET", message: `env.merge: "${targetName}" is the target, so it cannot also be a source` };
  }
  const merged: { name: string; version: number }[] = [];
  for (const sourceName of sources) {
    const source = readEnvironment(get, sourceName);
    if (source === undefined) return notFound(tx.type, sourceName);
    merged.push({ name: sourceName, version: source.version });
  }
  if (version <= target.version) return versionNotHigher(tx.type, targetName, version, target.version);
  appendMerge(state, targetName, { sources: merged, strategy, stateHash, version, height: ctx.height, txHash });
  writeEnvironment(state, { ...target, stateHash, version, updatedHeight: ctx.height, updatedTxHash: txHash });
  return undefined;
}

/** Green becomes the environment's current state; the same environment at the same version twice is refused. */
function promote(state: BlockState, tx: Of<"env.promote">, txHash: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const get: StateGetter = (key) => state.get(key);
  const { name } = tx.body;
  const env: Environment | undefined = readEnvironment(get, name);
  if (env === undefined) return notFound(tx.type, name);
  const green = readGreen(get);
  if (green !== undefined && green.name === name && green.version === env.version) {
    return { code: "APP_ALREADY_GREEN", message: `env.promote: "${name}" at version ${env.version} is already Green (promoted at height ${green.height})` };
  }
  const authority = checkPolicyAuthority(tx, readPolicy(get, "env.promote"), ctx);
  if (authority) return authority;
  writeGreen(state, { name, stateHash: env.stateHash, version: env.version, height: ctx.height, txHash });
  return undefined;
}
