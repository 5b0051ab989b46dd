/**
 * Walking canonical CBOR by item heads, without decoding: where a value starts and ends, or
 * one text field, read from bytes a caller holds anyway. For the few hot paths that need a
 * field or a span of a large item and would otherwise pay a full decode (or a re-encode) for
 * it. Everything unexpected (a truncated head, a major type outside the data model, nesting
 * past SKIP_DEPTH_MAX, more than SKIP_ITEMS_MAX items) returns undefined or false, and the
 * caller falls back to the full codec, which reports the problem properly.
 */
export const CBOR_MAJOR_UNSIGNED = 0;
export const CBOR_MAJOR_NEGATIVE = 1;
export const CBOR_MAJOR_BYTES = 2;
export const CBOR_MAJOR_TEXT = 3;
export const CBOR_MAJOR_ARRAY = 4;
export const CBOR_MAJOR_MAP = 5;
export const CBOR_MAJOR_SIMPLE = 7;
/** Nesting a skipped value may have before the walk gives up (a block and its QC are four levels deep). */
const SKIP_DEPTH_MAX = 8;
/** Items one walk may pass: a TC of a 1,024-validator committee is ~2,100. */
const SKIP_ITEMS_MAX = 100_000;

/** Position in the bytes, and items passed so far (bounded, so hostile input cannot make a walk long). */
export type WalkCursor = { offset: number; items: number };

export function walkCursor(offset = 0): WalkCursor {
  return { offset, items: 0 };
}

/** The next item's major type and argument (length, count or value); undefined when truncated or indefinite. */
export function readHead(bytes: Uint8Array, cursor: WalkCursor): { major: number; value: number } | undefined {
  const initial = bytes[cursor.offset];
  if (initial === undefined) return undefined;
  cursor.offset++;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, value: info };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0 || cursor.offset + size > bytes.byteLength) return undefined;
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[cursor.offset + i] as number);
  // A length or count beyond 2^53 - 1 lost precision in the sum (no such item fits in memory);
  // an integer's or a float's argument is only skipped, so its precision does not matter.
  if (!Number.isSafeInteger(value) && major >= CBOR_MAJOR_BYTES && major <= CBOR_MAJOR_MAP) return undefined;
  cursor.offset += size;
  return { major, value };
}

/** Moves past one whole item; false when the bytes end first or the item is not walkable. */
export function skipValue(bytes: Uint8Array, cursor: WalkCursor, depth = 0): boolean {
  const head = readHead(bytes, cursor);
  if (head === undefined || depth > SKIP_DEPTH_MAX || ++cursor.items > SKIP_ITEMS_MAX) return false;
  switch (head.major) {
    case CBOR_MAJOR_UNSIGNED:
    case CBOR_MAJOR_NEGATIVE:
    case CBOR_MAJOR_SIMPLE:
      return true;
    case CBOR_MAJOR_BYTES:
    case CBOR_MAJOR_TEXT:
      cursor.offset += head.value;
      return cursor.offset <= bytes.byteLength;
    case CBOR_MAJOR_ARRAY:
    case CBOR_MAJOR_MAP: {
      const count = head.major === CBOR_MAJOR_MAP ? head.value * 2 : head.value;
      for (let i = 0; i < count; i++) if (!skipValue(bytes, cursor, depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** The span of the item at the cursor (a view into `bytes`), moving past it; undefined as skipValue fails. */
export function skipValueSpan(bytes: Uint8Array, cursor: WalkCursor): Uint8Array | undefined {
  const start = cursor.offset;
  return skipValue(bytes, cursor) ? bytes.subarray(start, cursor.offset) : undefined;
}

/**
 * Walks the map at the cursor: for each entry reads its text key, then calls `onValue(key)`
 * with the cursor at the value, which must move past it (skipValue, or a walk of its own) and
 * return true, or return false to stop. False when stopped, or when the item is not a map of
 * text keys.
 */
export function walkMap(bytes: Uint8Array, cursor: WalkCursor, onValue: (key: string) => boolean): boolean {
  const head = readHead(bytes, cursor);
  if (head?.major !== CBOR_MAJOR_MAP) return false;
  for (let entry = 0; entry < head.value; entry++) {
    const key = readText(bytes, cursor);
    if (key === undefined || !onValue(key)) return false;
  }
  return true;
}

/** As walkMap, for an array that must hold exactly `count` items: `onItem(index)` moves past item `index`. */
export function walkArray(bytes: Uint8Array, cursor: WalkCursor, count: number, onItem: (index: number) => boolean): boolean {
  const head = readHead(bytes, cursor);
  if (head?.major !== CBOR_MAJOR_ARRAY || head.value !== count) return false;
  for (let index = 0; index < count; index++) if (!onItem(index)) return false;
  return true;
}

/** A text item (a map key); undefined when the next item is not text. */
export function readText(bytes: Uint8Array, cursor: WalkCursor): string | undefined {
  const head = readHead(bytes, cursor);
  if (head === undefined || head.major !== CBOR_MAJOR_TEXT || cursor.offset + head.value > bytes.byteLength) return undefined;
  const text = textDecoder.decode(bytes.subarray(cursor.offset, cursor.offset + head.value));
  cursor.offset += head.value;
  return text;
}

const textDecoder = new TextDecoder("utf-8", { fatal: false });
