import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { GhostmeshError, utf8 } from "../util/index.ts";
import { cryptoError } from "./errors.ts";
import { decodeKeyFile, decodeKeyFileAsync, encodeKeyFile, type KeyFileProtection } from "./keyFile.ts";
import { KEY_FILE_SIZE_BYTES_MAX, type KeyFileEncodeOptions } from "./options.ts";
import type { SigningKey } from "./signingKey.ts";

/** Owner read/write only: the file is a private key, even when encrypted. */
export const KEY_FILE_MODE = 0o600;

export type SaveKeyFileOptions = Partial<KeyFileEncodeOptions> & {
  /** Replace an existing file. Off by default: overwriting a key file can destroy the only copy of a key. */
  readonly overwrite?: boolean;
};

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/**
 * Writes the key file at `path` with mode 0600, atomically: the text goes to a temporary file
 * in the same directory (created 0600, fsynced), which is then linked into place (fails if
 * `path` exists) or, with overwrite, renamed over it. A crash leaves either no file or the
 * whole file, never half a key.
 * @throws GhostmeshError CRYPTO_KEYFILE_EXISTS, CRYPTO_KEYFILE_IO_FAILED, or an encoding error.
 */
export function saveKeyFile(path: string, key: SigningKey, protection: KeyFileProtection, options: SaveKeyFileOptions = {}): void {
  const text = encodeKeyFile(key, protection, options);
  const temporaryPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileDurably(temporaryPath, utf8(text));
    if (options.overwrite === true) renameSync(temporaryPath, path);
    else linkSync(temporaryPath, path);
    fsyncDirectory(dirname(path));
  } catch (err) {
    if (errnoCode(err) === "EEXIST") {
      throw cryptoError("CRYPTO_KEYFILE_EXISTS", `key file ${path} already exists; refusing to overwrite a key (move it away first, or choose another path)`, { path });
    }
    throw cryptoError("CRYPTO_KEYFILE_IO_FAILED", `cannot write key file ${path}: ${err instanceof Error ? err.message : String(err)}`, { path }, err);
  } finally {
    removeIfPresent(temporaryPath);
  }
}

function writeFileDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "wx", KEY_FILE_MODE);
  try {
    fchmodSync(fd, KEY_FILE_MODE); // the umask may have narrowed the mode; make it exact
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the new directory entry durable; some platforms cannot open directories, which is fine. */
function fsyncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    fsyncSync(fd);
  } catch {
    // Durability of the rename is best effort where the platform does not support it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Cleanup of the temporary file; after a rename it is already gone. Never masks the real error. */
function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // ENOENT after a successful rename; anything else leaves a 0600 temp file, which is harmless.
  }
}

function readError(path: string, err: unknown): GhostmeshError {
  if (errnoCode(err) === "ENOENT") {
    return cryptoError("CRYPTO_KEYFILE_NOT_FOUND", `key file ${path} does not exist`, { path });
  }
  return cryptoError("CRYPTO_KEYFILE_IO_FAILED", `cannot read key file ${path}: ${err instanceof Error ? err.message : String(err)}`, { path }, err);
}

function checkedText(path: string, bytes: Buffer): string {
  if (bytes.byteLength > KEY_FILE_SIZE_BYTES_MAX) {
    throw cryptoError("CRYPTO_KEYFILE_MALFORMED", `key file ${path} is ${bytes.byteLength} bytes: too large to be a key file`, {
      path,
      field: "(file)",
      sizeBytes: bytes.byteLength,
      sizeBytesMax: KEY_FILE_SIZE_BYTES_MAX,
    });
  }
  return bytes.toString("utf8");
}

/** Decoding errors keep their code and meta, and gain the path so the user knows which file. */
function withPath(path: string, err: unknown): unknown {
  if (!(err instanceof GhostmeshError)) return err;
  return new GhostmeshError(err.code, `${path}: ${err.message}`, { ...err.meta, path }, { cause: err });
}

/**
 * Reads and decodes a key file.
 * @throws GhostmeshError CRYPTO_KEYFILE_NOT_FOUND naming the path, or any decodeKeyFile error
 *   with the path prepended.
 */
export function loadKeyFile(path: string, passphrase?: string): SigningKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw readError(path, err);
  }
  const text = checkedText(path, bytes);
  try {
    return decodeKeyFile(text, passphrase);
  } catch (err) {
    throw withPath(path, err);
  }
}

/** loadKeyFile with the read and scrypt off the event loop. */
export async function loadKeyFileAsync(path: string, passphrase?: string): Promise<SigningKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  const text = checkedText(path, bytes);
  try {
    return await decodeKeyFileAsync(text, passphrase);
  } catch (err) {
    throw withPath(path, err);
  }
}
