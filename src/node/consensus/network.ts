/**
 * The network a ConsensusHost talks through (`ConsensusNetwork`), and its in-memory
 * implementation that links validators running in one process (tests, benches; the P2P one
 * is node/p2p). Every directed link is its own FIFO queue, delivered asynchronously (setImmediate),
 * so a send never re-enters the receiver and a slow receiver never reorders a link. Frames
 * are bytes: senders encode with the wire codec and receivers decode their own copy, so
 * validators never share a mutable object, exactly as over a real network.
 */
import { assert, toHex } from "../../util/index.ts";

export const NetworkTopic = { consensus: "consensus", tx: "tx" } as const;
export type NetworkTopic = (typeof NetworkTopic)[keyof typeof NetworkTopic];

export type NetworkFrame = { readonly topic: NetworkTopic; readonly bytes: Uint8Array };

/** Called once per delivered frame, in link order. */
export type FrameHandler = (from: number, frame: NetworkFrame) => void;

export type FrameObserver = (from: number, to: number, frame: NetworkFrame) => void;

export type NetworkEndpoint = {
  readonly index: number;
  /** Queues the frame to one validator or to every other one; frames to a detached validator are dropped. */
  send(to: number | "all", frame: NetworkFrame): void;
  close(): void;
};

/**
 * What a ConsensusHost needs from a network: join it as validator `index` and get an
 * endpoint. Contract for implementations: `send` never calls a handler synchronously (no
 * re-entrance); frames on one link (sender, receiver) arrive in send order or not at all;
 * the handler's `from` is the validator index the transport authenticated, never a claim in
 * the frame; frames to a validator that is not attached may be lost.
 */
export interface ConsensusNetwork {
  /** `index` is this validator's slot on the network; `address` its ML-DSA address. */
  attach(index: number, address: Uint8Array, handler: FrameHandler): NetworkEndpoint;
  /**
   * The slot of the validator with this address (the consensus host maps the engine's
   * per-epoch validator indices to slots by address); undefined when the network cannot reach it.
   */
  slotOf(address: Uint8Array): number | undefined;
  /** The address proven for a slot; undefined for a slot no validator holds. */
  addressOf(slot: number): Uint8Array | undefined;
  /** Every slot a validator holds, in or out of the running set (observers get proposals too). */
  slots(): readonly number[];
  /**
   * True only when this node has seen the validator at `slot` reachable and it is not now (its
   * process stopped, or its link went down). Never for a validator this node has not reached
   * yet, nor one it reaches only through others (behind sentries): the view timer decides
   * there. The host times a known-down leader's view out at once instead of waiting for it.
   */
  isKnownDown(slot: number): boolean;
}

/** Frames one link holds before it drops (a receiver that stopped reading); far above any burst. */
export const LINK_QUEUE_FRAMES_MAX = 200_000;
/** Frames delivered per link per turn of the event loop, so one busy link does not starve the others. */
const LINK_FRAMES_PER_TURN_MAX = 64;

type Link = { readonly from: number; readonly to: number; readonly frames: NetworkFrame[]; head: number; scheduled: boolean };

export class InMemoryNetwork implements ConsensusNetwork {
  readonly size: number;
  private readonly handlers: (FrameHandler | null)[];
  private readonly links = new Map<number, Link>();
  private readonly observers = new Set<FrameObserver>();
  /** Addresses by slot, learned on attach and kept after detach (a stopped validator keeps its slot). */
  private readonly addresses: (Uint8Array | undefined)[] = [];
  private readonly slotByAddressHex = new Map<string, number>();
  /** A slot stays here once attached: detached after that means stopped (isKnownDown). */
  private readonly attachedOnce = new Set<number>();
  private droppedFramesTotalValue = 0;

  constructor(size: number) {
    assert(Number.isSafeInteger(size) && size >= 1, "InMemoryNetwork: at least one validator");
    this.size = size;
    this.handlers = Array.from({ length: size }, () => null);
  }

  get droppedFramesTotal(): number {
    return this.droppedFramesTotalValue;
  }

  /** Connects validator `index`; frames sent to it from now on are delivered to `handler`. */
  attach(index: number, address: Uint8Array, handler: FrameHandler): NetworkEndpoint {
    assert(Number.isSafeInteger(index) && index >= 0 && index < this.size, `attach: validator ${index} is in the network`);
    assert(this.handlers[index] === null, `attach: validator ${index} is not attached twice`);
    const addressHex = toHex(address);
    const held = this.slotByAddressHex.get(addressHex);
    assert(held === undefined || held === index, `attach: address ${addressHex} already holds slot ${held}`);
    this.handlers[index] = handler;
    this.attachedOnce.add(index);
    this.addresses[index] = address;
    this.slotByAddressHex.set(addressHex, index);
    let open = true;
    return {
      index,
      send: (to, frame) => {
        if (!open) return;
        if (to === "all") {
          for (let other = 0; other < this.size; other++) if (other !== index) this.enqueue(index, other, frame);
        } else this.enqueue(index, to, frame);
      },
      close: () => {
        if (!open) return;
        open = false;
        this.handlers[index] = null;
        // What was in flight to a stopped validator is lost, as on a real network.
        for (const link of this.links.values()) if (link.to === index) this.clearLink(link);
      },
    };
  }

  slotOf(address: Uint8Array): number | undefined {
    return this.slotByAddressHex.get(toHex(address));
  }

  addressOf(slot: number): Uint8Array | undefined {
    return this.addresses[slot];
  }

  slots(): readonly number[] {
    return [...this.slotByAddressHex.values()];
  }

  isKnownDown(slot: number): boolean {
    return this.attachedOnce.has(slot) && this.handlers[slot] === null;
  }

  /** Sees every frame as it is sent (tests watch what validators sign). Returns the unsubscribe function. */
  observe(observer: FrameObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private enqueue(from: number, to: number, frame: NetworkFrame): void {
    assert(to >= 0 && to < this.size && to !== from, `send: ${from} to ${to} is a link of the network`);
    for (const observer of this.observers) observer(from, to, frame);
    if (this.handlers[to] === null) {
      this.droppedFramesTotalValue++;
      return;
    }
    const link = this.link(from, to);
    if (link.frames.length - link.head >= LINK_QUEUE_FRAMES_MAX) {
      this.droppedFramesTotalValue++;
      return;
    }
    link.frames.push(frame);
    if (!link.scheduled) {
      link.scheduled = true;
      setImmediate(() => this.drain(link));
    }
  }

  private link(from: number, to: number): Link {
    const key = from * this.size + to;
    let link = this.links.get(key);
    if (link === undefined) {
      link = { from, to, frames: [], head: 0, scheduled: false };
      this.links.set(key, link);
    }
    return link;
  }

  private drain(link: Link): void {
    link.scheduled = false;
    for (let delivered = 0; delivered < LINK_FRAMES_PER_TURN_MAX && link.head < link.frames.length; delivered++) {
      const frame = link.frames[link.head] as NetworkFrame;
      link.head++;
      const handler = this.handlers[link.to];
      if (handler === null || handler === undefined) {
        this.clearLink(link);
        return;
      }
      handler(link.from, frame);
    }
    if (link.head < link.frames.length) {
      link.scheduled = true;
      setImmediate(() => this.drain(link));
    } else this.clearLink(link);
  }

  private clearLink(link: Link): void {
    link.frames.length = 0;
    link.head = 0;
  }
}
