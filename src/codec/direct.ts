import { compareRanges } from "./tokenizer.ts";
import type { CborValue } from "./types.ts";

/**
 * The fast path of `decodeCanonical`: a direct, recursive decoder for input that is already
 * canonical, which is nearly all input (every signed transaction admitted, every block and
 * vote decoded). cborg plus the checking tokenizer cost ~13 us for a 3.5 KB transaction,
 * about 4% of an ML-DSA-65 verify, mostly in per-token objects and callbacks.
 *
 * It never rejects anything itself: at the first byte that is not plainly canonical, or that
 * it does not handle (floats, tags, anything malformed), it gives up and returns undefined,
 * and `decodeCanonical` runs the full decoder, which produces the value or the precise
 * error. So errors come from one place, and this path only needs to be at least as strict
 * as the full one and to build the same value (test/codec/direct.test.ts checks both
 * against each other on random and mutated input). What it accepts, it checks as the full
 * decoder does: shortest heads, safe integers, lengths within the input, nesting depth,
 * text map keys in strictly increasing bytewise order, strictly valid UTF-8, no trailing bytes.
 */
export function decodeDirect(input: Uint8Array, depthMax: number, byteStringViews = false): CborValue | undefined {
  data = input;
  pos = 0;
  maxDepth = depthMax;
  views = byteStringViews;
  try {
    const value = readItem(1);
    return pos === input.length ? value : undefined;
  } catch {
    // DEFER, or anything unexpected: the full decoder decides, with its precise errors.
    return undefined;
  } finally {
    data = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
/** Thrown to give up; caught by decodeDirect only. A constant, so giving up captures no stack. */
const DEFER: unique symbol = Symbol("codec.direct.defer");
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** ASCII strings up to this length are built char by char; longer ones go to TextDecoder. */
const ASCII_INLINE_BYTES_MAX = 32;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
/** High 32-bit word of Number.MAX_SAFE_INTEGER (2^53-1). */
const SAFE_HIGH_WORD_MAX = 0x1fffff;

/** Decoding is synchronous and runs no user code, so one module-level cursor is safe. */
let data: Uint8Array = EMPTY;
let pos = 0;
let maxDepth = 0;
let views = false;

/** `depth`: the nesting level a container starting here would have (1 at the top). */
function readItem(depth: number): CborValue {
  if (pos >= data.length) throw DEFER;
  const initial = data[pos] as number;
  const major = initial >>> 5;
  if (major === 7) {
    pos++;
    if (initial === 0xf4) return false;
    if (initial === 0xf5) return true;
    if (initial === 0xf6) return null;
    throw DEFER; // floats and everything else in major type 7
  }
  const argument = readArgument(initial, major);
  switch (major) {
    case 0:
      return argument;
    case MAJOR_NEGATIVE:
      return -1 - argument;
    case MAJOR_BYTES:
      return readBytes(argument);
    case MAJOR_TEXT:
      return readText(argument);
    case MAJOR_ARRAY:
      return readArray(argument, depth);
    case MAJOR_MAP:
      return readMap(argument, depth);
    default:
      throw DEFER; // tags
  }
}

/** Reads the head's argument and moves past the head; only shortest forms of safe values pass. */
function readArgument(initial: number, major: number): number {
  const info = initial & 0x1f;
  const at = pos + 1;
  if (info < 24) {
    pos = at;
    return info;
  }
  if (info === 24) {
    if (at + 1 > data.length) throw DEFER;
    const argument = data[at] as number;
    if (argument < 24) throw DEFER;
    pos = at + 1;
    return argument;
  }
  if (info === 25) {
    if (at + 2 > data.length) throw DEFER;
    const argument = ((data[at] as number) << 8) | (data[at + 1] as number);
    if (argument < 0x100) throw DEFER;
    pos = at + 2;
    return argument;
  }
  if (info === 26) {
    if (at + 4 > data.length) throw DEFER;
    const argument = readUint32(at);
    if (argument < 0x10000) throw DEFER;
    pos = at + 4;
    return argument;
  }
  if (info !== 27 || at + 8 > data.length) throw DEFER;
  const high = readUint32(at);
  const low = readUint32(at + 4);
  // Shortest form, and within the safe range: -1 - n >= -(2^53-1) leaves n <= 2^53-2.
  if (high === 0 || high > SAFE_HIGH_WORD_MAX) throw DEFER;
  if (major === MAJOR_NEGATIVE && high === SAFE_HIGH_WORD_MAX && low === 0xffffffff) throw DEFER;
  pos = at + 8;
  return high * 0x100000000 + low;
}

function readUint32(at: number): number {
  return (data[at] as number) * 0x1000000 + (((data[at + 1] as number) << 16) | ((data[at + 2] as number) << 8) | (data[at + 3] as number));
}

/** A copy, as the full decoder returns, unless the caller asked for views (DecodeOptions.byteStringViews). */
function readBytes(length: number): Uint8Array {
  const end = pos + length;
  if (end > data.length) throw DEFER;
  const bytes = views ? data.subarray(pos, end) : data.slice(pos, end);
  pos = end;
  return bytes;
}

function readText(length: number): string {
  const start = pos;
  const end = start + length;
  if (end > data.length) throw DEFER;
  pos = end;
  if (length <= ASCII_INLINE_BYTES_MAX) {
    let text = "";
    for (let i = start; i < end; i++) {
      const byte = data[i] as number;
      if (byte >= 0x80) return decodeUtf8(start, end);
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return decodeUtf8(start, end);
}

/**
 * Map keys repeat (every transaction has "tx", "sig", "nonce"...): a hit returns the string
 * decoded before, which V8 has already internalized, so the property store that follows
 * takes its fast path. Slots are chosen from the key's bytes; a miss just decodes (and a
 * different key may take the slot). The strings are immutable values, so sharing them is
 * invisible to callers.
 */
const KEY_CACHE_SLOTS = 256;
const KEY_CACHE_BYTES_MAX = 24;
const keyCacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_CACHE_SLOTS).fill(undefined);
const keyCacheTexts: string[] = new Array<string>(KEY_CACHE_SLOTS).fill("");

function readKey(length: number): string {
  const start = pos;
  if (length === 0 || length > KEY_CACHE_BYTES_MAX || start + length > data.length) return readText(length);
  const slot = ((data[start] as number) * 31 + (data[start + length - 1] as number) * 7 + length * 131 + (data[start + (length >> 1)] as number)) & (KEY_CACHE_SLOTS - 1);
  const cached = keyCacheBytes[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached[i] !== data[start + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      pos = start + length;
      return keyCacheTexts[slot] as string;
    }
  }
  const key = readText(length);
  keyCacheBytes[slot] = data.slice(start, start + length);
  keyCacheTexts[slot] = key;
  return key;
}

function decodeUtf8(start: number, end: number): string {
  try {
    return STRICT_UTF8.decode(data.subarray(start, end));
  } catch {
    throw DEFER; // invalid UTF-8: the full decoder names it
  }
}

function readArray(count: number, depth: number): CborValue[] {
  // Each item takes at least one byte: a count beyond the bytes left cannot be canonical.
  if (depth > maxDepth || count > data.length - pos) throw DEFER;
  const items: CborValue[] = [];
  for (let i = 0; i < count; i++) items.push(readItem(depth + 1));
  return items;
}

function readMap(count: number, depth: number): Record<string, CborValue> {
  if (depth > maxDepth || count * 2 > data.length - pos) throw DEFER;
  const map: Record<string, CborValue> = {};
  let previousStart = -1;
  let previousEnd = -1;
  for (let i = 0; i < count; i++) {
    const keyStart = pos;
    if (keyStart >= data.length) throw DEFER;
    const initial = data[keyStart] as number;
    if (initial >>> 5 !== MAJOR_TEXT) throw DEFER;
    const key = readKey(readArgument(initial, MAJOR_TEXT));
    // Canonical order is bytewise order of the encoded keys; an equal key is a duplicate.
    if (previousStart >= 0 && compareRanges(data, previousStart, previousEnd, keyStart, pos) >= 0) throw DEFER;
    previousStart = keyStart;
    previousEnd = pos;
    const value = readItem(depth + 1);
    // A plain assignment of "__proto__" would set the prototype instead (cborg does the same).
    if (key === "__proto__") Object.defineProperty(map, key, { value, configurable: true, enumerable: true, writable: true });
    else map[key] = value;
  }
  return map;
}
