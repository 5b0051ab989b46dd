import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import type { Schema } from "../codec/index.ts";
import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { fromHexOrUndefined, toHex } from "../util/index.ts";
import { smtError } from "./smtErrors.ts";
import { SMT_DEPTH_MAX } from "./smtHash.ts";
import { stateProofShapeIssue } from "./smtProof.ts";
import type { StateProof } from "./smtProof.ts";

/*
 * Wire and JSON forms of a state proof. CBOR (canonical, one encoding per proof):
 *   { "leaf": null | { "keyHash": bstr32, "valueHash": bstr32 }, "depth": uint 0..256,
 *     "bitmap": bstr (ceil(depth/8)), "siblings": [bstr32, ...] }
 * JSON: the same fields with bytes as lowercase hex (GET /v1/state/proof).
 */

/** 256 siblings of 34 bytes + the rest stays far below this; anything longer is refused unparsed. */
export const STATE_PROOF_SIZE_BYTES_MAX = 16 * 1024;

const hash32 = s.bytes({ size: HASH_SIZE_BYTES });

export const stateProofSchema: Schema<StateProof> = s.object({
  leaf: s.nullable(s.object({ keyHash: hash32, valueHash: hash32 })),
  depth: s.uint({ max: SMT_DEPTH_MAX }),
  bitmap: s.bytes({ maxSize: SMT_DEPTH_MAX / 8 }),
  siblings: s.array(hash32, { maxLength: SMT_DEPTH_MAX }),
});

export type StateProofJson = {
  readonly leaf: { readonly keyHash: string; readonly valueHash: string } | null;
  readonly depth: number;
  readonly bitmap: string;
  readonly siblings: readonly string[];
};

function checkShape(proof: StateProof, what: string): StateProof {
  const issue = stateProofShapeIssue(proof);
  if (issue !== undefined) throw smtError("MERKLE_SMT_PROOF_INVALID", `${what}: malformed state proof: ${issue}`, { issue });
  return proof;
}

export function encodeStateProof(proof: StateProof): Uint8Array {
  const { leaf, depth, bitmap, siblings } = checkShape(proof, "encodeStateProof");
  return encodeCanonical({ leaf: leaf === null ? null : { keyHash: leaf.keyHash, valueHash: leaf.valueHash }, depth, bitmap, siblings: [...siblings] });
}

/** Throws GhostmeshError (CODEC_* or MERKLE_SMT_PROOF_INVALID) for any bytes that are not a well-formed proof. */
export function decodeStateProof(bytes: Uint8Array): StateProof {
  const proof = decodeWith(stateProofSchema, bytes, "stateProof", { maxBytes: STATE_PROOF_SIZE_BYTES_MAX });
  return checkShape(proof, "stateProof");
}

export function stateProofToJson(proof: StateProof): StateProofJson {
  const { leaf, depth, bitmap, siblings } = checkShape(proof, "stateProofToJson");
  return {
    leaf: leaf === null ? null : { keyHash: toHex(leaf.keyHash), valueHash: toHex(leaf.valueHash) },
    depth,
    bitmap: toHex(bitmap),
    siblings: siblings.map(toHex),
  };
}

/** Parses the JSON form (already JSON.parse'd); throws MERKLE_SMT_PROOF_INVALID naming the bad field. */
export function stateProofFromJson(json: unknown): StateProof {
  const invalid = (field: string, expected: string) =>
    smtError("MERKLE_SMT_PROOF_INVALID", `stateProof.${field}: expected ${expected}`, { field, expected });
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("", "an object");
  const record = json as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== "leaf" && key !== "depth" && key !== "bitmap" && key !== "siblings") throw invalid(key, "no such field");
  }
  const hexField = (value: unknown, field: string, expected: string): Uint8Array => {
    const bytes = typeof value === "string" ? fromHexOrUndefined(value) : undefined;
    if (bytes === undefined) throw invalid(field, expected);
    return bytes;
  };
  const hash = (value: unknown, field: string) => hexField(value, field, "64 hex digits");
  let leaf: StateProof["leaf"] = null;
  if (record.leaf !== null) {
    if (typeof record.leaf !== "object" || Array.isArray(record.leaf)) throw invalid("leaf", "null or {keyHash, valueHash}");
    const leafRecord = record.leaf as Record<string, unknown>;
    leaf = { keyHash: hash(leafRecord.keyHash, "leaf.keyHash"), valueHash: hash(leafRecord.valueHash, "leaf.valueHash") };
  }
  if (typeof record.depth !== "number") throw invalid("depth", `an integer 0..${SMT_DEPTH_MAX}`);
  if (!Array.isArray(record.siblings) || record.siblings.length > SMT_DEPTH_MAX) throw invalid("siblings", `an array of at most ${SMT_DEPTH_MAX} hashes`);
  const siblings = record.siblings.map((sibling: unknown, i: number) => hash(sibling, `siblings[${i}]`));
  const proof: StateProof = { leaf, depth: record.depth, bitmap: hexField(record.bitmap, "bitmap", "hex"), siblings };
  return checkShape(proof, "stateProof");
}
