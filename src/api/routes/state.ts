/** Authenticated state: a key's value at a height with its sparse Merkle proof (docs/decisions/0400). */
import { STATE_KEY_SIZE_BYTES_MAX } from "../../state/index.ts";
import { fromHexOrUndefined } from "../../util/index.ts";
import { badRequest, notFound } from "../errors.ts";
import { stateProofJson } from "../json.ts";
import { parseUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

function parseStateKey(value: string | undefined): Uint8Array {
  if (value === undefined || value === "") throw badRequest(`key: required, 1 to ${STATE_KEY_SIZE_BYTES_MAX} bytes as hex (an account's key record is 01 followed by its 20-byte address, its nonce 02 followed by it)`, { field: "key" });
  const text = value.startsWith("0x") ? value.slice(2) : value;
  // Checked before decoding, so an oversized key costs nothing to refuse.
  if (text.length > STATE_KEY_SIZE_BYTES_MAX * 2) {
    throw badRequest(`key: at most ${STATE_KEY_SIZE_BYTES_MAX} bytes (${STATE_KEY_SIZE_BYTES_MAX * 2} hex characters), got ${text.length} characters`, { field: "key", sizeBytesMax: STATE_KEY_SIZE_BYTES_MAX });
  }
  const key = fromHexOrUndefined(text);
  if (key === undefined || key.length === 0) throw badRequest(`key: expected an even number of hex characters, got "${value.slice(0, 80)}"`, { field: "key" });
  return key;
}

export const stateRoutes: RouteFactory = ({ chain }) => [
  {
    method: "GET",
    url: "/v1/state/proof",
    summary: "A state key's value at a height, with a proof of presence or absence against that block's stateRoot",
    query: {
      key: `state key as hex, 1 to ${STATE_KEY_SIZE_BYTES_MAX} bytes (an account's {alg, publicKey}: 01 + its address without gm; its nonce: 02 + address)`,
      height: "block height whose post-state to prove (default: the head; 0 = the genesis state)",
    },
    async handler(request) {
      const q = request.query as { key?: string; height?: string };
      const key = parseStateKey(q.key);
      const head = chain.head.height;
      const height = parseUint(q.height, "height") ?? head;
      if (height > head) throw notFound(`no block at height ${height}; the head is at ${head}`);
      return stateProofJson(key, height, chain.state.prove(key, height));
    },
  },
];
