import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Uint8ArrayList } from "uint8arraylist";
import { decodeFrameLength, isFrameLengthMalformedError } from "../../src/p2p/streamFrames.ts";

/** Unsigned LEB128, as lpStream writes lengths. */
function encodeLength(length: number): Uint8Array {
  const bytes: number[] = [];
  let rest = length;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return Uint8Array.from(bytes);
}

/** What lpStream does: one byte at a time until the decoder stops asking for more. */
function feed(bytes: Uint8Array): number | "more" | "malformed" {
  const list = new Uint8ArrayList();
  for (const byte of bytes) {
    list.append(Uint8Array.of(byte));
    try {
      return decodeFrameLength(list);
    } catch (err) {
      if (err instanceof RangeError) continue;
      if (isFrameLengthMalformedError(err)) return "malformed";
      throw err;
    }
  }
  return "more";
}

describe("frame lengths (decodeFrameLength, lpStream's lengthDecoder)", () => {
  it("decodes every length up to 2^40 as lpStream encodes it, from exactly its own bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (length) => {
        const bytes = encodeLength(length);
        assert.equal(feed(bytes), length);
        assert.equal(decodeFrameLength(new Uint8ArrayList(bytes, Uint8Array.of(0xff, 0x01))), length, "bytes after the length are not read");
      }),
      { numRuns: 2000 },
    );
  });

  it("asks for more while a length is incomplete, and gives up after 8 continuation bytes", () => {
    assert.equal(feed(Uint8Array.of(0x80, 0x80)), "more");
    assert.equal(feed(new Uint8Array(7).fill(0xff)), "more");
    assert.equal(feed(new Uint8Array(8).fill(0xff)), "malformed");
    assert.equal(feed(new Uint8Array(100_000).fill(0xff)), "malformed", "a peer's endless varint ends after 8 bytes");
  });

  it("any bytes end in a length, a request for more, or malformed: never anything else (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
        const outcome = feed(bytes);
        assert.ok(outcome === "more" || outcome === "malformed" || (Number.isInteger(outcome) && outcome >= 0));
      }),
      { numRuns: 3000 },
    );
  });
});
