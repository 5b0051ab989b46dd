import { Token, Tokenizer, Type, encode } from "cborg";
import type { DecodeOptions } from "cborg";
import { decodeError } from "./errors.ts";
import { checkHead, headLengthBytes, malformed, notCanonical } from "./head.ts";

const EMPTY = new Uint8Array(0);

/** Fatal: invalid UTF-8 throws. ignoreBOM: a leading U+FEFF is content, not a marker to drop. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Marks a container that is an array; maps hold the offset of their previous key instead. */
const ARRAY_MARK = -1;
/** A map before its first key. */
const NO_KEY_YET = -2;

/**
 * cborg tokenizer that admits only canonical CBOR of the Ghostmesh data model. cborg
 * builds the values; this class sees every token first and enforces what cborg cannot:
 * head rules (head.ts), nesting depth, map keys that are text strings in strictly
 * increasing bytewise order (RFC 8949 §4.2.1; equal keys are duplicates), floats that are
 * finite, non-integral and in the shortest width, and strictly valid UTF-8.
 *
 * One instance is reused by `decodeCanonical` (reset per call): decoding is synchronous
 * and runs no user code, so it cannot re-enter.
 */
export class CanonicalTokenizer extends Tokenizer {
  private depthMax = 0;
  /** Open containers, innermost at `top`: items still expected (a map entry counts 2). */
  private readonly remaining: number[] = [];
  /** ARRAY_MARK, NO_KEY_YET, or the offset where the map's previous key starts. */
  private readonly keyStart: number[] = [];
  private readonly keyEnd: number[] = [];
  private top = -1;

  constructor(options: DecodeOptions) {
    super(EMPTY, options);
  }

  reset(data: Uint8Array, depthMax: number): void {
    this.data = data;
    this._pos = 0;
    this.top = -1;
    this.depthMax = depthMax;
  }

  /** Drops the reference to the input so a large buffer is not kept alive. */
  release(): void {
    this.data = EMPTY;
    this._pos = 0;
  }

  override next(): Token {
    const start = this._pos;
    checkHead(this.data, start);
    const token = super.next();
    this.place(token, start);
    if (token.type === Type.float) checkFloat(token, start);
    else if (token.type === Type.string) return checkString(this.data, token, start, this._pos);
    return token;
  }

  /** Counts the token against its parent container and opens a container if it is one. */
  private place(token: Token, start: number): void {
    let top = this.top;
    while (top >= 0 && this.remaining[top] === 0) top--;
    if (top >= 0) {
      const remaining = this.remaining[top] as number;
      if (this.keyStart[top] !== ARRAY_MARK && remaining % 2 === 0) this.checkKey(token, start, top);
      this.remaining[top] = remaining - 1;
    }
    const type = token.type;
    if (type === Type.array || type === Type.map) {
      if (top + 2 > this.depthMax) {
        throw decodeError(
          "CODEC_TOO_DEEP",
          `CBOR nests deeper than ${this.depthMax} levels at offset ${start}`,
          { offset: start, depthMax: this.depthMax },
        );
      }
      const count = token.value as number;
      if (count > 0) {
        top++;
        this.remaining[top] = type === Type.map ? count * 2 : count;
        this.keyStart[top] = type === Type.map ? NO_KEY_YET : ARRAY_MARK;
        this.keyEnd[top] = 0;
      }
    }
    this.top = top;
  }

  private checkKey(token: Token, start: number, top: number): void {
    if (token.type !== Type.string) throw malformed("map keys must be text strings", start);
    const end = this._pos;
    const previousStart = this.keyStart[top] as number;
    if (previousStart >= 0) {
      const order = compareRanges(this.data, previousStart, this.keyEnd[top] as number, start, end);
      if (order === 0) throw notCanonical(`duplicate map key ${JSON.stringify(token.value)}`, start);
      if (order > 0) {
        throw notCanonical(`map key ${JSON.stringify(token.value)} is out of canonical (bytewise) order`, start);
      }
    }
    this.keyStart[top] = start;
    this.keyEnd[top] = end;
  }
}

/** Bytewise lexicographic order of data[aStart, aEnd) and data[bStart, bEnd). Shared with direct.ts. */
export function compareRanges(data: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < length; i++) {
    const d = (data[aStart + i] as number) - (data[bStart + i] as number);
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

function checkFloat(token: Token, start: number): void {
  const value = token.value as number;
  if (!Number.isFinite(value)) throw malformed("NaN and Infinity are not supported", start);
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) throw malformed("integer outside the safe range |n| <= 2^53-1", start);
    // Includes -0: the encoder writes every integral number (and -0 as 0) as an integer.
    throw notCanonical(`integral number ${value} must be encoded as an integer, not a float`, start);
  }
  // The encoder's own choice is the reference, so decode and encode cannot disagree.
  if (encode(value).byteLength !== token.encodedLength) {
    throw notCanonical(`float ${value} is not encoded in its shortest form`, start);
  }
}

/**
 * cborg decodes text leniently (invalid UTF-8 becomes U+FFFD, a leading BOM is dropped),
 * which would let several byte strings decode to one value. Any string showing either sign
 * is decoded again strictly; the common case costs one scan.
 */
function checkString(data: Uint8Array, token: Token, start: number, end: number): Token {
  const text = token.value as string;
  const payloadStart = start + headLengthBytes(data[start] as number);
  const hasBom = end - payloadStart >= 3 && data[payloadStart] === 0xef && data[payloadStart + 1] === 0xbb && data[payloadStart + 2] === 0xbf;
  if (!hasBom && !text.includes("\uFFFD")) return token;
  let strict: string;
  try {
    strict = STRICT_UTF8.decode(data.subarray(payloadStart, end));
  } catch {
    throw malformed("text string is not valid UTF-8", start);
  }
  return strict === text ? token : new Token(Type.string, strict, token.encodedLength);
}
