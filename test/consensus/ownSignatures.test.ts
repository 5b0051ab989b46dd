import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { OWN_SIGNATURE_VIEWS, OwnSignatures } from "../../src/consensus/ownSignatures.ts";

function signature(tag: number): Uint8Array {
  return new Uint8Array(8).fill(tag);
}

test("own signatures: above the persisted mark is ahead; in a recorded view, a signature not made here is beside", () => {
  const own = new OwnSignatures(4);
  own.record(5, signature(1));
  own.record(5, signature(2));
  assert.equal(own.verdict(5, signature(1), 5), "own");
  assert.equal(own.verdict(5, signature(2), 5), "own");
  assert.equal(own.verdict(5, signature(3), 5), "beside");
  assert.equal(own.verdict(6, signature(1), 5), "ahead", "no view above lastVotedView was signed here");
  assert.equal(own.verdict(4, signature(3), 5), "own", "at or below the mark the engine started from: not judged");
  own.record(3, signature(4));
  assert.equal(own.verdict(3, signature(9), 5), "own", "a re-timeout below the start mark is not recorded, and its view not judged");
});

test("own signatures: below the mark, a view this engine did not sign in is apart; one it is signing in is beside before the signature exists", () => {
  const own = new OwnSignatures(4);
  own.record(5, signature(1));
  assert.equal(own.verdict(7, signature(3), 9), "apart", "the mark rose to 9 without a signature in view 7 (a quarantine)");
  own.signingIn(8);
  assert.equal(own.verdict(8, signature(3), 9), "beside", "asked for a signature in view 8: another one there conflicts with it");
  own.record(8, signature(2));
  assert.equal(own.verdict(8, signature(2), 9), "own");
  own.signingIn(5);
  assert.equal(own.verdict(5, signature(1), 9), "own", "marking a view again keeps what it recorded");
  own.signingIn(4);
  assert.equal(own.verdict(4, signature(3), 9), "own", "at or below the start mark: never judged");
});

test("own signatures: pruned views are no longer judged, and the record stays bounded", () => {
  const own = new OwnSignatures(0);
  for (let view = 1; view <= 100; view++) {
    own.record(view, signature(view));
    own.prune(view);
  }
  assert.equal(own.verdict(100, signature(0), 100), "beside");
  assert.equal(own.verdict(100 - OWN_SIGNATURE_VIEWS, signature(0), 100), "beside", "the oldest kept view");
  assert.equal(own.verdict(99 - OWN_SIGNATURE_VIEWS, signature(0), 100), "own", "pruned: not judged");
  assert.equal(own.verdict(100 - OWN_SIGNATURE_VIEWS, signature(100 - OWN_SIGNATURE_VIEWS), 100), "own");
});

test("own signatures: every signature recorded is own; any other is beside in a kept view signed in, apart in one not signed in (property)", () => {
  const step = fc.record({ views: fc.integer({ min: 0, max: 3 }), signatures: fc.integer({ min: 0, max: 2 }), prune: fc.boolean() });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 50 }), fc.array(step, { maxLength: 60 }), (startView, steps) => {
      const own = new OwnSignatures(startView);
      const made: { view: number; signature: Uint8Array }[] = [];
      let view = startView;
      let tag = 1;
      for (const s of steps) {
        view += s.views;
        for (let k = 0; k < s.signatures; k++) {
          const made1 = { view: Math.max(view, startView + 1), signature: new Uint8Array([tag & 0xff, tag >> 8]) };
          tag++;
          own.record(made1.view, made1.signature);
          made.push(made1);
        }
        if (s.prune) own.prune(view);
      }
      const lastVotedView = Math.max(view, startView + 1);
      for (const m of made) assert.equal(own.verdict(m.view, m.signature, lastVotedView), "own");
      const stranger = new Uint8Array([0xff, 0xff]);
      assert.equal(own.verdict(lastVotedView + 1, stranger, lastVotedView), "ahead");
      // The view in hand is never pruned (prune keeps OWN_SIGNATURE_VIEWS before the current one).
      const signedInView = made.some((m) => m.view === lastVotedView);
      assert.equal(own.verdict(lastVotedView, stranger, lastVotedView), signedInView ? "beside" : "apart");
    }),
  );
});
