/**
 * The environments module's records in the state tree (decision 0604):
 *
 *   0x40 || utf8(name)         environment: {name, description, stateHash, version, creator,
 *                              createdHeight, updatedHeight, updatedTxHash}
 *   0x41 || utf8(name)         its checkpoints: {total, recent: [{stateHash, version, height, txHash}]}
 *   0x42 || utf8(name)         merges into it: {total, recent: [{sources: [{name, version}], strategy,
 *                              stateHash, version, height, txHash}]}
 *   0x43                       Green: {name, stateHash, version, height, txHash} (absent: nothing promoted yet)
 *   0x44                       number of promotions so far (absent: 0)
 *   0x45 || uint64be(index)    promotion `index` (0-based): the Green record it installed
 *
 * Names are ENV_NAME_PATTERN (lowercase, digits, dashes) so `0x40 || utf8(name)` never
 * collides across environments. Checkpoint and merge lists keep the most recent
 * ENV_RECORDS_MAX entries (plus the count ever made): every one of those transactions is a
 * log entry whose body is the record, so older ones stay provable from the log. The Green
 * history is the canonical trail the issue asks to query, so it is never truncated: a counter
 * and one record per promotion keep every value small and every promotion readable by index.
 */
import { decodeWith, encodeCanonical, s, type Infer } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES, HASH_SIZE_BYTES } from "../crypto/index.ts";
import { MERGE_SOURCES_MAX, MERGE_STRATEGIES } from "../ledger/index.ts";
import { assert, concatBytes, utf8 } from "../util/index.ts";
import type { BlockState, StateGetter } from "./blockState.ts";

const ENVIRONMENT_PREFIX = 0x40;
const CHECKPOINTS_PREFIX = 0x41;
const MERGES_PREFIX = 0x42;
export const GREEN_KEY = new Uint8Array([0x43]);
export const GREEN_COUNT_KEY = new Uint8Array([0x44]);
const GREEN_HISTORY_PREFIX = 0x45;

/** Checkpoints and merges kept per environment in state (the log keeps all of them). */
export const ENV_RECORDS_MAX = 64;

const prefixed = (prefix: number, name: string) => concatBytes([new Uint8Array([prefix]), utf8(name)]);
export const environmentKey = (name: string) => prefixed(ENVIRONMENT_PREFIX, name);
export const checkpointsKey = (name: string) => prefixed(CHECKPOINTS_PREFIX, name);
export const mergesKey = (name: string) => prefixed(MERGES_PREFIX, name);

export function greenHistoryKey(index: number): Uint8Array {
  assert(Number.isSafeInteger(index) && index >= 0, "greenHistoryKey: index is a non-negative safe integer");
  const key = new Uint8Array(9);
  key[0] = GREEN_HISTORY_PREFIX;
  new DataView(key.buffer).setBigUint64(1, BigInt(index));
  return key;
}

const hash = s.bytes({ size: HASH_SIZE_BYTES });
const name = s.string({ minLength: 1, maxLength: 63 });

const environmentSchema = s.object({
  name,
  description: s.string({ maxLength: 1024 }),
  stateHash: hash,
  version: s.uint(),
  creator: s.bytes({ size: ADDRESS_SIZE_BYTES }),
  createdHeight: s.uint(),
  updatedHeight: s.uint(),
  updatedTxHash: hash,
});
const checkpointSchema = s.object({ stateHash: hash, version: s.uint(), height: s.uint(), txHash: hash });
const mergeSchema = s.object({
  sources: s.array(s.object({ name, version: s.uint() }), { minLength: 1, maxLength: MERGE_SOURCES_MAX }),
  strategy: s.oneOf(MERGE_STRATEGIES),
  stateHash: hash,
  version: s.uint(),
  height: s.uint(),
  txHash: hash,
});
const checkpointsSchema = s.object({ total: s.uint(), recent: s.array(checkpointSchema, { maxLength: ENV_RECORDS_MAX }) });
const mergesSchema = s.object({ total: s.uint(), recent: s.array(mergeSchema, { maxLength: ENV_RECORDS_MAX }) });
const greenSchema = s.object({ name, stateHash: hash, version: s.uint(), height: s.uint(), txHash: hash });

export type Environment = Infer<typeof environmentSchema>;
export type EnvCheckpoint = Infer<typeof checkpointSchema>;
export type EnvMerge = Infer<typeof mergeSchema>;
/** A bounded list of records: the most recent ENV_RECORDS_MAX, oldest first, and how many were ever made. */
export type RecentList<T> = { readonly total: number; readonly recent: readonly T[] };
export type GreenRecord = Infer<typeof greenSchema>;

export function readEnvironment(get: StateGetter, envName: string): Environment | undefined {
  const bytes = get(environmentKey(envName));
  return bytes === undefined ? undefined : decodeWith(environmentSchema, bytes, "environment");
}

export function writeEnvironment(state: BlockState, env: Environment): void {
  state.set(environmentKey(env.name), encodeCanonical(env));
}

export function readCheckpoints(get: StateGetter, envName: string): RecentList<EnvCheckpoint> {
  const bytes = get(checkpointsKey(envName));
  return bytes === undefined ? { total: 0, recent: [] } : decodeWith(checkpointsSchema, bytes, "environment checkpoints");
}

export function readMerges(get: StateGetter, envName: string): RecentList<EnvMerge> {
  const bytes = get(mergesKey(envName));
  return bytes === undefined ? { total: 0, recent: [] } : decodeWith(mergesSchema, bytes, "environment merges");
}

/** The list with `item` appended, its oldest entries dropped beyond ENV_RECORDS_MAX. */
function appended<T>(list: RecentList<T>, item: T): RecentList<T> {
  const recent = [...list.recent, item];
  const kept = recent.slice(Math.max(0, recent.length - ENV_RECORDS_MAX));
  assert(kept.length <= ENV_RECORDS_MAX, "appended: list within ENV_RECORDS_MAX");
  return { total: list.total + 1, recent: kept };
}

export function appendCheckpoint(state: BlockState, envName: string, checkpoint: EnvCheckpoint): void {
  state.set(checkpointsKey(envName), encodeCanonical(appended(readCheckpoints((key) => state.get(key), envName), checkpoint)));
}

export function appendMerge(state: BlockState, envName: string, merge: EnvMerge): void {
  state.set(mergesKey(envName), encodeCanonical(appended(readMerges((key) => state.get(key), envName), merge)));
}

export function readGreen(get: StateGetter): GreenRecord | undefined {
  const bytes = get(GREEN_KEY);
  return bytes === undefined ? undefined : decodeWith(greenSchema, bytes, "green");
}

export function readGreenCount(get: StateGetter): number {
  const bytes = get(GREEN_COUNT_KEY);
  return bytes === undefined ? 0 : decodeWith(s.uint(), bytes, "green history count");
}

/** Promotion `index` (0-based), or undefined past the end of the history. */
export function readGreenHistoryEntry(get: StateGetter, index: number): GreenRecord | undefined {
  const bytes = get(greenHistoryKey(index));
  return bytes === undefined ? undefined : decodeWith(greenSchema, bytes, "green history entry");
}

/** Promotions [from, from + limit) in order, clipped to the history. */
export function readGreenHistory(get: StateGetter, from: number, limit: number): GreenRecord[] {
  const end = Math.min(readGreenCount(get), from + limit);
  const out: GreenRecord[] = [];
  for (let index = from; index < end; index++) {
    const entry = readGreenHistoryEntry(get, index);
    assert(entry !== undefined, "readGreenHistory: every index below the count has a record");
    out.push(entry);
  }
  return out;
}

/** Installs `green` as the chain's Green state and appends it to the history. */
export function writeGreen(state: BlockState, green: GreenRecord): void {
  const get = (key: Uint8Array) => state.get(key);
  const index = readGreenCount(get);
  const encoded = encodeCanonical(green);
  state.set(GREEN_KEY, encoded);
  state.set(greenHistoryKey(index), encoded);
  state.set(GREEN_COUNT_KEY, encodeCanonical(index + 1));
}
