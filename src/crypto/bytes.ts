/**
 * node:crypto takes and returns Buffers; the rest of Ghostmesh speaks plain Uint8Array
 * (deepStrictEqual treats the two as different, and small Buffers may share an 8 KiB pool
 * whose `.buffer` would leak neighbouring bytes). These two helpers are the crossing.
 */

/** A Buffer view over the same memory, no copy: for handing our bytes to node:crypto. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy into a fresh, unpooled Uint8Array: for handing node:crypto output to callers. */
export function plainBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  return new Uint8Array(bytes instanceof ArrayBuffer ? bytes.slice(0) : bytes);
}
