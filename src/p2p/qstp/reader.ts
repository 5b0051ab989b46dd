import { qstpError } from "./errors.ts";

/**
 * Bounds-checked reads over one handshake message. Every read that would run past the end
 * throws P2P_HANDSHAKE_MALFORMED, so hostile input never reaches an out-of-range subarray.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #what: string;
  #offset = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get remainingBytes(): number {
    return this.#bytes.byteLength - this.#offset;
  }

  u8(field: string): number {
    return this.bytes(1, field)[0] as number;
  }

  u16(field: string): number {
    const two = this.bytes(2, field);
    return ((two[0] as number) << 8) | (two[1] as number);
  }

  bytes(sizeBytes: number, field: string): Uint8Array {
    if (sizeBytes > this.remainingBytes) {
      throw qstpError("P2P_HANDSHAKE_MALFORMED", `${this.#what}: ${field} needs ${sizeBytes} bytes, only ${this.remainingBytes} left`, {
        field,
        sizeBytes,
        remainingBytes: this.remainingBytes,
      });
    }
    const out = this.#bytes.subarray(this.#offset, this.#offset + sizeBytes);
    this.#offset += sizeBytes;
    return out;
  }

  /** A u16 length then that many bytes, refused above `sizeBytesMax`. */
  lengthPrefixed(sizeBytesMax: number, field: string): Uint8Array {
    const sizeBytes = this.u16(field);
    if (sizeBytes > sizeBytesMax) {
      throw qstpError("P2P_HANDSHAKE_MALFORMED", `${this.#what}: ${field} is ${sizeBytes} bytes, at most ${sizeBytesMax} allowed`, {
        field,
        sizeBytes,
        sizeBytesMax,
      });
    }
    return this.bytes(sizeBytes, field);
  }

  rest(): Uint8Array {
    return this.bytes(this.remainingBytes, "rest");
  }

  end(): void {
    if (this.remainingBytes !== 0) {
      throw qstpError("P2P_HANDSHAKE_MALFORMED", `${this.#what}: ${this.remainingBytes} unexpected trailing bytes`, {
        trailingBytes: this.remainingBytes,
      });
    }
  }
}

export function u16Bytes(value: number): Uint8Array {
  return new Uint8Array([(value >>> 8) & 0xff, value & 0xff]);
}
