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

/**
 * A plain Uint8Array over the same memory when `bytes` spans its whole ArrayBuffer (node:crypto
 * gives each output its own, so nothing else can be read through `.buffer`); a copy when it
 * is a view into a larger one (Buffer.concat and Buffer.allocUnsafe below 4 KiB use a shared
 * pool). For handing fresh node:crypto output to callers without copying it again.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return new Uint8Array(bytes.buffer);
  return plainBytes(bytes);
}
