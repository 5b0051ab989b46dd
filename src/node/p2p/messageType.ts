/**
 * The `type` of an encoded consensus message without decoding it: the sender must pick the
 * gossip topic of every message it broadcasts, and decoding a 16 MiB proposal for one field
 * would cost as much as the receivers' own decode. Walks the top-level CBOR map (canonical,
 * length-first key order: at most "tc" comes before "type") skipping values by their heads.
 * Anything unexpected returns undefined and the caller decodes properly.
 */
const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_SIMPLE = 7;
/** Nesting a skipped value may have before the walk gives up (a TC is two levels deep). */
const SKIP_DEPTH_MAX = 8;
/** Items a skipped value may hold: a TC of a 1,024-validator committee is ~2,100. */
const SKIP_ITEMS_MAX = 100_000;

type Cursor = { offset: number; items: number };

function readHead(bytes: Uint8Array, cursor: Cursor): { major: number; value: number } | undefined {
  const initial = bytes[cursor.offset];
  if (initial === undefined) return undefined;
  cursor.offset++;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, value: info };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
  if (size === 0 || cursor.offset + size > bytes.byteLength) return undefined;
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[cursor.offset + i] as number);
  cursor.offset += size;
  return { major, value };
}

function skipValue(bytes: Uint8Array, cursor: Cursor, depth: number): boolean {
  const head = readHead(bytes, cursor);
  if (head === undefined || depth > SKIP_DEPTH_MAX || ++cursor.items > SKIP_ITEMS_MAX) return false;
  switch (head.major) {
    case MAJOR_UNSIGNED:
    case MAJOR_NEGATIVE:
    case MAJOR_SIMPLE:
      return true;
    case MAJOR_BYTES:
    case MAJOR_TEXT:
      cursor.offset += head.value;
      return cursor.offset <= bytes.byteLength;
    case MAJOR_ARRAY:
    case MAJOR_MAP: {
      const count = head.major === MAJOR_MAP ? head.value * 2 : head.value;
      for (let i = 0; i < count; i++) if (!skipValue(bytes, cursor, depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

function readText(bytes: Uint8Array, cursor: Cursor): string | undefined {
  const head = readHead(bytes, cursor);
  if (head === undefined || head.major !== MAJOR_TEXT || cursor.offset + head.value > bytes.byteLength) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(cursor.offset, cursor.offset + head.value));
  cursor.offset += head.value;
  return text;
}

export function peekConsensusMessageType(bytes: Uint8Array): string | undefined {
  const cursor: Cursor = { offset: 0, items: 0 };
  const map = readHead(bytes, cursor);
  if (map === undefined || map.major !== MAJOR_MAP) return undefined;
  for (let entry = 0; entry < map.value; entry++) {
    const key = readText(bytes, cursor);
    if (key === undefined) return undefined;
    if (key === "type") return readText(bytes, cursor);
    if (!skipValue(bytes, cursor, 0)) return undefined;
  }
  return undefined;
}
