/**
 * Dandelion++ (Fanti et al., SIGMETRICS 2018) transaction routing for origin privacy, as a
 * deterministic state machine: inputs are method calls, outputs are actions, time comes from
 * the injected clock (and onTick), randomness from the injected source.
 *
 * - Epochs: at each epoch start a node becomes a diffuser with probability q
 *   (`fluffProbabilityBps`), else a relayer, and picks DANDELION_SUCCESSORS stem successors
 *   among its peers (the anonymity graph, approximately 4-regular).
 * - An epoch also starts early once twice as many peers are connected as successors were last
 *   picked from (a node starting, or back from a partition): see successorsPoolSize.
 * - Own transactions always go on the stem, whatever the mode, all to the same successor
 *   for the epoch: a diffuser fluffing its own transactions would be spotted as their origin.
 * - Relayed stem transactions: a relayer forwards them along a per-inbound-edge route (all
 *   stems from one inbound peer go to one successor, inbound peers spread evenly over the
 *   successors: the paper's pseudorandom forwarding, which stops an adversary from learning
 *   more by sending many transactions); a diffuser fluffs them.
 * - Fail-safe: every node that holds a stem transaction (origin included) starts an embargo
 *   timer drawn in [embargoMsMin, embargoMsMax]; if it has not seen the transaction diffused
 *   when the timer fires, it fluffs it itself. So a dropped stem (black hole, crash) delays a
 *   transaction, never loses it.
 *
 * The caller validates transactions before handing them in and sends/gossips the actions.
 */
import { assert } from "../../util/index.ts";
import { BPS, DANDELION_ROUTES_MAX, DANDELION_SUCCESSORS, resolveDandelionOptions, type DandelionOptions } from "./options.ts";
import { DandelionMode, FluffReason, type DandelionAction, type DandelionClock, type DandelionRandom, type DandelionStats, type DandelionTx } from "./types.ts";

export type DandelionModules = { readonly clock: DandelionClock; readonly random: DandelionRandom };

/** `own`: this node originated it; `reRelayed`: it came back once and was sent on again. */
type StemEntry = { readonly tx: DandelionTx; readonly embargoUntilMs: number; readonly own: boolean; reRelayed: boolean };

export class DandelionRouter {
  readonly options: DandelionOptions;
  private readonly clock: DandelionClock;
  private readonly random: DandelionRandom;
  private peers: string[] = [];
  private epoch = 0;
  private epochStartMs: number;
  private mode: DandelionMode = DandelionMode.stem;
  private successors: string[] = [];
  /**
   * How many peers there were when successors were last picked. A node that starts (or comes
   * back from a partition) picks them from the few peers connected first; every node doing so
   * would make those few the relays of most stems for a whole epoch. So once twice as many
   * peers are connected, a new epoch draws again from all of them (decision 0502, "Early
   * epochs while peers connect").
   */
  private successorsPoolSize = 0;
  /** Inbound peer → successor, this epoch. */
  private readonly routes = new Map<string, string>();
  /** Successor for this node's own transactions, this epoch. */
  private localRoute: string | undefined;
  /** Stem transactions with a running embargo, by hash. Invariant: size <= stemTxsMax. */
  private readonly stemTxs = new Map<string, StemEntry>();
  /** Hashes known diffused, insertion order = age. Invariant: size <= fluffedRememberedMax. */
  private readonly fluffedHashes = new Set<string>();
  private lastNowMs: number;
  private stemSent = 0;
  private readonly fluffCounts: Record<FluffReason, number> = { mode: 0, embargo: 0, loop: 0, overflow: 0, disabled: 0 };

  constructor(opts: Partial<DandelionOptions>, modules: DandelionModules) {
    this.options = resolveDandelionOptions(opts);
    this.clock = modules.clock;
    this.random = modules.random;
    this.lastNowMs = this.clock.nowMs();
    assert(Number.isSafeInteger(this.lastNowMs), "DandelionRouter: the clock gives integer ms");
    this.epochStartMs = this.lastNowMs;
    this.startEpoch(this.lastNowMs);
  }

  /** The peers stem successors are picked from (give outbound peers: an adversary controls who dials in). */
  setPeers(peers: readonly string[]): DandelionAction[] {
    this.peers = [...new Set(peers)].sort();
    const current = new Set(this.peers);
    this.successors = this.successors.filter((peer) => current.has(peer));
    for (const [inbound, successor] of [...this.routes]) if (!current.has(successor)) this.routes.delete(inbound);
    if (this.localRoute !== undefined && !current.has(this.localRoute)) this.localRoute = undefined;
    if (this.successorsPoolSize > 0 && this.peers.length >= 2 * this.successorsPoolSize) this.startEpoch(this.now());
    else this.fillSuccessors();
    return [];
  }

  onLocalTx(tx: DandelionTx): DandelionAction[] {
    this.now();
    if (this.fluffedHashes.has(tx.hashHex) || this.stemTxs.has(tx.hashHex)) return [];
    if (!this.options.enabled) return this.fluff(tx, FluffReason.disabled);
    if (this.localRoute === undefined && this.successors.length > 0) this.localRoute = this.successors[this.random.below(this.successors.length)];
    return this.holdAndRelay(tx, this.localRoute, true);
  }

  onStemTx(from: string, tx: DandelionTx): DandelionAction[] {
    this.now();
    if (this.fluffedHashes.has(tx.hashHex)) return [];
    const held = this.stemTxs.get(tx.hashHex);
    if (held !== undefined) return this.onStemLoop(from, held);
    if (!this.options.enabled) return this.fluff(tx, FluffReason.disabled);
    if (this.mode === DandelionMode.fluff) return this.fluff(tx, FluffReason.mode);
    return this.holdAndRelay(tx, this.routeFor(from), false);
  }

  /**
   * A stem transaction we already hold came back: the stem has a loop. A relayer ends it by
   * fluffing. The origin must not (fluffing its own transaction would name it), so it relays
   * it once more as any relayer would relay a new one, and the next holder fluffs it.
   */
  private onStemLoop(from: string, held: StemEntry): DandelionAction[] {
    const successor = held.own && !held.reRelayed ? this.routeFor(from) : undefined;
    if (successor !== undefined) {
      held.reRelayed = true;
      this.stemSent += 1;
      return [{ type: "sendStem", peer: successor, tx: held.tx }];
    }
    this.stemTxs.delete(held.tx.hashHex);
    return this.fluff(held.tx, FluffReason.loop);
  }

  /** The transaction was seen diffused (gossip): its stem phase is over here. */
  onFluffSeen(hashHex: string): DandelionAction[] {
    this.now();
    this.stemTxs.delete(hashHex);
    this.rememberFluffed(hashHex);
    return [];
  }

  /** Fires due embargoes (oldest deadline first), then starts a new epoch if this one is over. */
  onTick(nowMs: number): DandelionAction[] {
    assert(Number.isSafeInteger(nowMs) && nowMs >= this.lastNowMs, "DandelionRouter.onTick: time is an integer and does not go back");
    this.lastNowMs = nowMs;
    const due = [...this.stemTxs.values()]
      .filter((entry) => entry.embargoUntilMs <= nowMs)
      .sort((a, b) => a.embargoUntilMs - b.embargoUntilMs || (a.tx.hashHex < b.tx.hashHex ? -1 : a.tx.hashHex > b.tx.hashHex ? 1 : 0));
    const actions: DandelionAction[] = [];
    for (const entry of due) {
      this.stemTxs.delete(entry.tx.hashHex);
      actions.push(...this.fluff(entry.tx, FluffReason.embargo));
    }
    if (nowMs >= this.epochStartMs + this.options.epochMs) this.startEpoch(nowMs);
    return actions;
  }

  /**
   * Whether the transaction is known diffused here (fluffed by this node or seen in gossip).
   * The node sends such a transaction again by gossip when asked to (a re-gossip after a view
   * timeout reveals nothing: it is public already), where onLocalTx would ignore it.
   */
  isFluffed(hashHex: string): boolean {
    return this.fluffedHashes.has(hashHex);
  }

  /** When onTick next has work: the earliest embargo or the epoch end. */
  nextDeadlineMs(): number {
    let deadline = this.epochStartMs + this.options.epochMs;
    for (const entry of this.stemTxs.values()) deadline = Math.min(deadline, entry.embargoUntilMs);
    return deadline;
  }

  stats(): DandelionStats {
    return {
      epoch: this.epoch,
      mode: this.mode,
      successors: [...this.successors],
      stemTxsHeld: this.stemTxs.size,
      stemSent: this.stemSent,
      fluffed: { ...this.fluffCounts },
    };
  }

  private startEpoch(nowMs: number): void {
    this.epoch += 1;
    this.epochStartMs = nowMs;
    this.mode = this.random.below(BPS) < this.options.fluffProbabilityBps ? DandelionMode.fluff : DandelionMode.stem;
    this.successors = [];
    this.routes.clear();
    this.localRoute = undefined;
    this.fillSuccessors();
  }

  /** Tops successors up to DANDELION_SUCCESSORS with random distinct peers. */
  private fillSuccessors(): void {
    const candidates = this.peers.filter((peer) => !this.successors.includes(peer));
    if (this.successors.length < DANDELION_SUCCESSORS && candidates.length > 0) this.successorsPoolSize = this.peers.length;
    while (this.successors.length < DANDELION_SUCCESSORS && candidates.length > 0) {
      const [picked] = candidates.splice(this.random.below(candidates.length), 1);
      assert(picked !== undefined, "fillSuccessors: a candidate was picked");
      this.successors.push(picked);
    }
    assert(this.successors.length <= DANDELION_SUCCESSORS && new Set(this.successors).size === this.successors.length, "successors are distinct and bounded");
  }

  /**
   * The successor for stems arriving from `from`: fixed per inbound edge for the epoch, new
   * edges go to the least-used successor (ties at random), never straight back to the sender
   * when another successor exists.
   */
  private routeFor(from: string): string | undefined {
    const known = this.routes.get(from);
    if (known !== undefined) return known;
    const usable = this.successors.length > 1 ? this.successors.filter((peer) => peer !== from) : this.successors;
    if (usable.length === 0) return undefined;
    const load = (peer: string): number => [...this.routes.values()].filter((successor) => successor === peer).length;
    const loadMin = Math.min(...usable.map(load));
    const leastUsed = usable.filter((peer) => load(peer) === loadMin);
    const chosen = leastUsed[this.random.below(leastUsed.length)];
    assert(chosen !== undefined, "routeFor: a successor was chosen");
    if (this.routes.size < DANDELION_ROUTES_MAX) this.routes.set(from, chosen);
    return chosen;
  }

  /** Holds a stem transaction under embargo and relays it when there is a successor. */
  private holdAndRelay(tx: DandelionTx, successor: string | undefined, own: boolean): DandelionAction[] {
    if (this.stemTxs.size >= this.options.stemTxsMax) return this.fluff(tx, FluffReason.overflow);
    const spreadMs = this.options.embargoMsMax - this.options.embargoMsMin;
    const embargoUntilMs = this.lastNowMs + this.options.embargoMsMin + this.random.below(spreadMs + 1);
    this.stemTxs.set(tx.hashHex, { tx, embargoUntilMs, own, reRelayed: false });
    assert(this.stemTxs.size <= this.options.stemTxsMax, "stem pool is bounded");
    // No successor (no peers yet): the embargo alone gets the transaction out.
    if (successor === undefined) return [];
    this.stemSent += 1;
    return [{ type: "sendStem", peer: successor, tx }];
  }

  private fluff(tx: DandelionTx, reason: FluffReason): DandelionAction[] {
    this.fluffCounts[reason] += 1;
    this.rememberFluffed(tx.hashHex);
    return [{ type: "fluff", tx }];
  }

  private rememberFluffed(hashHex: string): void {
    this.fluffedHashes.delete(hashHex);
    this.fluffedHashes.add(hashHex);
    if (this.fluffedHashes.size > this.options.fluffedRememberedMax) {
      const oldest = this.fluffedHashes.values().next().value;
      if (oldest !== undefined) this.fluffedHashes.delete(oldest);
    }
  }

  /**
   * Reads the clock for an input (embargoes start from it). Time never goes back; epochs roll
   * in onTick (and in setPeers as connectivity doubles), so an input between an epoch's end
   * and the next tick uses the old epoch.
   */
  private now(): number {
    const nowMs = this.clock.nowMs();
    assert(Number.isSafeInteger(nowMs), "DandelionRouter: the clock gives integer ms");
    this.lastNowMs = Math.max(this.lastNowMs, nowMs);
    return this.lastNowMs;
  }
}

export function createDandelionRouter(opts: Partial<DandelionOptions>, modules: DandelionModules): DandelionRouter {
  return new DandelionRouter(opts, modules);
}
