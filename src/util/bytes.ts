/** Byte helpers shared by every module. Hex is lowercase, without 0x. */

const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Returns undefined for anything that is not lowercase or uppercase even-length hex. */
export function fromHexOrUndefined(hex: string): Uint8Array | undefined {
  const lower = hex.toLowerCase();
  if (!HEX_PATTERN.test(lower)) return undefined;
  return new Uint8Array(Buffer.from(lower, "hex"));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Above this length the native compare beats a JS loop, despite wrapping both arrays. */
const NATIVE_COMPARE_BYTES_MIN = 64;

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  if (a.byteLength >= NATIVE_COMPARE_BYTES_MIN) {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Lexicographic order of byte strings; used wherever the core needs a deterministic order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Whether `needle` occurs in `haystack` as a contiguous run of bytes. */
export function bytesContain(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}
