import type { StateWrite } from "../merkle/index.ts";
import { stateError } from "./errors.ts";
import { STATE_KEY_SIZE_BYTES_MAX, STATE_VALUE_SIZE_BYTES_MAX } from "./options.ts";

export function checkVersionNumber(version: unknown, what: string): asserts version is number {
  if (!Number.isSafeInteger(version) || (version as number) < 0) {
    throw stateError("STATE_VERSION_INVALID", `${what}: version ${String(version)} is not a non-negative safe integer`, { version: String(version) });
  }
}

export function checkKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.byteLength === 0 || key.byteLength > STATE_KEY_SIZE_BYTES_MAX) {
    const sizeBytes = key instanceof Uint8Array ? key.byteLength : undefined;
    throw stateError("STATE_KEY_INVALID", `${what}: a state key is 1 to ${STATE_KEY_SIZE_BYTES_MAX} bytes, got ${sizeBytes === undefined ? typeof key : `${sizeBytes} bytes`}`, {
      sizeBytes,
      sizeBytesMax: STATE_KEY_SIZE_BYTES_MAX,
    });
  }
}

/** Checks every write and returns copies, so the caller changing its arrays cannot change what is applied. */
export function copyWrites(writes: readonly StateWrite[], writesMax: number): StateWrite[] {
  if (!Array.isArray(writes) || writes.length > writesMax) {
    throw stateError("STATE_TOO_MANY_WRITES", `prepare: at most ${writesMax} writes per version, got ${Array.isArray(writes) ? writes.length : "no array"}`, {
      writeCount: Array.isArray(writes) ? writes.length : undefined,
      writeCountMax: writesMax,
    });
  }
  return writes.map((write, index) => {
    checkKey(write?.key, `prepare: write #${index}`);
    const value = write.value;
    if (value !== null && (!(value instanceof Uint8Array) || value.byteLength > STATE_VALUE_SIZE_BYTES_MAX)) {
      const sizeBytes = value instanceof Uint8Array ? value.byteLength : undefined;
      throw stateError("STATE_VALUE_INVALID", `prepare: write #${index}: a value is null (delete) or at most ${STATE_VALUE_SIZE_BYTES_MAX} bytes, got ${sizeBytes === undefined ? typeof value : `${sizeBytes} bytes`}`, {
        index,
        sizeBytes,
        sizeBytesMax: STATE_VALUE_SIZE_BYTES_MAX,
      });
    }
    return { key: write.key.slice(), value: value === null ? null : value.slice() };
  });
}
