import { assert, fromHexOrUndefined, toHex } from "../util/index.ts";
import { isSignatureAlgorithmId, publicKeySizeBytes, type SignatureAlgorithmId } from "./algorithms.ts";
import { cryptoError } from "./errors.ts";
import { hashTagged } from "./hash.ts";

/** 160 bits: collision search costs 2^80, and addresses name keys already registered on chain. */
export const ADDRESS_SIZE_BYTES = 20;
export const ADDRESS_PREFIX = "gm";
const ADDRESS_TEXT_LENGTH_CHARS = ADDRESS_PREFIX.length + 2 * ADDRESS_SIZE_BYTES;
const addressTag = "ghostmesh/v1/addr";

/**
 * SHA-256("ghostmesh/v1/addr" || 0x00 || alg || publicKey)[0..20]. The algorithm byte is
 * hashed in so the same public key bytes under two algorithms never share an address.
 */
export function addressFromPublicKey(alg: SignatureAlgorithmId, publicKey: Uint8Array): Uint8Array {
  assert(isSignatureAlgorithmId(alg), `addressFromPublicKey: unknown algorithm id ${String(alg)}`);
  assert(
    publicKey.byteLength === publicKeySizeBytes[alg],
    `addressFromPublicKey: public key is ${publicKey.byteLength} bytes, ${publicKeySizeBytes[alg]} expected`,
  );
  return hashTagged(addressTag, new Uint8Array([alg]), publicKey).slice(0, ADDRESS_SIZE_BYTES);
}

/** "gm" + 40 lowercase hex characters. */
export function formatAddress(address: Uint8Array): string {
  assert(address.byteLength === ADDRESS_SIZE_BYTES, `formatAddress: address is ${address.byteLength} bytes, ${ADDRESS_SIZE_BYTES} expected`);
  return ADDRESS_PREFIX + toHex(address);
}

/**
 * Parses "gm" + 40 hex characters. Hex digits may be upper or lower case (people copy them
 * around); formatAddress gives the one canonical form back.
 * @throws GhostmeshError CRYPTO_BAD_ADDRESS saying what is wrong.
 */
export function parseAddress(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw cryptoError("CRYPTO_BAD_ADDRESS", `address must be a string, got ${typeof text}`);
  }
  const shown = text.length > 64 ? `${JSON.stringify(text.slice(0, 64))}...` : JSON.stringify(text);
  if (!text.startsWith(ADDRESS_PREFIX)) {
    throw cryptoError("CRYPTO_BAD_ADDRESS", `address ${shown} must start with "${ADDRESS_PREFIX}"`);
  }
  if (text.length !== ADDRESS_TEXT_LENGTH_CHARS) {
    throw cryptoError(
      "CRYPTO_BAD_ADDRESS",
      `address ${shown} has ${text.length} characters; expected "${ADDRESS_PREFIX}" followed by ${2 * ADDRESS_SIZE_BYTES} hex digits`,
      { lengthChars: text.length, lengthCharsExpected: ADDRESS_TEXT_LENGTH_CHARS },
    );
  }
  const address = fromHexOrUndefined(text.slice(ADDRESS_PREFIX.length));
  if (address === undefined) {
    throw cryptoError("CRYPTO_BAD_ADDRESS", `address ${shown} contains characters that are not hex digits after "${ADDRESS_PREFIX}"`);
  }
  assert(address.byteLength === ADDRESS_SIZE_BYTES, "parseAddress: 40 hex digits must decode to 20 bytes");
  return address;
}
