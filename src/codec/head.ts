import { decodeError } from "./errors.ts";
import { countText } from "./path.ts";
import type { CodecDecodeError } from "./errors.ts";

/**
 * Checks the head (initial byte and argument) of the data item at `offset` before cborg
 * parses it, so every rejection gets the right code, a precise message and the offset,
 * without depending on cborg's error texts. Rejected here:
 * - reserved additional information (28-30), stray break codes, truncated heads;
 * - tags, `undefined`, simple values other than false/true/null (outside the data model);
 * - indefinite lengths and non-shortest arguments (not canonical, RFC 8949 §4.2.1);
 * - integers outside the safe range (|n| > 2^53-1);
 * - lengths and counts that cannot fit in the bytes left, so a 4-byte input cannot make
 *   the decoder loop for 2^32 items.
 */
export function checkHead(data: Uint8Array, offset: number): void {
  const initial = data[offset] as number;
  const major = initial >>> 5;
  const info = initial & 0x1f;
  if (major === 7) return checkMajor7(data, offset, initial);
  if (major === 6) throw malformed(`tags are not supported (tag found)`, offset);
  if (info < 24) return checkCount(data, offset, major, info, 1);
  if (info > 27) {
    if (info === 31 && major >= 2) {
      throw notCanonical("indefinite-length items are not allowed in canonical CBOR", offset);
    }
    throw malformed(`reserved additional information ${info} for major type ${major}`, offset);
  }
  const argumentBytes = 1 << (info - 24);
  if (offset + 1 + argumentBytes > data.length) throw endOfInput(data);
  const argument = readArgument(data, offset, info, major);
  checkCount(data, offset, major, argument, 1 + argumentBytes);
}

/** Length of the head of the item whose initial byte is `initial` (major types 0-5). */
export function headLengthBytes(initial: number): number {
  const info = initial & 0x1f;
  return info < 24 ? 1 : 1 + (1 << (info - 24));
}

const ARGUMENT_MINIMUM = [24, 0x100, 0x10000] as const;
/** High 32-bit word of Number.MAX_SAFE_INTEGER (2^53-1). */
const SAFE_HIGH_WORD_MAX = 0x1fffff;

function readArgument(data: Uint8Array, offset: number, info: number, major: number): number {
  if (info === 27) return readArgument64(data, offset, major);
  const at = offset + 1;
  let argument: number;
  if (info === 24) argument = data[at] as number;
  else if (info === 25) argument = ((data[at] as number) << 8) | (data[at + 1] as number);
  else argument = readUint32(data, at);
  if (argument < ARGUMENT_MINIMUM[info - 24]!) {
    throw notCanonical(`argument ${argument} is not encoded in its shortest form`, offset);
  }
  return argument;
}

function readArgument64(data: Uint8Array, offset: number, major: number): number {
  const high = readUint32(data, offset + 1);
  const low = readUint32(data, offset + 5);
  if (high === 0) throw notCanonical(`argument ${low} is not encoded in its shortest form`, offset);
  // -1 - n must stay >= -(2^53-1), so a negative integer's n may reach only 2^53-2.
  const unsafe = high > SAFE_HIGH_WORD_MAX || (major === 1 && high === SAFE_HIGH_WORD_MAX && low === 0xffffffff);
  if (unsafe) {
    if (major <= 1) throw malformed("integer outside the safe range |n| <= 2^53-1", offset);
    throw malformed("length larger than any supported input", offset);
  }
  return high * 0x100000000 + low;
}

function readUint32(data: Uint8Array, at: number): number {
  return (
    (data[at] as number) * 0x1000000 + (((data[at + 1] as number) << 16) | ((data[at + 2] as number) << 8) | (data[at + 3] as number))
  );
}

const COUNT_UNIT = ["byte", "byte", "byte", "byte", "item", "entry"] as const;
const COUNT_KIND = ["", "", "byte string", "text string", "array", "map"] as const;

/** Each array item takes at least 1 byte and each map entry at least 2. */
function checkCount(data: Uint8Array, offset: number, major: number, argument: number, headBytes: number): void {
  if (major < 2) return;
  const availableBytes = data.length - offset - headBytes;
  const neededBytes = major === 5 ? argument * 2 : argument;
  if (neededBytes <= availableBytes) return;
  throw malformed(
    `${COUNT_KIND[major]} declares ${countText(argument, COUNT_UNIT[major] ?? "byte")} but only ${countText(availableBytes, "byte")} remain`,
    offset,
  );
}

const FLOAT_HEAD_BYTES: Readonly<Record<number, number>> = { 0xf9: 3, 0xfa: 5, 0xfb: 9 };

function checkMajor7(data: Uint8Array, offset: number, initial: number): void {
  if (initial >= 0xf4 && initial <= 0xf6) return; // false, true, null
  const floatBytes = FLOAT_HEAD_BYTES[initial];
  if (floatBytes !== undefined) {
    if (offset + floatBytes > data.length) throw endOfInput(data);
    return; // value checks happen once cborg has read it (CanonicalTokenizer)
  }
  if (initial === 0xf7) throw malformed("undefined is not supported", offset);
  if (initial === 0xff) throw malformed("unexpected break code", offset);
  if (initial <= 0xf3 || initial === 0xf8) {
    throw malformed("simple values other than false, true and null are not supported", offset);
  }
  throw malformed(`reserved additional information ${initial & 0x1f} for major type 7`, offset);
}

export function malformed(reason: string, offset: number): CodecDecodeError {
  return decodeError("CODEC_MALFORMED", `malformed CBOR at offset ${offset}: ${reason}`, { offset });
}

export function notCanonical(reason: string, offset: number): CodecDecodeError {
  return decodeError("CODEC_NOT_CANONICAL", `non-canonical CBOR at offset ${offset}: ${reason}`, { offset });
}

export function endOfInput(data: Uint8Array): CodecDecodeError {
  return malformed("unexpected end of input", data.length);
}
