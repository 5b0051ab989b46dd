import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey, KEY_FILE_MODE, loadKeyFile, loadKeyFileAsync, saveKeyFile } from "../../src/crypto/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";

const fast = { scryptParams: { n: 2 ** 10, r: 8, p: 1 } };

function hasCode(code: string, path?: string): (err: unknown) => boolean {
  return (err) =>
    err instanceof GhostmeshError && err.code === code && (path === undefined || (err.message.includes(path) && err.meta["path"] === path));
}

describe("crypto: key file storage", () => {
  let directory = "";
  before(() => {
    directory = mkdtempSync(join(tmpdir(), "ghostmesh-keyfile-"));
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it("saves with mode 0600 and loads back the same key, encrypted and plain", async () => {
    const key = generateSigningKey();
    const encryptedPath = join(directory, "validator.json");
    const plainPath = join(directory, "devnet.json");
    saveKeyFile(encryptedPath, key, { passphrase: "pw" }, fast);
    saveKeyFile(plainPath, key, { plain: true });
    for (const path of [encryptedPath, plainPath]) assert.equal(statSync(path).mode & 0o777, KEY_FILE_MODE, path);
    assert.deepEqual(loadKeyFile(encryptedPath, "pw").seed, key.seed);
    assert.deepEqual((await loadKeyFileAsync(encryptedPath, "pw")).seed, key.seed);
    assert.deepEqual(loadKeyFile(plainPath).seed, key.seed);
  });

  it("refuses to overwrite an existing file unless asked, and leaves it intact", () => {
    const path = join(directory, "existing.json");
    const first = generateSigningKey();
    const second = generateSigningKey();
    saveKeyFile(path, first, { plain: true });
    const before = readFileSync(path, "utf8");
    assert.throws(() => saveKeyFile(path, second, { plain: true }), hasCode("CRYPTO_KEYFILE_EXISTS", path));
    assert.equal(readFileSync(path, "utf8"), before);
    saveKeyFile(path, second, { plain: true }, { overwrite: true });
    assert.deepEqual(loadKeyFile(path).seed, second.seed);
    assert.equal(statSync(path).mode & 0o777, KEY_FILE_MODE);
  });

  it("overwriting makes a looser existing file 0600", () => {
    const path = join(directory, "loose.json");
    writeFileSync(path, "{}", { mode: 0o644 });
    saveKeyFile(path, generateSigningKey(), { plain: true }, { overwrite: true });
    assert.equal(statSync(path).mode & 0o777, KEY_FILE_MODE);
  });

  it("leaves no temporary files behind, also after a refused save", () => {
    const names = readdirSync(directory);
    assert.equal(names.filter((name) => name.endsWith(".tmp")).length, 0, names.join(", "));
  });

  it("a missing file throws CRYPTO_KEYFILE_NOT_FOUND naming the path", async () => {
    const path = join(directory, "absent.json");
    assert.throws(() => loadKeyFile(path), hasCode("CRYPTO_KEYFILE_NOT_FOUND", path));
    await assert.rejects(loadKeyFileAsync(path), hasCode("CRYPTO_KEYFILE_NOT_FOUND", path));
  });

  it("a missing directory on save throws CRYPTO_KEYFILE_IO_FAILED naming the path", () => {
    const path = join(directory, "no-such-dir", "key.json");
    assert.throws(() => saveKeyFile(path, generateSigningKey(), { plain: true }), hasCode("CRYPTO_KEYFILE_IO_FAILED", path));
  });

  it("decoding errors from a file keep their code and gain the path", () => {
    const path = join(directory, "broken.json");
    writeFileSync(path, "{ not json", { mode: 0o600 });
    assert.throws(() => loadKeyFile(path), hasCode("CRYPTO_KEYFILE_MALFORMED", path));
    const encryptedPath = join(directory, "locked.json");
    saveKeyFile(encryptedPath, generateSigningKey(), { passphrase: "pw" }, fast);
    assert.throws(() => loadKeyFile(encryptedPath), hasCode("CRYPTO_KEYFILE_PASSPHRASE_REQUIRED", encryptedPath));
    assert.throws(() => loadKeyFile(encryptedPath, "nope"), hasCode("CRYPTO_KEYFILE_WRONG_PASSPHRASE", encryptedPath));
  });
});
