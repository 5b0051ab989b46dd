import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addressFromPublicKey,
  decodeKeyFile,
  decodeKeyFileAsync,
  defaultScryptParams,
  encodeKeyFile,
  encodeKeyFileAsync,
  formatAddress,
  generateSigningKey,
  SignatureAlgorithm,
  type SigningKey,
} from "../../src/crypto/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";
import fc from "fast-check";
import { jsonMutations, mutateJson } from "../helpers/jsonMutation.ts";

/** Low scrypt cost so the suite runs fast; one test below uses the real default. */
const fast = { scryptParams: { n: 2 ** 10, r: 8, p: 1 } };
const passphrase = "correct horse battery staple";

function hasCode(code: string, field?: string): (err: unknown) => boolean {
  return (err) => err instanceof GhostmeshError && err.code === code && (field === undefined || err.meta["field"] === field);
}

function assertSameKey(actual: SigningKey, expected: SigningKey): void {
  assert.equal(actual.alg, expected.alg);
  assert.deepEqual(actual.seed, expected.seed);
  assert.deepEqual(actual.publicKey, expected.publicKey);
}

function edited(text: string, edit: (file: Record<string, unknown>) => void): string {
  const file = JSON.parse(text) as Record<string, unknown>;
  edit(file);
  return JSON.stringify(file);
}

describe("crypto: key files", () => {
  const key = generateSigningKey();
  const encrypted = encodeKeyFile(key, { passphrase }, fast);
  const plain = encodeKeyFile(key, { plain: true });

  it("an encrypted file decodes with its passphrase to the same key", () => {
    assertSameKey(decodeKeyFile(encrypted, passphrase), key);
  });

  it("the encrypted file shows alg, address and public key but not the seed", () => {
    const file = JSON.parse(encrypted) as Record<string, unknown>;
    assert.equal(file["version"], 1);
    assert.equal(file["alg"], "ML-DSA-65");
    assert.equal(file["encryption"], "scrypt-aes-256-gcm");
    assert.equal(file["address"], formatAddress(addressFromPublicKey(key.alg, key.publicKey)));
    assert.equal(file["publicKey"], toHex(key.publicKey));
    assert.deepEqual(file["kdfParams"] !== null && typeof file["kdfParams"] === "object" && { ...file["kdfParams"], salt: "" }, { n: 1024, r: 8, p: 1, salt: "" });
    assert.equal(encrypted.includes(toHex(key.seed)), false);
  });

  it("a plain file holds the seed in hex and decodes without a passphrase", () => {
    assert.equal((JSON.parse(plain) as Record<string, unknown>)["seed"], toHex(key.seed));
    assertSameKey(decodeKeyFile(plain), key);
    assertSameKey(decodeKeyFile(plain, "ignored for plain files"), key);
  });

  it("round-trips every algorithm", () => {
    for (const alg of Object.values(SignatureAlgorithm)) {
      const other = generateSigningKey(alg);
      assertSameKey(decodeKeyFile(encodeKeyFile(other, { passphrase }, fast), passphrase), other);
      assertSameKey(decodeKeyFile(encodeKeyFile(other, { plain: true })), other);
    }
  });

  it("the default scrypt cost round-trips (its memory exceeds Node's default scrypt limit)", async () => {
    const text = await encodeKeyFileAsync(key, { passphrase });
    assert.deepEqual({ ...(JSON.parse(text) as { kdfParams: object }).kdfParams, salt: undefined }, { ...defaultScryptParams, salt: undefined });
    assertSameKey(await decodeKeyFileAsync(text, passphrase), key);
  });

  it("async encode and decode agree with the sync ones", async () => {
    assertSameKey(await decodeKeyFileAsync(encrypted, passphrase), key);
    assertSameKey(decodeKeyFile(await encodeKeyFileAsync(key, { passphrase }, fast), passphrase), key);
    await assert.rejects(decodeKeyFileAsync(encrypted, "wrong"), hasCode("CRYPTO_KEYFILE_WRONG_PASSPHRASE"));
  });

  it("passphrases are compared after NFKC normalisation", () => {
    const text = encodeKeyFile(key, { passphrase: "caf\u00e9" }, fast);
    assertSameKey(decodeKeyFile(text, "cafe\u0301"), key);
  });

  it("a wrong passphrase throws CRYPTO_KEYFILE_WRONG_PASSPHRASE", () => {
    assert.throws(() => decodeKeyFile(encrypted, `${passphrase}!`), hasCode("CRYPTO_KEYFILE_WRONG_PASSPHRASE"));
  });

  it("a missing or empty passphrase throws CRYPTO_KEYFILE_PASSPHRASE_REQUIRED", () => {
    assert.throws(() => decodeKeyFile(encrypted), hasCode("CRYPTO_KEYFILE_PASSPHRASE_REQUIRED"));
    assert.throws(() => decodeKeyFile(encrypted, ""), hasCode("CRYPTO_KEYFILE_PASSPHRASE_REQUIRED"));
  });

  it("encrypting with an empty passphrase or bad scrypt parameters is refused", () => {
    assert.throws(() => encodeKeyFile(key, { passphrase: "" }), hasCode("CRYPTO_KEYFILE_PASSPHRASE_EMPTY"));
    assert.throws(() => encodeKeyFile(key, { passphrase }, { scryptParams: { n: 1000, r: 8, p: 1 } }), hasCode("CRYPTO_INVALID_ARGUMENT"));
    assert.throws(() => encodeKeyFile(key, { passphrase }, { scryptParams: { n: 2 ** 21, r: 8, p: 1 } }), hasCode("CRYPTO_INVALID_ARGUMENT"));
  });

  it("an altered ciphertext, nonce, salt or alg fails to unlock", () => {
    const unlockFails = hasCode("CRYPTO_KEYFILE_WRONG_PASSPHRASE");
    const flipFirst = (hex: unknown): string => `${String(hex).startsWith("0") ? "1" : "0"}${String(hex).slice(1)}`;
    assert.throws(() => decodeKeyFile(edited(encrypted, (f) => (f["ciphertext"] = flipFirst(f["ciphertext"]))), passphrase), unlockFails);
    assert.throws(() => decodeKeyFile(edited(encrypted, (f) => (f["nonce"] = flipFirst(f["nonce"]))), passphrase), unlockFails);
    const saltEdited = edited(encrypted, (f) => {
      const kdf = f["kdfParams"] as Record<string, unknown>;
      kdf["salt"] = flipFirst(kdf["salt"]);
    });
    assert.throws(() => decodeKeyFile(saltEdited, passphrase), unlockFails);
  });

  it("an address or public key that does not match the seed throws CRYPTO_KEYFILE_MISMATCH", () => {
    const stranger = generateSigningKey();
    const strangerAddress = formatAddress(addressFromPublicKey(stranger.alg, stranger.publicKey));
    assert.throws(() => decodeKeyFile(edited(plain, (f) => (f["address"] = strangerAddress))), hasCode("CRYPTO_KEYFILE_MISMATCH", "address"));
    const swapped = edited(plain, (f) => {
      f["address"] = strangerAddress;
      f["publicKey"] = toHex(stranger.publicKey);
    });
    assert.throws(() => decodeKeyFile(swapped), hasCode("CRYPTO_KEYFILE_MISMATCH", "publicKey"));
  });

  it("malformed JSON and fields throw CRYPTO_KEYFILE_MALFORMED naming the field", () => {
    const cases: [string, string][] = [
      ["{", "(file)"],
      ["[]", "(file)"],
      ["null", "(file)"],
      ['"text"', "(file)"],
      [edited(plain, (f) => delete f["alg"]), "alg"],
      [edited(plain, (f) => (f["alg"] = "ed25519")), "alg"],
      [edited(plain, (f) => (f["alg"] = 2)), "alg"],
      [edited(plain, (f) => (f["address"] = "gmxyz")), "address"],
      [edited(plain, (f) => (f["publicKey"] = "abc")), "publicKey"],
      [edited(plain, (f) => (f["publicKey"] = "00")), "publicKey"],
      [edited(plain, (f) => (f["encryption"] = "rot13")), "encryption"],
      [edited(plain, (f) => (f["seed"] = "zz")), "seed"],
      [edited(plain, (f) => delete f["seed"]), "seed"],
      [edited(encrypted, (f) => delete f["kdfParams"]), "kdfParams"],
      [edited(encrypted, (f) => (f["kdfParams"] = { n: 1000, r: 8, p: 1, salt: "00" })), "kdfParams.n"],
      [edited(encrypted, (f) => (f["kdfParams"] = { n: 2 ** 22, r: 8, p: 1, salt: "00" })), "kdfParams.n"],
      [edited(encrypted, (f) => (f["kdfParams"] = { n: 2 ** 20, r: 32, p: 16, salt: "00".repeat(32) })), "kdfParams"],
      [edited(encrypted, (f) => (f["kdfParams"] = { n: 1024, r: 8, p: 1, salt: "00" })), "kdfParams.salt"],
      [edited(encrypted, (f) => (f["nonce"] = "00")), "nonce"],
      [edited(encrypted, (f) => (f["ciphertext"] = 5)), "ciphertext"],
      ["x".repeat(70_000), "(file)"],
    ];
    for (const [text, field] of cases) {
      assert.throws(() => decodeKeyFile(text, passphrase), hasCode("CRYPTO_KEYFILE_MALFORMED", field), `${field}: ${text.slice(0, 80)}`);
    }
  });

  it("another version throws CRYPTO_KEYFILE_UNSUPPORTED_VERSION", () => {
    assert.throws(() => decodeKeyFile(edited(plain, (f) => (f["version"] = 2))), hasCode("CRYPTO_KEYFILE_UNSUPPORTED_VERSION"));
    assert.throws(() => decodeKeyFile(edited(plain, (f) => delete f["version"])), hasCode("CRYPTO_KEYFILE_MALFORMED", "version"));
  });

  it("a damaged plain or encrypted file decodes or throws a typed CRYPTO_KEYFILE_ error, never a TypeError (property)", () => {
    for (const [text, runs] of [[plain, 1000], [encrypted, 300]] as const) {
      const document = JSON.parse(text) as unknown;
      fc.assert(
        fc.property(jsonMutations, (mutations) => {
          try {
            decodeKeyFile(JSON.stringify(mutateJson(document, mutations)) ?? "null", passphrase);
          } catch (err) {
            assert.ok(err instanceof GhostmeshError && err.code.startsWith("CRYPTO_KEYFILE_"), String(err));
          }
        }),
        { numRuns: runs },
      );
    }
  });
});
