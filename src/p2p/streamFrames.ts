/**
 * Length-prefixed frames on libp2p streams: the one way this host reads them
 * (`boundedLpStream`), and how libp2p's stream utilities say what went wrong, by error name
 * (their classes are not all exported).
 */
import type { Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";

/** lpStream buffers the whole frame; its buffer must hold the largest frame plus its varint. */
const VARINT_SIZE_BYTES_MAX = 10;

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

/** Bytes a frame's length may take: 8 varint bytes carry 56 bits, more than any safe integer. */
const FRAME_LENGTH_BYTES_MAX = 8;

/** A frame length that never ends (continuation bits past FRAME_LENGTH_BYTES_MAX bytes). */
export class FrameLengthMalformedError extends Error {
  override readonly name = "FrameLengthMalformedError";
}

export function isFrameLengthMalformedError(err: unknown): boolean {
  return err instanceof Error && err.name === "FrameLengthMalformedError";
}

/**
 * The varint length of a frame, for lpStream's `lengthDecoder`. lpStream's own decoder keeps
 * reading while a varint is incomplete and checks its length limit only once one decodes, so a
 * peer sending continuation bytes (0xff 0xff ...) held the reader forever, its buffer growing
 * and each byte decoding it again. A RangeError asks lpStream for another byte; past the bound
 * the frame is malformed.
 */
export function decodeFrameLength(data: { readonly byteLength: number; get(index: number): number }): number {
  let length = 0;
  for (let i = 0; i < Math.min(data.byteLength, FRAME_LENGTH_BYTES_MAX); i++) {
    const byte = data.get(i);
    length += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return length;
  }
  if (data.byteLength >= FRAME_LENGTH_BYTES_MAX) throw new FrameLengthMalformedError(`a frame length longer than ${FRAME_LENGTH_BYTES_MAX} bytes`);
  throw new RangeError("the frame length needs another byte");
}

/**
 * lpStream reading frames of at most `frameSizeBytesMax` bytes: the length is checked before the
 * body is read and decoded by `decodeFrameLength`, and the read buffer holds one largest frame
 * plus `readAheadBytes` (what may arrive before the reader pauses).
 */
export function boundedLpStream(stream: Stream, frameSizeBytesMax: number, readAheadBytes = 0): ReturnType<typeof lpStream<Stream>> {
  return lpStream(stream, { maxDataLength: frameSizeBytesMax, maxBufferSize: frameSizeBytesMax + VARINT_SIZE_BYTES_MAX + readAheadBytes, lengthDecoder: decodeFrameLength });
}
