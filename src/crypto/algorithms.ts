import { assert } from "../util/index.ts";
import { cryptoError } from "./errors.ts";

/**
 * Signature algorithm ids travel on the wire (one byte in keys, signatures, addresses), so a
 * value once assigned is never reused. Crypto agility: every key and signature names its
 * algorithm; ML-DSA (FIPS 204) levels 2, 3 and 5.
 */
export const SignatureAlgorithm = { mlDsa44: 1, mlDsa65: 2, mlDsa87: 3 } as const;
export type SignatureAlgorithmId = (typeof SignatureAlgorithm)[keyof typeof SignatureAlgorithm];

/** ML-DSA-65: NIST level 3, the balance of size (3,309-byte signatures) and margin. */
export const defaultSignatureAlgorithm: SignatureAlgorithmId = SignatureAlgorithm.mlDsa65;

/** FIPS 204 key generation seed (xi); the only secret a keystore holds. */
export const SEED_SIZE_BYTES = 32;

/** FIPS 204 Table 2. */
export const publicKeySizeBytes: Readonly<Record<SignatureAlgorithmId, number>> = { 1: 1312, 2: 1952, 3: 2592 };
export const signatureSizeBytes: Readonly<Record<SignatureAlgorithmId, number>> = { 1: 2420, 2: 3309, 3: 4627 };

const names: Readonly<Record<SignatureAlgorithmId, string>> = { 1: "ML-DSA-44", 2: "ML-DSA-65", 3: "ML-DSA-87" };
const nodeKeyTypes = { 1: "ml-dsa-44", 2: "ml-dsa-65", 3: "ml-dsa-87" } as const;

export function isSignatureAlgorithmId(x: unknown): x is SignatureAlgorithmId {
  return x === 1 || x === 2 || x === 3;
}

export function signatureAlgorithmName(alg: SignatureAlgorithmId): string {
  const name = names[alg];
  assert(name !== undefined, `signatureAlgorithmName: unknown algorithm id ${String(alg)}`);
  return name;
}

/** The key type string node:crypto uses for raw key import. */
export function nodeKeyType(alg: SignatureAlgorithmId): (typeof nodeKeyTypes)[SignatureAlgorithmId] {
  const type = nodeKeyTypes[alg];
  assert(type !== undefined, `nodeKeyType: unknown algorithm id ${String(alg)}`);
  return type;
}

const acceptedNamesText = "ML-DSA-44, ML-DSA-65, ML-DSA-87 (case-insensitive; MLDSA65 without hyphens also accepted)";

/**
 * Reads an algorithm name from config, CLI flags or key files. Bare level numbers ("65") are
 * refused on purpose: once SLH-DSA or Falcon ids exist a bare number would be ambiguous.
 * @throws GhostmeshError CRYPTO_UNKNOWN_ALGORITHM listing the accepted names.
 */
export function parseSignatureAlgorithmName(name: string): SignatureAlgorithmId {
  const match = typeof name === "string" ? /^ml-?dsa-?(44|65|87)$/i.exec(name) : null;
  if (match !== null) {
    const level = match[1];
    if (level === "44") return SignatureAlgorithm.mlDsa44;
    if (level === "65") return SignatureAlgorithm.mlDsa65;
    if (level === "87") return SignatureAlgorithm.mlDsa87;
  }
  throw cryptoError("CRYPTO_UNKNOWN_ALGORITHM", `unknown signature algorithm ${JSON.stringify(name)}; accepted: ${acceptedNamesText}`, {
    name,
  });
}
