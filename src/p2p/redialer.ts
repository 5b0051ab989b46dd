import { randomInt } from "node:crypto";
import type { PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { errorMessage } from "../util/index.ts";
import type { P2pClock, P2pLogger } from "./types.ts";

export type RedialerOptions = { readonly delayMsMin: number; readonly delayMsMax: number };

export type RedialerModules = {
  readonly dial: (address: Multiaddr) => Promise<PeerId>;
  readonly isConnected: (peerId: string) => boolean;
  /** End of the peer's ban (ms), 0 if it is not banned. */
  readonly bannedUntilMs: (peerId: string) => number;
  readonly clock: P2pClock;
  readonly logger: P2pLogger;
};

type Target = {
  readonly address: Multiaddr;
  /** From the address's /p2p/ part, else learned on the first successful dial. */
  peerId: string | undefined;
  failures: number;
  timer: NodeJS.Timeout | undefined;
};

/** Jitter of ±20 % so validators restarted together do not dial each other in lockstep. */
const JITTER_PERCENT = 20;

/**
 * Keeps the bootstrap peers connected: dials each at start and again, with exponential backoff
 * (delayMsMin doubling up to delayMsMax, jittered), after every failure or disconnect, forever:
 * validators must find each other again after any restart. A banned peer is not dialled
 * before its ban ends.
 */
export class Redialer {
  readonly #opts: RedialerOptions;
  readonly #modules: RedialerModules;
  readonly #targets: Target[];
  #running = false;

  constructor(addresses: readonly Multiaddr[], opts: RedialerOptions, modules: RedialerModules) {
    this.#opts = opts;
    this.#modules = modules;
    this.#targets = addresses.map((address) => ({ address, peerId: peerIdOf(address), failures: 0, timer: undefined }));
  }

  start(): void {
    this.#running = true;
    for (const target of this.#targets) this.#schedule(target, 0);
  }

  stop(): void {
    this.#running = false;
    for (const target of this.#targets) {
      clearTimeout(target.timer);
      target.timer = undefined;
    }
  }

  /** Whether this peer is one it keeps connected (dialled again after any disconnect). */
  isTarget(peerId: string): boolean {
    return this.#targets.some((target) => target.peerId === peerId);
  }

  /** A connection to `peerId` closed: redial it if it is one of ours. */
  onDisconnect(peerId: string): void {
    for (const target of this.#targets) {
      if (target.peerId === peerId && target.timer === undefined) this.#schedule(target, this.#delayMs(1));
    }
  }

  #schedule(target: Target, delayMs: number): void {
    if (!this.#running) return;
    clearTimeout(target.timer);
    target.timer = setTimeout(() => {
      target.timer = undefined;
      void this.#attempt(target);
    }, delayMs);
    target.timer.unref();
  }

  async #attempt(target: Target): Promise<void> {
    if (!this.#running) return;
    if (target.peerId !== undefined) {
      if (this.#modules.isConnected(target.peerId)) {
        target.failures = 0;
        return;
      }
      const bannedForMs = this.#modules.bannedUntilMs(target.peerId) - this.#modules.clock.nowMs();
      if (bannedForMs > 0) return this.#schedule(target, bannedForMs);
    }
    try {
      const peerId = await this.#modules.dial(target.address);
      target.peerId = peerId.toString();
      target.failures = 0;
    } catch (err) {
      target.failures += 1;
      const delayMs = this.#delayMs(target.failures);
      this.#modules.logger.debug({ address: target.address.toString(), failures: target.failures, delayMs, err: errorMessage(err) }, "bootstrap dial failed");
      this.#schedule(target, delayMs);
    }
  }

  /** delayMsMin × 2^(failures - 1), capped, jittered. */
  #delayMs(failures: number): number {
    const base = Math.min(this.#opts.delayMsMax, this.#opts.delayMsMin * 2 ** Math.min(failures - 1, 30));
    return Math.round((base * randomInt(100 - JITTER_PERCENT, 100 + JITTER_PERCENT + 1)) / 100);
  }
}

/** The PeerId named by the address's /p2p/ part, if any. */
export function peerIdOf(address: Multiaddr): string | undefined {
  return address.getComponents().find((component) => component.name === "p2p")?.value;
}
