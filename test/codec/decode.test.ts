import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeCanonical, encodeCanonical } from "../../src/codec/index.ts";
import type { CborValue } from "../../src/codec/index.ts";
import { expectCodecError, hex, toHexString } from "./helpers.ts";

/** RFC 8949 Appendix A examples that are already in deterministic form and in our data model. */
const APPENDIX_A_CANONICAL: readonly [string, CborValue][] = [
  ["00", 0],
  ["01", 1],
  ["0a", 10],
  ["17", 23],
  ["1818", 24],
  ["1819", 25],
  ["1864", 100],
  ["1903e8", 1000],
  ["1a000f4240", 1000000],
  ["1b000000e8d4a51000", 1000000000000],
  ["20", -1],
  ["29", -10],
  ["3863", -100],
  ["3903e7", -1000],
  ["fb3ff199999999999a", 1.1],
  ["f93e00", 1.5],
  ["f90001", 5.960464477539063e-8],
  ["f90400", 0.00006103515625],
  ["fbc010666666666666", -4.1],
  ["f4", false],
  ["f5", true],
  ["f6", null],
  ["40", new Uint8Array(0)],
  ["4401020304", new Uint8Array([1, 2, 3, 4])],
  ["60", ""],
  ["6161", "a"],
  ["6449455446", "IETF"],
  ["62225c", '"\\'],
  ["62c3bc", "\u00fc"],
  ["63e6b0b4", "\u6c34"],
  ["64f0908591", "\ud800\udd51"],
  ["80", []],
  ["83010203", [1, 2, 3]],
  ["8301820203820405", [1, [2, 3], [4, 5]]],
  ["98190102030405060708090a0b0c0d0e0f101112131415161718181819", Array.from({ length: 25 }, (_, i) => i + 1)],
  ["a0", {}],
  ["a26161016162820203", { a: 1, b: [2, 3] }],
  ["826161a161626163", ["a", { b: "c" }]],
  ["a56161614161626142616361436164614461656145", { a: "A", b: "B", c: "C", d: "D", e: "E" }],
];

describe("codec: decodeCanonical: RFC 8949 Appendix A", () => {
  test("deterministic examples decode to their values and re-encode to the same bytes", () => {
    for (const [encoded, expected] of APPENDIX_A_CANONICAL) {
      const decoded = decodeCanonical(hex(encoded));
      assert.deepEqual(decoded, expected, encoded);
      assert.equal(toHexString(encodeCanonical(expected)), encoded, `encode ${encoded}`);
    }
  });

  test("examples that are valid CBOR but not canonical are refused as not canonical", () => {
    const notCanonical = [
      "f90000", // 0.0: integral values must be integers
      "f98000", // -0.0
      "f93c00", // 1.0
      "f97bff", // 65504.0
      "fa47c35000", // 100000.0
      "5f42010243030405ff",
      "7f657374726561646d696e67ff",
      "9fff",
      "9f018202039f0405ffff",
      "9f01820203820405ff",
      "83018202039f0405ff",
      "83019f0203ff820405",
      "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
      "bf61610161629f0203ffff",
      "826161bf61626163ff",
      "bf6346756ef563416d7421ff",
    ];
    for (const encoded of notCanonical) expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_NOT_CANONICAL");
  });

  test("examples outside the data model are refused as malformed", () => {
    const outside = [
      "1bffffffffffffffff", // 2^64-1: beyond 2^53-1
      "c249010000000000000000", // bignum tag
      "3bffffffffffffffff",
      "fb7e37e43c8800759c", // 1.0e+300: an integer beyond 2^53-1
      "fa7f7fffff", // 3.4028234663852886e+38, likewise
      "f97c00", // Infinity
      "f97e00", // NaN
      "f9fc00", // -Infinity
      "fa7f800000",
      "fb7ff8000000000000",
      "f7", // undefined
      "f0", // simple(16)
      "f8ff", // simple(255)
      "c074323031332d30332d32315432303a30343a30305a", // tag 0
      "d74401020304", // tag 23
      "d818456449455446", // tag 24
      "a201020304", // integer map keys
    ];
    for (const encoded of outside) expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_MALFORMED");
  });
});

describe("codec: decodeCanonical: non-canonical forms", () => {
  test("integers and lengths not in their shortest head are refused with the offset", () => {
    const cases = ["1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "3817", "580100", "780161", "98010100".slice(0, 6), "b80161610100".slice(0, 10)];
    for (const encoded of cases) {
      const err = expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_NOT_CANONICAL", "shortest form");
      assert.equal(err.meta["offset"], 0);
    }
    const nested = expectCodecError(() => decodeCanonical(hex("82011817")), "CODEC_NOT_CANONICAL");
    assert.equal(nested.meta["offset"], 2);
  });

  test("floats wider than needed are refused; a truncated float is malformed", () => {
    expectCodecError(() => decodeCanonical(hex("fb3ff8000000000000")), "CODEC_NOT_CANONICAL", "float 1.5");
    expectCodecError(() => decodeCanonical(hex("fa3fc00000")), "CODEC_NOT_CANONICAL", "shortest form");
    expectCodecError(() => decodeCanonical(hex("fb3ff199999999999a").subarray(0, 8)), "CODEC_MALFORMED", "end of input");
  });

  test("unsorted map keys are refused, including longer-before-shorter", () => {
    const err = expectCodecError(() => decodeCanonical(hex("a2616201616102")), "CODEC_NOT_CANONICAL", 'map key "a"');
    assert.equal(err.meta["offset"], 4);
    expectCodecError(() => decodeCanonical(hex("a262616101616202")), "CODEC_NOT_CANONICAL", "out of canonical");
  });

  test("duplicate map keys are refused", () => {
    expectCodecError(() => decodeCanonical(hex("a2616101616102")), "CODEC_NOT_CANONICAL", 'duplicate map key "a"');
    expectCodecError(() => decodeCanonical(hex("81a2616101616102")), "CODEC_NOT_CANONICAL", "duplicate");
  });

  test("key order is checked per map, not across nested maps", () => {
    // {"b": {"a": 1}, "c": {"a": 2}}: the inner "a" keys must not be compared to "b"/"c"
    const bytes = encodeCanonical({ b: { a: 1 }, c: { a: 2 } });
    assert.deepEqual(decodeCanonical(bytes), { b: { a: 1 }, c: { a: 2 } });
  });
});

describe("codec: decodeCanonical: float16 subnormals", () => {
  test("subnormal halves with several significant bits use cborg's float32 form, and the float16 form is refused", () => {
    // RFC 8949 would pick f90003 here; cborg's encoder picks float32. The decoder follows
    // the encoder so the two never disagree (see src/codec/README.md).
    const value = 3 * 2 ** -24;
    assert.equal(toHexString(encodeCanonical(value)), "fa34400000");
    assert.equal(decodeCanonical(hex("fa34400000")), value);
    expectCodecError(() => decodeCanonical(hex("f90003")), "CODEC_NOT_CANONICAL", "shortest form");
  });
});

describe("codec: decodeCanonical: malformed input", () => {
  test("empty, truncated and trailing input is refused with the offset", () => {
    expectCodecError(() => decodeCanonical(new Uint8Array(0)), "CODEC_MALFORMED", "end of input");
    for (const encoded of ["19", "1901", "6261", "820102".slice(0, 4), "a16161", "8282010203".slice(0, 8), "fa3fc0"]) {
      expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_MALFORMED");
    }
    const trailing = expectCodecError(() => decodeCanonical(hex("0000")), "CODEC_MALFORMED", "trailing");
    assert.equal(trailing.meta["offset"], 1);
  });

  test("reserved additional information and stray break codes are refused", () => {
    for (const encoded of ["1c", "3d", "5e", "7c", "9d", "be", "dc", "fc", "fd", "fe", "ff", "1f", "3f", "df"]) {
      expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_MALFORMED");
    }
  });

  test("invalid UTF-8 in text strings is refused", () => {
    for (const encoded of ["61ff", "62c328", "63eda080", "64f8888080", "62c0af"]) {
      expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_MALFORMED", "UTF-8");
    }
    const long = "78" + "28" + "61".repeat(39) + "ff";
    expectCodecError(() => decodeCanonical(hex(long)), "CODEC_MALFORMED", "UTF-8");
  });

  test("map keys that are not text strings are refused", () => {
    for (const encoded of ["a10102", "a14001", "a18001", "a1a001", "a1f501"]) {
      expectCodecError(() => decodeCanonical(hex(encoded)), "CODEC_MALFORMED", "map keys must be text strings");
    }
  });

  test("integers beyond 2^53-1 are refused; the safe extremes decode", () => {
    assert.equal(decodeCanonical(hex("1b001fffffffffffff")), Number.MAX_SAFE_INTEGER);
    assert.equal(decodeCanonical(hex("3b001ffffffffffffe")), Number.MIN_SAFE_INTEGER);
    expectCodecError(() => decodeCanonical(hex("1b0020000000000000")), "CODEC_MALFORMED", "safe range");
    expectCodecError(() => decodeCanonical(hex("3b001fffffffffffff")), "CODEC_MALFORMED", "safe range");
  });

  test("lengths larger than the remaining input are refused before any allocation", () => {
    expectCodecError(() => decodeCanonical(hex("9affffffff00")), "CODEC_MALFORMED", "declares 4294967295 items");
    expectCodecError(() => decodeCanonical(hex("5affffffff00")), "CODEC_MALFORMED", "declares 4294967295 bytes");
    expectCodecError(() => decodeCanonical(hex("bb0000000100000000")), "CODEC_MALFORMED", "declares");
    expectCodecError(() => decodeCanonical(hex("7bffffffffffffffff")), "CODEC_MALFORMED");
  });

  test("non-byte input is refused with a codec error", () => {
    expectCodecError(() => decodeCanonical("00" as unknown as Uint8Array), "CODEC_MALFORMED");
  });
});

describe("codec: decodeCanonical: limits", () => {
  test("inputs over maxBytes are refused with their size", () => {
    const bytes = encodeCanonical("x".repeat(20));
    assert.equal(decodeCanonical(bytes, { maxBytes: bytes.byteLength }), "x".repeat(20));
    const err = expectCodecError(() => decodeCanonical(bytes, { maxBytes: bytes.byteLength - 1 }), "CODEC_TOO_LARGE");
    assert.deepEqual(err.meta, { sizeBytes: 21, sizeBytesMax: 20 });
  });

  test("the default maxBytes is 4 MiB", () => {
    const big = new Uint8Array(4 * 1024 * 1024 + 1);
    expectCodecError(() => decodeCanonical(big), "CODEC_TOO_LARGE", "4194304");
  });

  test("nesting up to maxDepth decodes; one more level is refused, empty containers included", () => {
    assert.deepEqual(decodeCanonical(hex("818101"), { maxDepth: 2 }), [[1]]);
    const err = expectCodecError(() => decodeCanonical(hex("81818101"), { maxDepth: 2 }), "CODEC_TOO_DEEP");
    assert.deepEqual(err.meta, { offset: 2, depthMax: 2 });
    expectCodecError(() => decodeCanonical(hex("818180"), { maxDepth: 2 }), "CODEC_TOO_DEEP");
    expectCodecError(() => decodeCanonical(hex("81a0"), { maxDepth: 1 }), "CODEC_TOO_DEEP");
    assert.equal(decodeCanonical(hex("01"), { maxDepth: 0 }), 1);
    expectCodecError(() => decodeCanonical(hex("80"), { maxDepth: 0 }), "CODEC_TOO_DEEP");
  });

  test("the default maxDepth is 32, and a deeply nested attack input fails fast", () => {
    const nested = (levels: number): Uint8Array => new Uint8Array([...new Array<number>(levels).fill(0x81), 0x01]);
    assert.ok(Array.isArray(decodeCanonical(nested(32))));
    expectCodecError(() => decodeCanonical(nested(33)), "CODEC_TOO_DEEP");
    expectCodecError(() => decodeCanonical(nested(1_000_000)), "CODEC_TOO_DEEP");
  });

  test("sibling containers do not add up to depth", () => {
    // [[1], [2], [[3]]] has depth 3 even though it holds four inner arrays.
    assert.deepEqual(decodeCanonical(encodeCanonical([[1], [2], [[3]]]), { maxDepth: 3 }), [[1], [2], [[3]]]);
  });
});

describe("codec: decodeCanonical: values", () => {
  test("byte strings are copies, not views into the input (also for Buffer input)", () => {
    const input = Buffer.from("a1616142beef", "hex");
    const decoded = decodeCanonical(input) as { a: Uint8Array };
    input[4] = 0;
    assert.deepEqual(decoded.a, new Uint8Array([0xbe, 0xef]));
    assert.equal(decoded.a.constructor, Uint8Array);
  });

  test("a leading U+FEFF and a literal U+FFFD in strings survive the round trip", () => {
    for (const text of ["\ufeffabc", "a\ufffdb", "\ufeff" + "é".repeat(40)]) {
      const bytes = encodeCanonical(text);
      assert.equal(decodeCanonical(bytes), text);
    }
  });

  test("a __proto__ key decodes as an own property, leaving the prototype alone", () => {
    const decoded = decodeCanonical(encodeCanonical(JSON.parse('{"__proto__": {"polluted": 1}}'))) as Record<string, unknown>;
    assert.ok(Object.hasOwn(decoded, "__proto__"));
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal((decoded as { polluted?: unknown }).polluted, undefined);
  });
});
