import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OwnTxHashes } from "../../../src/node/consensus/ownTxs.ts";

describe("a validator's own transactions (resent at view timeouts of a stalled chain)", () => {
  it("remembers each once, and forgets those the pool no longer holds", () => {
    const own = new OwnTxHashes(10);
    const pending = new Set(["a", "b", "c"]);
    for (const hash of ["a", "b", "c", "a"]) own.remember(hash, (h) => pending.has(h));
    assert.equal(own.size, 3);
    pending.delete("b");
    own.prune((h) => pending.has(h));
    assert.deepEqual([own.has("a"), own.has("b"), own.has("c")], [true, false, true]);
  });

  it("when full, forgets committed ones first, then the oldest pending one", () => {
    const own = new OwnTxHashes(3);
    const pending = new Set(["a", "b", "c", "d", "e"]);
    const isPending = (h: string) => pending.has(h);
    for (const hash of ["a", "b", "c"]) own.remember(hash, isPending);
    pending.delete("b");
    own.remember("d", isPending);
    assert.deepEqual(["a", "b", "c", "d"].map((h) => own.has(h)), [true, false, true, true], "the committed one made room");
    own.remember("e", isPending);
    assert.deepEqual(["a", "c", "d", "e"].map((h) => own.has(h)), [false, true, true, true], "then the oldest pending one");
    assert.equal(own.size, 3);
  });
});
