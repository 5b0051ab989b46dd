import type { Connection, PeerId, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import { errorMessage, isGhostmeshError } from "../util/index.ts";
import { isP2pHostError, p2pError } from "./errors.ts";
import type { ReqRespModules } from "./reqresp.ts";
import { boundedLpStream, isFrameLengthMalformedError, isFrameTooLongError, isReadBufferOverflowError, isUnsupportedProtocolError } from "./streamFrames.ts";
import { PeerAction, type MessageHandler, type MessageHandlerOptions, type MessageOptions, type PeerContext } from "./types.ts";

/**
 * One-way messages over one long-lived stream per peer and protocol,
 * `/ghostmesh/<chainId>/msg/<name>/<version>`, each message length-prefixed.
 *
 * Why not a request per message: multistream-select negotiates every new stream before its
 * first byte (one round trip, ~12 ms per Dandelion++ stem hop between loaded nodes on one
 * machine, more than half of the hop). A stream kept open pays it once per peer. Messages get
 * no answer; a sender that must know the outcome uses a request.
 */

/** Version of every message protocol: 1 until a message's meaning changes. */
const MESSAGE_PROTOCOL_VERSION = 1;

export function messageProtocolId(chainId: string, name: string): string {
  return `/ghostmesh/${chainId}/msg/${name}/${MESSAGE_PROTOCOL_VERSION}`;
}

export const defaultMessageHandlerOptions: Required<MessageHandlerOptions> = {
  messageSizeBytesMax: 64 * 1024,
  concurrentPerPeerMax: 16,
};

/** Messages waiting for one peer's stream before new ones are refused (P2P_MESSAGE_QUEUE_FULL). */
export const MESSAGES_QUEUED_PER_PEER_MAX = 1024;
/** Opening a stream (negotiation included) or writing one message: past this, the stream is dropped. */
const MESSAGE_STREAM_TIMEOUT_MS = 10_000;
/**
 * Beyond one largest frame, what the read buffer may hold: messages that arrived before reading
 * paused at the handler cap. The muxer's window (yamux: 256 KiB) bounds what an honest sender
 * has in flight; the rest is slack.
 */
const READ_BUFFER_SLACK_BYTES = 1024 * 1024;
/** A peer reopens its stream after a reset; two per connection cover the overlap. */
const INBOUND_STREAMS_PER_CONNECTION_MAX = 2;

type LpStream = ReturnType<typeof lpStream>;

/** The outbound stream to one peer for one protocol; writes run one after another on `tail`. */
type Link = { readonly opened: Promise<{ readonly stream: Stream; readonly lp: LpStream }>; tail: Promise<void>; queued: number; used: boolean };

/** What requests need, messages need too: the node, who a peer is, how to penalise it, logs and metrics. */
export type MessageStreamsModules = ReqRespModules;

export class MessageStreams {
  readonly #chainId: string;
  readonly #modules: MessageStreamsModules;
  readonly #handled = new Set<string>();
  /** Outbound streams by "protocol|peer". */
  readonly #links = new Map<string, Link>();

  constructor(chainId: string, modules: MessageStreamsModules) {
    this.#chainId = chainId;
    this.#modules = modules;
  }

  async handle(name: string, handler: MessageHandler, options: MessageHandlerOptions = {}): Promise<void> {
    const protocol = messageProtocolId(this.#chainId, name);
    if (this.#handled.has(protocol)) throw p2pError("P2P_PROTOCOL_ALREADY_HANDLED", `message protocol ${name} already has a handler`, { name });
    this.#handled.add(protocol);
    const limits = { ...defaultMessageHandlerOptions, ...options };
    await this.#modules.libp2p.handle(protocol, (stream, connection) => this.#serve(name, handler, limits, stream, connection), {
      maxInboundStreams: INBOUND_STREAMS_PER_CONNECTION_MAX,
    });
  }

  /**
   * Resolves once the message is written to the peer's stream (not once handled there).
   * A stream that fails after earlier messages went through (the peer reconnected, or reset
   * it) is replaced once for this message.
   * @throws GhostmeshError P2P_MESSAGE_TOO_LARGE, P2P_MESSAGE_QUEUE_FULL, P2P_PROTOCOL_UNSUPPORTED, P2P_MESSAGE_SEND_FAILED
   */
  async send(peerId: PeerId, name: string, data: Uint8Array, options: MessageOptions = {}): Promise<void> {
    const sizeBytesMax = options.messageSizeBytesMax ?? defaultMessageHandlerOptions.messageSizeBytesMax;
    const meta = { name, peerId: peerId.toString() };
    try {
      if (data.byteLength > sizeBytesMax) throw p2pError("P2P_MESSAGE_TOO_LARGE", `a ${name} message of ${data.byteLength} bytes is above ${sizeBytesMax}`, { ...meta, sizeBytes: data.byteLength, sizeBytesMax });
      const protocol = messageProtocolId(this.#chainId, name);
      const wasUsed = this.#links.get(`${protocol}|${peerId.toString()}`)?.used ?? false;
      try {
        await this.#write(peerId, protocol, data, meta);
      } catch (err) {
        if (!wasUsed || (isGhostmeshError(err) && err.code !== "P2P_MESSAGE_SEND_FAILED")) throw err;
        await this.#write(peerId, protocol, data, meta);
      }
      this.#modules.metrics?.messagesTotal.inc({ protocol: name, direction: "outbound", outcome: "ok" });
    } catch (err) {
      this.#modules.metrics?.messagesTotal.inc({ protocol: name, direction: "outbound", outcome: isGhostmeshError(err) ? err.code : "error" });
      throw err;
    }
  }

  async #write(peerId: PeerId, protocol: string, data: Uint8Array, meta: Record<string, unknown>): Promise<void> {
    const key = `${protocol}|${peerId.toString()}`;
    let link = this.#links.get(key);
    if (link === undefined) {
      const created: Link = { opened: this.#open(peerId, protocol, meta), tail: Promise.resolve(), queued: 0, used: false };
      // A stream the peer or the connection closed is forgotten, so the next message opens another.
      const forget = (): void => void (this.#links.get(key) === created && this.#links.delete(key));
      created.opened.then(({ stream }) => stream.addEventListener("close", forget, { once: true }), forget);
      this.#links.set(key, created);
      link = created;
    }
    if (link.queued >= MESSAGES_QUEUED_PER_PEER_MAX) {
      throw p2pError("P2P_MESSAGE_QUEUE_FULL", `${MESSAGES_QUEUED_PER_PEER_MAX} ${String(meta.name)} messages already wait for this peer`, { ...meta, queuedMax: MESSAGES_QUEUED_PER_PEER_MAX });
    }
    const current = link;
    current.queued += 1;
    const written = current.tail.then(async () => {
      const { lp } = await current.opened;
      await lp.write(data, { signal: AbortSignal.timeout(MESSAGE_STREAM_TIMEOUT_MS) });
      current.used = true;
    });
    current.tail = written.catch(() => {});
    try {
      await written;
    } catch (err) {
      if (this.#links.get(key) === current) this.#links.delete(key);
      void current.opened.then(({ stream }) => stream.abort(err instanceof Error ? err : new Error(String(err))), () => {});
      if (isGhostmeshError(err)) throw err;
      throw p2pError("P2P_MESSAGE_SEND_FAILED", `${String(meta.name)} message not sent: ${errorMessage(err)}`, meta, err);
    } finally {
      current.queued -= 1;
    }
  }

  async #open(peerId: PeerId, protocol: string, meta: Record<string, unknown>): Promise<{ stream: Stream; lp: LpStream }> {
    try {
      const stream = await this.#modules.libp2p.dialProtocol(peerId, protocol, { signal: AbortSignal.timeout(MESSAGE_STREAM_TIMEOUT_MS) });
      return { stream, lp: lpStream(stream) };
    } catch (err) {
      if (isUnsupportedProtocolError(err)) {
        throw p2pError("P2P_PROTOCOL_UNSUPPORTED", `peer ${peerId.toString()} does not serve ${String(meta.name)} messages (${protocol})`, { ...meta, protocol }, err);
      }
      throw p2pError("P2P_MESSAGE_SEND_FAILED", `no ${String(meta.name)} stream to the peer: ${errorMessage(err)}`, meta, err);
    }
  }

  /**
   * Reads messages until the peer closes the stream. Up to `concurrentPerPeerMax` handlers run
   * at once; at the cap the stream pauses, which holds the sender back through the muxer's window.
   */
  async #serve(name: string, handler: MessageHandler, limits: Required<MessageHandlerOptions>, stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer;
    const identity = this.#modules.identityOf(peerId);
    if (identity === undefined) return stream.abort(new Error("messages from a peer without a proven identity"));
    const from: PeerContext = { peerId, identity };
    const lp = boundedLpStream(stream, limits.messageSizeBytesMax, READ_BUFFER_SLACK_BYTES);
    const running = new Set<Promise<void>>();
    const count = (outcome: string): void => this.#modules.metrics?.messagesTotal.inc({ protocol: name, direction: "inbound", outcome });
    for (;;) {
      let message: Uint8Array;
      try {
        message = (await lp.read()).subarray();
      } catch (err) {
        // A frame longer than the limit broke the protocol's rule; an overflow means the sender ignored the muxer's window.
        if (isFrameTooLongError(err)) {
          count("tooLarge");
          this.#modules.penalize(from, PeerAction.oversizedMessage, `${name} message above ${limits.messageSizeBytesMax} bytes`);
          return stream.abort(err instanceof Error ? err : new Error(String(err)));
        }
        if (isFrameLengthMalformedError(err)) {
          count("malformed");
          this.#modules.penalize(from, PeerAction.malformedFrame, `${name} message length never ends`);
          return stream.abort(err instanceof Error ? err : new Error(String(err)));
        }
        if (isReadBufferOverflowError(err)) count("overflow");
        // The peer closed or reset its stream (it opens another when it has more to send).
        if (stream.status === "open") stream.abort(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      count("ok");
      // A handler that throws before its first await rejects here too, instead of ending the loop.
      const handled: Promise<void> = new Promise<void>((resolve) => resolve(handler(message, from)))
        .catch((err: unknown) => {
          // Not running the service now (a validator starting or re-syncing): not a failure of the message's.
          count(isP2pHostError(err, "P2P_RESOURCE_UNAVAILABLE") ? "unavailable" : "handlerFailed");
          this.#modules.logger.debug({ name, peerId: peerId.toString(), err: errorMessage(err) }, "message handler failed");
        })
        .finally(() => running.delete(handled));
      running.add(handled);
      if (running.size >= limits.concurrentPerPeerMax) {
        stream.pause();
        await Promise.race(running);
        stream.resume();
      }
    }
  }
}
