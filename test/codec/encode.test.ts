import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeCanonical, encodeCanonical } from "../../src/codec/index.ts";
import { expectCodecError, hex, toHexString } from "./helpers.ts";

describe("codec: encodeCanonical: determinism", () => {
  test("map key order does not depend on insertion order", () => {
    const first = encodeCanonical({ b: 1, a: 2, c: { y: true, x: null } });
    const second = encodeCanonical({ c: { x: null, y: true }, a: 2, b: 1 });
    assert.deepEqual(first, second);
    assert.equal(toHexString(first), "a36161026162016163a26178f66179f5");
  });

  test("shorter keys sort first, equal-length keys bytewise (RFC 8949 §4.2.1 order of encoded keys)", () => {
    assert.equal(toHexString(encodeCanonical({ aa: 1, b: 2 })), "a261620262616101");
    assert.equal(toHexString(encodeCanonical({ b: 1, a: 2 })), "a2616102616201");
  });

  test("non-ASCII keys sort by their encoded UTF-8 bytes, not by UTF-16 code units", () => {
    // UTF-16 order would be ab, a\uFF00, z, é, \u{10000}, \uFF00. The encoded keys are
    // 617a < 626162 < 62c3a9 < 63efbc80 < 6461efbc80 < 64f0908080.
    const value = { "\u{10000}": 1, "a\uFF00": 2, "\uFF00": 3, "é": 4, ab: 5, z: 6 };
    const expected = "a6" + "617a06" + "62616205" + "62c3a904" + "63efbc8003" + "6461efbc8002" + "64f090808001";
    assert.equal(toHexString(encodeCanonical(value)), expected);
  });

  test("integers use the shortest head", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [23, "17"],
      [24, "1818"],
      [255, "18ff"],
      [256, "190100"],
      [65535, "19ffff"],
      [65536, "1a00010000"],
      [2 ** 32 - 1, "1affffffff"],
      [2 ** 32, "1b0000000100000000"],
      [Number.MAX_SAFE_INTEGER, "1b001fffffffffffff"],
      [-1, "20"],
      [-24, "37"],
      [-25, "3818"],
      [-256, "38ff"],
      [-257, "390100"],
      [Number.MIN_SAFE_INTEGER, "3b001ffffffffffffe"],
    ];
    for (const [value, expected] of cases) assert.equal(toHexString(encodeCanonical(value)), expected, `${value}`);
  });

  test("string, byte string and array lengths use the shortest head", () => {
    assert.equal(toHexString(encodeCanonical("a".repeat(23))).slice(0, 2), "77");
    assert.equal(toHexString(encodeCanonical("a".repeat(24))).slice(0, 4), "7818");
    assert.equal(toHexString(encodeCanonical(new Uint8Array(256))).slice(0, 6), "590100");
    assert.equal(toHexString(encodeCanonical(new Array<number>(24).fill(0))).slice(0, 4), "9818");
  });

  test("floats use the shortest width that keeps the value; -0 encodes as integer 0", () => {
    assert.equal(toHexString(encodeCanonical(1.5)), "f93e00");
    assert.equal(toHexString(encodeCanonical(1.1)), "fb3ff199999999999a");
    assert.equal(toHexString(encodeCanonical(100000.5)), "fa47c35040");
    assert.equal(toHexString(encodeCanonical(-0)), "00");
  });

  test("properties whose value is undefined are omitted", () => {
    assert.deepEqual(encodeCanonical({ a: 1, fee: undefined }), encodeCanonical({ a: 1 }));
  });

  test("Buffer, null-prototype objects and an own __proto__ key encode like their plain forms", () => {
    assert.deepEqual(encodeCanonical(Buffer.from([1, 2])), hex("420102"));
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    assert.deepEqual(encodeCanonical(bare), hex("a1616101"));
    const withProtoKey: unknown = JSON.parse('{"__proto__": 1}');
    assert.equal(toHexString(encodeCanonical(withProtoKey)), "a1695f5f70726f746f5f5f01");
  });

  test("keys named like Object.prototype members encode and decode as ordinary keys", () => {
    const value = { constructor: 1, toString: "x", hasOwnProperty: [true] };
    assert.deepEqual(decodeCanonical(encodeCanonical(value)), value);
  });

  test("a transaction-shaped object encodes to fixed golden bytes (guards cborg upgrades)", () => {
    const tx = { chainId: "gm-1", nonce: 300, from: new Uint8Array([1, 2]), body: { ratio: 0.5, tags: ["a"], none: null } };
    assert.equal(
      toHexString(encodeCanonical(tx)),
      "a4" +
        ("64626f6479" + "a3" + "646e6f6e65f6" + "6474616773816161" + "65726174696ff93800") + // body: none, tags, ratio
        "6466726f6d420102" + // from
        "656e6f6e636519012c" + // nonce: 300
        "67636861696e496464676d2d31", // chainId

    );
  });

  test("each call returns its own buffer", () => {
    const first = encodeCanonical([1, 2, 3]);
    const second = encodeCanonical([1, 2, 3]);
    first[0] = 0;
    assert.equal(second[0], 0x83);
  });
});

describe("codec: encodeCanonical: values outside the data model", () => {
  test("undefined array elements are refused, naming the index", () => {
    expectCodecError(() => encodeCanonical({ list: [1, undefined] }, "tx"), "CODEC_UNENCODABLE", "tx.list[1]: cannot encode");
  });

  test("bigint, NaN, Infinity and unsafe integers are refused, naming the field", () => {
    const err = expectCodecError(() => encodeCanonical({ amount: 10n }, "tx"), "CODEC_UNENCODABLE", "tx.amount:");
    assert.equal(err.meta["got"], "bigint");
    expectCodecError(() => encodeCanonical({ a: { b: NaN } }), "CODEC_UNENCODABLE", "value.a.b: cannot encode");
    expectCodecError(() => encodeCanonical([Infinity]), "CODEC_UNENCODABLE", "value[0]");
    expectCodecError(() => encodeCanonical(2 ** 53), "CODEC_UNENCODABLE", "got 9007199254740992");
    expectCodecError(() => encodeCanonical(-(2 ** 53)), "CODEC_UNENCODABLE");
    expectCodecError(() => encodeCanonical(1e300), "CODEC_UNENCODABLE");
  });

  test("functions, symbols, class instances and non-byte typed arrays are refused with their type", () => {
    expectCodecError(() => encodeCanonical({ f: () => 1 }), "CODEC_UNENCODABLE", "got function");
    expectCodecError(() => encodeCanonical({ s: Symbol("x") }), "CODEC_UNENCODABLE", "got symbol");
    expectCodecError(() => encodeCanonical({ when: new Date(0) }), "CODEC_UNENCODABLE", "value.when: cannot encode");
    expectCodecError(() => encodeCanonical(new Map()), "CODEC_UNENCODABLE", "got Map");
    expectCodecError(() => encodeCanonical(new Set()), "CODEC_UNENCODABLE", "got Set");
    expectCodecError(() => encodeCanonical(new Uint16Array(2)), "CODEC_UNENCODABLE", "got Uint16Array");
    class Point {
      x = 1;
    }
    expectCodecError(() => encodeCanonical(new Point()), "CODEC_UNENCODABLE", "got Point");
    expectCodecError(() => encodeCanonical(undefined), "CODEC_UNENCODABLE", "got undefined");
  });

  test("strings and keys with lone surrogates are refused (they have no UTF-8 form)", () => {
    expectCodecError(() => encodeCanonical({ name: "a\ud800" }), "CODEC_UNENCODABLE", "value.name: cannot encode");
    expectCodecError(() => encodeCanonical({ ["k\udc00"]: 1 }), "CODEC_UNENCODABLE", "lone surrogate");
    expectCodecError(() => encodeCanonical("x".repeat(100) + "\ud800"), "CODEC_UNENCODABLE", "lone surrogate");
  });

  test("nesting up to 32 levels encodes; 33 levels and cycles are refused", () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : [nest(levels - 1)]);
    assert.equal(encodeCanonical(nest(32)).byteLength, 33);
    expectCodecError(() => encodeCanonical(nest(33)), "CODEC_UNENCODABLE", "nesting at most 32 deep");
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expectCodecError(() => encodeCanonical(cyclic), "CODEC_UNENCODABLE", "value.self.self");
  });

  test("odd keys in paths are quoted", () => {
    expectCodecError(() => encodeCanonical({ "my key": [undefined] }), "CODEC_UNENCODABLE", 'value["my key"][0]');
  });
});

describe("codec: encodeCanonical and decodeCanonical agree", () => {
  test("a transaction-like object round-trips to equal bytes", () => {
    const tx = {
      chainId: "ghostmesh-devnet",
      from: new Uint8Array(20).fill(7),
      nonce: 12345,
      body: { record: { action: "deploy", data: { ratio: 0.25, tags: ["a", "b"], ok: true, none: null } } },
    };
    const bytes = encodeCanonical(tx);
    const decoded = decodeCanonical(bytes);
    assert.deepEqual(decoded, tx);
    assert.deepEqual(encodeCanonical(decoded), bytes);
  });
});
