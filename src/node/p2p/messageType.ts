/**
 * The `type` of an encoded consensus message without decoding it: the sender must pick the
 * gossip topic of every message it broadcasts, and decoding a 16 MiB proposal for one field
 * would cost as much as the receivers' own decode. Walks the top-level CBOR map (canonical,
 * length-first key order: at most "tc" comes before "type") skipping values by their heads.
 * Anything unexpected returns undefined and the caller decodes properly.
 */
import { CBOR_MAJOR_MAP, readHead, readText, skipValue, walkCursor } from "../../codec/index.ts";

export function peekConsensusMessageType(bytes: Uint8Array): string | undefined {
  const cursor = walkCursor();
  const map = readHead(bytes, cursor);
  if (map === undefined || map.major !== CBOR_MAJOR_MAP) return undefined;
  for (let entry = 0; entry < map.value; entry++) {
    const key = readText(bytes, cursor);
    if (key === undefined) return undefined;
    if (key === "type") return readText(bytes, cursor);
    if (!skipValue(bytes, cursor)) return undefined;
  }
  return undefined;
}
