import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { errorMessage } from "../util/index.ts";
import { p2pError } from "./errors.ts";

/** File name of the libp2p key inside a node home's data directory (the caller chooses the path). */
export const NODE_KEY_FILE = "p2p.key";
/** Owner read/write only, as for every private key. */
export const NODE_KEY_FILE_MODE = 0o600;
/** An Ed25519 key in libp2p's protobuf envelope is 68 bytes; anything much larger is not one. */
const NODE_KEY_SIZE_BYTES_MAX = 1024;

/**
 * The node's libp2p (Ed25519) key from `path`, created there (mode 0600, written atomically)
 * if the file does not exist. Its PeerId must stay stable across restarts: peers dial it by
 * `/p2p/<PeerId>` and qstp checks that the PeerId dialled is the one that answers.
 * @throws GhostmeshError P2P_NODE_KEY_INVALID (not an Ed25519 key, or readable by others), P2P_NODE_KEY_IO_FAILED
 */
export async function loadOrCreateNodeKey(path: string): Promise<PrivateKey> {
  const existing = readNodeKeyFile(path);
  if (existing !== undefined) return decodeNodeKey(existing, path);
  const key = await generateKeyPair("Ed25519");
  try {
    writeNewFile(path, privateKeyToProtobuf(key));
  } catch (err) {
    // Another process created it first: use theirs, so both agree on one PeerId.
    if (errnoCode(err) === "EEXIST") return loadOrCreateNodeKey(path);
    throw p2pError("P2P_NODE_KEY_IO_FAILED", `cannot write the p2p node key ${path}: ${errorMessage(err)}`, { path }, err);
  }
  return key;
}

function readNodeKeyFile(path: string): Uint8Array | undefined {
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw p2pError("P2P_NODE_KEY_INVALID", `the p2p node key ${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`, { path, mode });
    }
    const bytes = readFileSync(path);
    if (bytes.byteLength > NODE_KEY_SIZE_BYTES_MAX) {
      throw p2pError("P2P_NODE_KEY_INVALID", `the p2p node key ${path} is ${bytes.byteLength} bytes, not a libp2p key`, { path, sizeBytes: bytes.byteLength });
    }
    return new Uint8Array(bytes);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    if (err instanceof Error && "code" in err && typeof err.code === "string" && err.code.startsWith("P2P_")) throw err;
    throw p2pError("P2P_NODE_KEY_IO_FAILED", `cannot read the p2p node key ${path}: ${errorMessage(err)}`, { path }, err);
  }
}

function decodeNodeKey(bytes: Uint8Array, path: string): PrivateKey {
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw p2pError("P2P_NODE_KEY_INVALID", `the p2p node key ${path} is not a libp2p private key: ${errorMessage(err)}`, { path }, err);
  }
  if (key.type !== "Ed25519") throw p2pError("P2P_NODE_KEY_INVALID", `the p2p node key ${path} is ${key.type}; Ghostmesh PeerIds are Ed25519`, { path, keyType: key.type });
  return key;
}

/** Temp file (0600, fsynced) linked into place: never a half-written key, never an overwrite. */
function writeNewFile(path: string, bytes: Uint8Array): void {
  const temporaryPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = openSync(temporaryPath, "wx", NODE_KEY_FILE_MODE);
    try {
      fchmodSync(fd, NODE_KEY_FILE_MODE);
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temporaryPath, path);
  } finally {
    try {
      unlinkSync(temporaryPath);
    } catch {
      // Already gone or never created; the error that matters is thrown above.
    }
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}
