/** How libp2p's stream utilities say what went wrong, by error name (their classes are not all exported). */

/** lpStream buffers the whole frame; its buffer must hold the largest frame plus its varint. */
export const VARINT_SIZE_BYTES_MAX = 10;

/** A frame whose varint length is over the reader's limit (checked before the body is read). */
export function isFrameTooLongError(err: unknown): boolean {
  return err instanceof Error && err.name === "InvalidDataLengthError";
}

/** More bytes arrived than the read buffer holds. */
export function isReadBufferOverflowError(err: unknown): boolean {
  return err instanceof Error && err.name === "StreamBufferError";
}

/** multistream-select found no protocol both ends speak. */
export function isUnsupportedProtocolError(err: unknown): boolean {
  return err instanceof Error && err.name === "UnsupportedProtocolError";
}
