/**
 * The views this validator's key may have signed in, kept beside the key and outside data/
 * (decision 0200, "Session 32"). The safety state lives in the chain store, so a
 * validator whose data directory is wiped, or restored from an older copy, restarts without
 * the record of what it signed, and would sign a second proposal or vote in a view it
 * already signed in: equivocation, evidence, jail. Once a safety state signs past half of the
 * latest reservation, the next one (`viewsAhead` views past that state) is written and fsynced
 * here in the background, and nothing a state past the durable reservation lets sign leaves
 * the node before the write covering it is done: a small write every few views, off the event
 * loop and rarely waited for, not an fsync per vote. A validator that
 * starts with a store whose safety state is missing or older than the reservation votes and
 * proposes in no view up to its end.
 *
 * The file also records that signing stopped because another signer of this key was seen
 * beside this node (engine.ts noticeSignedElsewhere), so a restart, a re-sync or a restored
 * data/ does not sign again beside that signer. Only the operator clears it
 * (`ghostmesh start --resume-signing`), once no other process holds the key.
 */
import { readFileSync } from "node:fs";
import { open, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseWith, s } from "../../codec/index.ts";
import { NO_SIGNING_RESERVATION, SIGNING_RESERVATION_VIEWS, isCoveredBy, reservationDue, safetyUnderReservation, type SafetyState, type SigningReservationMark } from "../../consensus/index.ts";
import { GhostmeshError, errorMessage, toHex } from "../../util/index.ts";
import type { Logger } from "../types.ts";

/** The file is a few hundred bytes; anything much larger is not one. */
const RESERVATION_FILE_BYTES_MAX = 4_096;

const reservationSchema = s.object({
  chainId: s.string({ minLength: 1, maxLength: 128 }),
  genesisHash: s.string({ minLength: 64, maxLength: 64 }),
  /** The highest view signed when this reservation was written: a store whose safety state is below it is older than the reservation. */
  signedFromView: s.uint(),
  /** The key signs in no view above this before a new reservation is durable. */
  reservedThroughView: s.uint(),
  /** Present once another signer was seen signing beside this key: the view of that sighting. */
  signingStoppedAtView: s.optional(s.uint()),
});

/** A reservation is renewed at half its span: a span of 1 would renew it at every signature and still leave no view ahead. */
export const SIGNING_RESERVATION_VIEWS_MIN = 2;

export type SigningReservationOptions = {
  readonly path: string;
  readonly chainId: string;
  readonly genesisHash: Uint8Array;
  readonly viewsAhead?: number;
};

export class SigningReservation {
  private readonly opts: SigningReservationOptions & { readonly viewsAhead: number };
  private readonly logger: Logger;
  /** What the file holds (fsynced). */
  private durable: SigningReservationMark;
  /** The latest reservation made: durable, or being written. */
  private latest: SigningReservationMark;
  /** The view at which another signer was seen beside this key (recorded in the file, or being written); null: none. */
  private stoppedAtView: number | null;
  /** The writes, one after another; each ends by updating `durable` or setting `failure`. */
  private writes: Promise<void> = Promise.resolve();
  private failure: GhostmeshError | null = null;

  /** Reads the file at `opts.path`; none, or one of another chain, reserves nothing yet. */
  constructor(opts: SigningReservationOptions, modules: { readonly logger: Logger }) {
    const viewsAhead = opts.viewsAhead ?? SIGNING_RESERVATION_VIEWS;
    if (!Number.isSafeInteger(viewsAhead) || viewsAhead < SIGNING_RESERVATION_VIEWS_MIN) throw new RangeError(`signing reservation: viewsAhead must be an integer of ${SIGNING_RESERVATION_VIEWS_MIN} or more, got ${viewsAhead}`);
    this.opts = { ...opts, viewsAhead };
    this.logger = modules.logger;
    const loaded = this.load();
    this.durable = loaded.mark;
    this.latest = loaded.mark;
    this.stoppedAtView = loaded.stoppedAtView;
  }

  get reservedThroughView(): number {
    return this.durable.reservedThroughView;
  }

  /** Non-null once another signer was seen beside this key: this validator signs nothing until the operator resumes signing. */
  get signingStoppedAtView(): number | null {
    return this.stoppedAtView;
  }

  /**
   * Records that another signer was seen signing beside this key in `view`, so that no later
   * start of this home signs. The first record stands; the promise resolves once it is durable.
   * @throws GhostmeshError NODE_SIGNING_RESERVATION (the promise rejects) when the file cannot be written.
   */
  recordSigningStopped(view: number): Promise<void> {
    if (this.stoppedAtView !== null) return this.settledOrFailed();
    this.stoppedAtView = view;
    return this.rewrite();
  }

  /**
   * Clears a recorded stop (the operator's `--resume-signing`, once the other signer is gone);
   * resolves with the view it was recorded at, or null when there was none.
   */
  async resumeSigning(): Promise<number | null> {
    const stoppedAtView = this.stoppedAtView;
    if (stoppedAtView === null) return null;
    this.stoppedAtView = null;
    await this.rewrite();
    return stoppedAtView;
  }

  /**
   * The safety state an engine of epoch `epoch` with its root at `rootView` starts from: the
   * store's, or, when that is missing or older than the reservation (the store lost what this
   * key signed), one that neither votes nor proposes through the reserved views.
   */
  startingSafety(saved: SafetyState | null, epoch: number, rootView: number): SafetyState | null {
    const safety = safetyUnderReservation(this.durable, saved, epoch, rootView);
    if (safety !== saved) {
      this.logger.warn(
        { reservedThroughView: this.durable.reservedThroughView, storedLastVotedView: saved?.lastVotedView ?? null, path: this.opts.path },
        "This key may have signed up to the reserved view, but the store's safety state is missing or older (data wiped or restored): no vote or proposal through that view",
      );
    }
    return safety;
  }

  /**
   * Called with every safety state before it is persisted. Writes the next reservation in the
   * background once half of the latest is used; returns null when the durable one covers the
   * state, else a promise to await before anything the state lets sign leaves the node.
   * @throws GhostmeshError NODE_SIGNING_RESERVATION when a write failed (the promise rejects with it too).
   */
  cover(state: SafetyState): Promise<void> | null {
    if (this.failure !== null) throw this.failure;
    const next = reservationDue(this.latest, state, this.opts.viewsAhead);
    if (next !== null) {
      this.latest = next;
      this.queueWrite();
    }
    if (isCoveredBy(this.durable, state)) return null;
    return this.settledOrFailed();
  }

  /** Resolves once every reservation made so far is written (or failed). */
  settled(): Promise<void> {
    return this.writes;
  }

  private rewrite(): Promise<void> {
    this.queueWrite();
    return this.settledOrFailed();
  }

  /** Writes the latest reservation and the stop as they are when the writes queued before are done. */
  private queueWrite(): void {
    this.writes = this.writes.then(async () => {
      if (this.failure !== null) return;
      const mark = this.latest;
      try {
        await this.write(mark);
        this.durable = mark;
      } catch (err) {
        this.failure = reservationError(this.opts.path, `cannot be written: ${errorMessage(err)}`, err);
      }
    });
  }

  private settledOrFailed(): Promise<void> {
    return this.writes.then(() => {
      if (this.failure !== null) throw this.failure;
    });
  }

  private load(): { readonly mark: SigningReservationMark; readonly stoppedAtView: number | null } {
    const { path } = this.opts;
    const none = { mark: NO_SIGNING_RESERVATION, stoppedAtView: null };
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return none;
      throw reservationError(path, `cannot be read: ${errorMessage(err)}`, err);
    }
    let parsed;
    try {
      if (text.length > RESERVATION_FILE_BYTES_MAX) throw new Error(`${text.length} bytes, more than ${RESERVATION_FILE_BYTES_MAX}`);
      parsed = parseWith(reservationSchema, JSON.parse(text), "signing reservation");
      if (parsed.reservedThroughView < parsed.signedFromView) throw new Error(`reservedThroughView ${parsed.reservedThroughView} is below signedFromView ${parsed.signedFromView}`);
    } catch (err) {
      throw reservationError(path, `is damaged (${errorMessage(err)}); it records the views this key signed in, so restore it or, only if this key never signed on a running chain, delete it`, err);
    }
    if (parsed.chainId !== this.opts.chainId || parsed.genesisHash !== toHex(this.opts.genesisHash)) {
      this.logger.info({ path, chainId: parsed.chainId }, "The signing reservation is of another chain; it is replaced at the first signature");
      return none;
    }
    return { mark: { signedFromView: parsed.signedFromView, reservedThroughView: parsed.reservedThroughView }, stoppedAtView: parsed.signingStoppedAtView ?? null };
  }

  /** Atomically, off the event loop: a temporary file, fsynced, renamed into place, then the directory fsynced. */
  private async write(reservation: SigningReservationMark): Promise<void> {
    const { path, chainId, genesisHash } = this.opts;
    const stop = this.stoppedAtView === null ? {} : { signingStoppedAtView: this.stoppedAtView };
    const text = `${JSON.stringify({ chainId, genesisHash: toHex(genesisHash), ...reservation, ...stop }, null, 2)}\n`;
    const temporaryPath = join(dirname(path), `.${basename(path)}.tmp`);
    await writeFile(temporaryPath, text, { flush: true });
    await rename(temporaryPath, path);
    const directory = await open(dirname(path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function reservationError(path: string, problem: string, cause: unknown): GhostmeshError {
  return new GhostmeshError("NODE_SIGNING_RESERVATION", `signing reservation ${path} ${problem}`, { path }, { cause });
}
