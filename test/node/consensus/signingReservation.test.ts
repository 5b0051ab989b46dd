/**
 * The signing reservation: written before a safety state signs past it, read back at start,
 * and raising a missing or older safety state so that no view up to its end is signed again.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { pino } from "pino";
import { afterVote, initialSafetyState, isSafeToPropose, isSafeToTimeout, isSafeToVote } from "../../../src/consensus/index.ts";
import { afterPropose } from "../../../src/consensus/safety.ts";
import { SigningReservation } from "../../../src/node/consensus/signingReservation.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GhostmeshError } from "../../../src/util/index.ts";

const logger = pino({ level: "silent" }) as unknown as Logger;
const genesisHash = new Uint8Array(32).fill(7);

async function withDirAsync(run: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "gm-reservation-"));
  try {
    await run(join(dir, "validator.signing.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withDir(run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "gm-reservation-"));
  try {
    run(join(dir, "validator.signing.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function open(path: string, overrides: { chainId?: string; genesisHash?: Uint8Array } = {}): SigningReservation {
  return new SigningReservation({ path, chainId: overrides.chainId ?? "reservation-test", genesisHash: overrides.genesisHash ?? genesisHash, viewsAhead: 10 }, { logger });
}

/** A safety state that voted in `voted` (on QC voted - 1) and proposed in `proposed`. */
function signedState(voted: number, proposed: number) {
  return afterPropose(afterVote(initialSafetyState(0, 0), voted, voted - 1), proposed);
}

describe("signing reservation", () => {
  it("reserves nothing until the first signature, which waits for a reservation viewsAhead views past it", async () => {
    await withDirAsync(async (path) => {
      const reservation = open(path);
      assert.equal(reservation.reservedThroughView, 0);
      assert.equal(existsSync(path), false);
      assert.equal(reservation.startingSafety(null, 0, 0), null, "nothing reserved: a fresh state stays fresh");
      const waiting = reservation.cover(signedState(3, 2));
      assert.ok(waiting !== null, "nothing durable covers view 3 yet: the step waits");
      await waiting;
      assert.equal(reservation.reservedThroughView, 13);
      const written = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      assert.deepEqual(written, { chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 3, reservedThroughView: 13 });
    });
  });

  it("writes the next reservation in the background once half of the latest is used; a state past the durable one waits", async () => {
    await withDirAsync(async (path) => {
      const reservation = open(path);
      await reservation.cover(signedState(3, 3));
      assert.equal(reservation.cover(signedState(8, 8)), null, "view 8 is within the first half of 3..13: nothing to write or wait for");
      await reservation.settled();
      assert.equal(reservation.reservedThroughView, 13, "no write");
      assert.equal(reservation.cover(signedState(9, 9)), null, "covered, so the step does not wait, but the next reservation starts");
      await reservation.settled();
      assert.equal(reservation.reservedThroughView, 19);
      const waiting = reservation.cover(signedState(20, 19));
      assert.ok(waiting !== null, "view 20 is past the durable 19: the step waits for the write covering it");
      await waiting;
      assert.equal(reservation.reservedThroughView, 30);
      assert.equal(open(path).reservedThroughView, 30, "a reopened reservation reads back");
    });
  });

  it("a write that fails stops every signature after it with NODE_SIGNING_RESERVATION", async () => {
    await withDirAsync(async (path) => {
      const reservation = new SigningReservation({ path: join(path, "..", "gone", "validator.signing.json"), chainId: "c", genesisHash, viewsAhead: 10 }, { logger });
      const waiting = reservation.cover(signedState(3, 3));
      assert.ok(waiting !== null);
      await assert.rejects(waiting, (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_SIGNING_RESERVATION" && /cannot be written/.test(err.message));
      assert.throws(() => reservation.cover(signedState(4, 4)), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_SIGNING_RESERVATION");
    });
  });

  it("a store that lost its safety state starts unable to vote or propose through the reservation, able to time out", async () => {
    await withDirAsync(async (path) => {
      await open(path).cover(signedState(40, 38));
      const floored = open(path).startingSafety(null, 2, 5);
      assert.ok(floored !== null);
      assert.equal(floored.epoch, 2);
      for (const view of [6, 41, 50]) {
        assert.equal(isSafeToVote(floored, view, view - 1, null), false, `no vote in view ${view}`);
        assert.equal(isSafeToPropose(floored, view), false, `no proposal in view ${view}`);
      }
      assert.equal(isSafeToVote(floored, 51, 50, null), true);
      assert.equal(isSafeToPropose(floored, 51), true);
      assert.equal(isSafeToTimeout(floored, 6, 5, null), true, "times out of the root's next view");
    });
  });

  it("a store's safety state as recent as the reservation is kept as it is; an older one is raised", async () => {
    await withDirAsync(async (path) => {
      await open(path).cover(signedState(40, 38));
      const reopened = open(path);
      const current = signedState(42, 41);
      assert.equal(reopened.startingSafety(current, 0, 0), current, "the store signed at least up to the reservation's start: a normal restart");
      const raised = reopened.startingSafety(signedState(20, 19), 0, 0);
      assert.equal(raised?.lastVotedView, 50, "a store restored from an older copy");
      assert.equal(raised?.lastProposedView, 50);
    });
  });

  it("a reservation of another chain reserves nothing and is replaced at the first signature", async () => {
    await withDirAsync(async (path) => {
      await open(path).cover(signedState(40, 38));
      for (const other of [open(path, { chainId: "other-chain" }), open(path, { genesisHash: new Uint8Array(32).fill(8) })]) {
        assert.equal(other.reservedThroughView, 0);
        assert.equal(other.startingSafety(null, 0, 0), null);
      }
      await open(path, { chainId: "other-chain" }).cover(signedState(2, 1));
      assert.equal((JSON.parse(readFileSync(path, "utf8")) as { chainId: string }).chainId, "other-chain");
    });
  });

  it("a stop of signing is recorded durably, survives later reservations and reopening, and only resumeSigning clears it", async () => {
    await withDirAsync(async (path) => {
      const reservation = open(path);
      await reservation.cover(signedState(3, 3));
      assert.equal(reservation.signingStoppedAtView, null);
      await reservation.recordSigningStopped(4);
      assert.equal(reservation.signingStoppedAtView, 4);
      const written = () => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      assert.deepEqual(written(), { chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 3, reservedThroughView: 13, signingStoppedAtView: 4 });
      await reservation.recordSigningStopped(7);
      assert.equal(reservation.signingStoppedAtView, 4, "the first sighting stands");
      await reservation.cover(signedState(20, 19));
      assert.equal(written().signingStoppedAtView, 4, "a later reservation keeps the stop");
      assert.equal(written().reservedThroughView, 30);

      const reopened = open(path);
      assert.equal(reopened.signingStoppedAtView, 4, "a restart reads the stop back");
      assert.equal(reopened.reservedThroughView, 30);
      assert.equal(open(path, { chainId: "other-chain" }).signingStoppedAtView, null, "another chain's stop is not this chain's");
      assert.equal(await reopened.resumeSigning(), 4);
      assert.equal(reopened.signingStoppedAtView, null);
      assert.equal("signingStoppedAtView" in written(), false);
      assert.equal(written().reservedThroughView, 30, "resuming keeps the reservation");
      assert.equal(open(path).signingStoppedAtView, null);
      assert.equal(await open(path).resumeSigning(), null, "nothing to resume");
    });
  });

  it("a stop that cannot be written rejects with NODE_SIGNING_RESERVATION, and is still kept for this run", async () => {
    await withDirAsync(async (path) => {
      const reservation = new SigningReservation({ path: join(path, "..", "gone", "validator.signing.json"), chainId: "c", genesisHash, viewsAhead: 10 }, { logger });
      await assert.rejects(reservation.recordSigningStopped(9), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_SIGNING_RESERVATION" && /cannot be written/.test(err.message));
      assert.equal(reservation.signingStoppedAtView, 9);
    });
  });

  it("a damaged file stops the start with an error naming it and what to do", () => {
    withDir((path) => {
      const cases = [
        "{",
        "[]",
        JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 5 }),
        JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 5, reservedThroughView: 4 }),
        JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: -1, reservedThroughView: 4 }),
        JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 1, reservedThroughView: 4, signingStoppedAtView: "3" }),
        JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: 1, reservedThroughView: 4, signingStoppedAtView: -3 }),
        " ".repeat(5_000),
      ];
      for (const text of cases) {
        writeFileSync(path, text);
        assert.throws(() => open(path), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_SIGNING_RESERVATION" && err.message.includes(path) && /restore it/.test(err.message), text.slice(0, 40));
      }
    });
  });

  it("any file content either reads as a reservation or fails with NODE_SIGNING_RESERVATION (property)", () => {
    withDir((path) => {
      const content = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.record({ chainId: fc.string(), genesisHash: fc.string(), signedFromView: fc.integer(), reservedThroughView: fc.integer() }).map((r) => JSON.stringify(r)),
        fc
          .record({ signedFromView: fc.nat(), span: fc.nat(), signingStoppedAtView: fc.oneof(fc.integer(), fc.string(), fc.constant(null)) })
          .map((r) => JSON.stringify({ chainId: "reservation-test", genesisHash: "07".repeat(32), signedFromView: r.signedFromView, reservedThroughView: r.signedFromView + r.span, signingStoppedAtView: r.signingStoppedAtView })),
      );
      fc.assert(
        fc.property(content, (text) => {
          writeFileSync(path, text);
          try {
            const reservation = open(path);
            assert.ok(reservation.reservedThroughView >= 0);
            const stoppedAtView = reservation.signingStoppedAtView;
            assert.ok(stoppedAtView === null || (Number.isSafeInteger(stoppedAtView) && stoppedAtView >= 0));
          } catch (err) {
            assert.ok(err instanceof GhostmeshError && err.code === "NODE_SIGNING_RESERVATION", String(err));
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  it("refuses a reservation span below 2 views or not an integer", () => {
    withDir((path) => {
      for (const viewsAhead of [0, 1, -1, 1.5]) {
        assert.throws(() => new SigningReservation({ path, chainId: "c", genesisHash, viewsAhead }, { logger }), RangeError);
      }
    });
  });
});
