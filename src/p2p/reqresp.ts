import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { errorMessage, isGhostmeshError } from "../util/index.ts";
import { isP2pHostError, p2pError, type P2pHostError } from "./errors.ts";
import type { P2pMetrics } from "./metrics.ts";
import type { RemoteIdentity } from "./qstp/index.ts";
import { boundedLpStream, isFrameLengthMalformedError, isFrameTooLongError, isReadBufferOverflowError, isUnsupportedProtocolError } from "./streamFrames.ts";
import {
  decodeResponse,
  encodeErrorResponse,
  encodeResponse,
  requestProtocolId,
  requestProtocolPrefix,
  ResponseStatus,
  RESPONSE_STATUS_SIZE_BYTES,
} from "./reqrespFrames.ts";
import { PeerAction, type P2pLogger, type PeerContext, type RequestHandler, type RequestHandlerOptions, type RequestOptions } from "./types.ts";

export const defaultRequestHandlerOptions: Required<RequestHandlerOptions> = {
  // Requests name ranges and hashes: small.
  requestSizeBytesMax: 64 * 1024,
  // A range of blocks; protocols with bigger answers raise it for both ends.
  responseSizeBytesMax: 16 * 1024 * 1024,
  timeoutMs: 10_000,
  concurrentPerPeerMax: 4,
};

/**
 * A frame over the limit: either its varint length says so (checked before the body is read) or
 * the bytes arrived faster than they were read and overflowed the read buffer, which is bounded
 * by the same limit (plus one transport chunk).
 */
function isOversizedFrameError(err: unknown): boolean {
  return isFrameTooLongError(err) || isReadBufferOverflowError(err);
}

/** A protocol version as the ids carry it (reqrespFrames.ts): a positive decimal integer. */
const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;

/** Peers and protocols already warned about (see `#unsupported`); past this many, the oldest is forgotten. */
const UNSUPPORTED_WARNED_MAX = 1024;

function warnedKey(protocol: string, peerId: PeerId): string {
  return `${protocol}|${peerId.toString()}`;
}

export type ReqRespModules = {
  readonly libp2p: Libp2p;
  readonly identityOf: (peerId: PeerId) => RemoteIdentity | undefined;
  readonly penalize: (peer: PeerContext, action: PeerAction, reason: string) => void;
  readonly logger: P2pLogger;
  readonly metrics: P2pMetrics | null;
};

/** One request, one response, over `/ghostmesh/<chainId>/req/<name>/<version>` (framing and versions in reqrespFrames.ts). */
export class ReqResp {
  readonly #chainId: string;
  readonly #modules: ReqRespModules;
  readonly #limits = new Map<string, Required<RequestHandlerOptions>>();
  /** In-flight exchanges per "direction|protocol|peer", for the per-peer concurrency limits. */
  readonly #inFlight = new Map<string, number>();
  /** "protocol|peer" pairs whose version mismatch was logged; a request that gets through clears its pair. */
  readonly #unsupportedWarned = new Set<string>();

  constructor(chainId: string, modules: ReqRespModules) {
    this.#chainId = chainId;
    this.#modules = modules;
  }

  async handle(name: string, handler: RequestHandler, options: RequestHandlerOptions = {}): Promise<void> {
    const protocol = requestProtocolId(this.#chainId, name);
    if (this.#limits.has(protocol)) throw p2pError("P2P_PROTOCOL_ALREADY_HANDLED", `request protocol ${name} already has a handler`, { name });
    const limits = { ...defaultRequestHandlerOptions, ...options };
    this.#limits.set(protocol, limits);
    // libp2p resets streams past twice our limit; between the two we answer "resource unavailable".
    await this.#modules.libp2p.handle(protocol, (stream, connection) => this.#serve(name, handler, limits, stream, connection), {
      maxInboundStreams: limits.concurrentPerPeerMax * 2,
    });
  }

  async request(peerId: PeerId, name: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    const protocol = requestProtocolId(this.#chainId, name);
    const timeoutMs = options.timeoutMs ?? defaultRequestHandlerOptions.timeoutMs;
    const responseSizeBytesMax = options.responseSizeBytesMax ?? defaultRequestHandlerOptions.responseSizeBytesMax;
    const slot = `out|${protocol}|${peerId.toString()}`;
    if ((this.#inFlight.get(slot) ?? 0) >= defaultRequestHandlerOptions.concurrentPerPeerMax) {
      throw p2pError("P2P_REQUEST_CONCURRENCY_EXCEEDED", `at most ${defaultRequestHandlerOptions.concurrentPerPeerMax} ${name} requests to one peer at a time`, {
        name,
        peerId: peerId.toString(),
        concurrentPerPeerMax: defaultRequestHandlerOptions.concurrentPerPeerMax,
      });
    }
    this.#acquire(slot);
    const stopTimer = this.#modules.metrics?.requestSeconds.startTimer({ protocol: name });
    try {
      const body = await this.#exchange(peerId, name, protocol, data, { timeoutMs, responseSizeBytesMax, penalizeTimeout: options.penalizeTimeout ?? true, signal: options.signal });
      this.#modules.metrics?.requestsTotal.inc({ protocol: name, direction: "outbound", outcome: "ok" });
      if (this.#unsupportedWarned.size > 0) this.#unsupportedWarned.delete(warnedKey(protocol, peerId));
      return body;
    } catch (err) {
      this.#modules.metrics?.requestsTotal.inc({ protocol: name, direction: "outbound", outcome: isGhostmeshError(err) ? err.code : "error" });
      throw err;
    } finally {
      stopTimer?.();
      this.#release(slot);
    }
  }

  async #exchange(
    peerId: PeerId,
    name: string,
    protocol: string,
    data: Uint8Array,
    limits: { readonly timeoutMs: number; readonly responseSizeBytesMax: number; readonly penalizeTimeout: boolean; readonly signal: AbortSignal | undefined },
  ): Promise<Uint8Array> {
    const { timeoutMs, responseSizeBytesMax, signal } = limits;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
    const meta = { name, peerId: peerId.toString(), timeoutMs };
    let stream: Stream | undefined;
    try {
      stream = await this.#modules.libp2p.dialProtocol(peerId, protocol, { signal: combined });
      const frameSizeBytesMax = responseSizeBytesMax + RESPONSE_STATUS_SIZE_BYTES;
      const lp = boundedLpStream(stream, frameSizeBytesMax);
      await lp.write(data, { signal: combined });
      await stream.close({ signal: combined });
      const frame = (await lp.read({ signal: combined })).subarray();
      const decoded = decodeResponse(frame, name);
      if ("error" in decoded) throw decoded.error;
      return decoded.body;
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)));
      if (isUnsupportedProtocolError(err)) throw await this.#unsupported(peerId, name, protocol, meta, err);
      throw this.#outboundError(err, peerId, meta, responseSizeBytesMax, { timedOut: timeout.aborted, penalizeTimeout: limits.penalizeTimeout });
    }
  }

  /**
   * The peer does not serve this version of the protocol. When it serves another version (from
   * what identify recorded), the two nodes run ghostmesh versions whose messages differ: every
   * such request fails until one of them upgrades, so it is logged as a warning, once per peer
   * and protocol until a request gets through. Nothing to penalise: the peer is not misbehaving.
   */
  async #unsupported(peerId: PeerId, name: string, protocol: string, meta: Record<string, unknown>, cause: unknown): Promise<P2pHostError> {
    const peerVersions = await this.#peerVersionsOf(peerId, name);
    const message =
      peerVersions.length === 0
        ? `peer ${peerId.toString()} does not serve ${name} requests (${protocol})`
        : `peer ${peerId.toString()} does not speak ${protocol}, only version ${peerVersions.join(", ")} of ${name}: it runs a ghostmesh whose ${name} messages differ from this one's, and the two cannot exchange them until both run compatible versions`;
    const error = p2pError("P2P_PROTOCOL_UNSUPPORTED", message, { ...meta, protocol, peerVersions }, cause);
    const key = warnedKey(protocol, peerId);
    if (peerVersions.length > 0 && !this.#unsupportedWarned.has(key)) {
      if (this.#unsupportedWarned.size >= UNSUPPORTED_WARNED_MAX) this.#unsupportedWarned.delete(this.#unsupportedWarned.values().next().value as string);
      this.#unsupportedWarned.add(key);
      this.#modules.logger.warn({ peerId: peerId.toString(), protocol, peerVersions }, "A peer speaks another version of a request protocol; requests to it fail until both run compatible ghostmesh versions");
    }
    return error;
  }

  /** The versions of `name` the peer announced (identify), ascending; none if it announced none or is unknown. */
  async #peerVersionsOf(peerId: PeerId, name: string): Promise<number[]> {
    const prefix = requestProtocolPrefix(this.#chainId, name);
    let protocols: readonly string[];
    try {
      protocols = (await this.#modules.libp2p.peerStore.get(peerId)).protocols;
    } catch {
      return [];
    }
    const versions: number[] = [];
    for (const p of protocols) {
      const suffix = p.startsWith(prefix) ? p.slice(prefix.length) : "";
      if (VERSION_PATTERN.test(suffix)) versions.push(Number(suffix));
    }
    return versions.sort((a, b) => a - b);
  }

  /** Types a failed exchange and penalises what the peer is to blame for. */
  #outboundError(err: unknown, peerId: PeerId, meta: Record<string, unknown>, responseSizeBytesMax: number, timing: { readonly timedOut: boolean; readonly penalizeTimeout: boolean }): unknown {
    const identity = this.#modules.identityOf(peerId);
    const blame = (action: PeerAction, reason: string): void => {
      if (identity !== undefined) this.#modules.penalize({ peerId, identity }, action, reason);
    };
    if (isP2pHostError(err, "P2P_RESPONSE_MALFORMED")) {
      blame(PeerAction.malformedFrame, err.message);
      return err;
    }
    if (isP2pHostError(err)) return err;
    if (isFrameLengthMalformedError(err)) {
      blame(PeerAction.malformedFrame, `${String(meta.name)} response length never ends`);
      return p2pError("P2P_RESPONSE_MALFORMED", `the ${String(meta.name)} response's length never ends`, meta, err);
    }
    if (isOversizedFrameError(err)) {
      blame(PeerAction.oversizedMessage, `${String(meta.name)} response above ${responseSizeBytesMax} bytes`);
      return p2pError("P2P_RESPONSE_TOO_LARGE", `the ${String(meta.name)} response is larger than ${responseSizeBytesMax} bytes`, { ...meta, responseSizeBytesMax }, err);
    }
    if (timing.timedOut) {
      if (timing.penalizeTimeout) blame(PeerAction.timeout, `${String(meta.name)} request timed out`);
      return p2pError("P2P_REQUEST_TIMEOUT", `no ${String(meta.name)} response within ${String(meta.timeoutMs)} ms`, meta, err);
    }
    return p2pError("P2P_REQUEST_FAILED", `${String(meta.name)} request failed: ${errorMessage(err)}`, meta, err);
  }

  async #serve(name: string, handler: RequestHandler, limits: Required<RequestHandlerOptions>, stream: Stream, connection: Connection): Promise<void> {
    const peerId = connection.remotePeer;
    const identity = this.#modules.identityOf(peerId);
    if (identity === undefined) return stream.abort(new Error("request from a peer without a proven identity"));
    const from: PeerContext = { peerId, identity };
    const slot = `in|${stream.protocol}|${peerId.toString()}`;
    const lp = boundedLpStream(stream, limits.requestSizeBytesMax);
    const signal = AbortSignal.timeout(limits.timeoutMs);
    if ((this.#inFlight.get(slot) ?? 0) >= limits.concurrentPerPeerMax) {
      this.#count(name, "resourceUnavailable");
      await lp.write(encodeErrorResponse(ResponseStatus.resourceUnavailable, `at most ${limits.concurrentPerPeerMax} concurrent ${name} requests`), { signal }).catch(() => {});
      return void stream.close().catch(() => {});
    }
    this.#acquire(slot);
    try {
      let request: Uint8Array;
      try {
        request = (await lp.read({ signal })).subarray();
      } catch (err) {
        const oversized = isOversizedFrameError(err);
        const malformed = isFrameLengthMalformedError(err);
        if (oversized) this.#modules.penalize(from, PeerAction.oversizedMessage, `${name} request above ${limits.requestSizeBytesMax} bytes`);
        if (malformed) this.#modules.penalize(from, PeerAction.malformedFrame, `${name} request length never ends`);
        this.#count(name, oversized ? "requestTooLarge" : malformed ? "requestMalformed" : "readFailed");
        return stream.abort(err instanceof Error ? err : new Error(String(err)));
      }
      const response = await this.#respond(name, handler, limits, request, from, signal);
      await lp.write(response, { signal });
      await stream.close({ signal });
    } catch (err) {
      this.#modules.logger.debug({ name, peerId: peerId.toString(), err: errorMessage(err) }, "request stream failed");
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#release(slot);
    }
  }

  /** Runs the handler; maps what it throws to an error status. */
  async #respond(name: string, handler: RequestHandler, limits: Required<RequestHandlerOptions>, request: Uint8Array, from: PeerContext, signal: AbortSignal) {
    try {
      const body = await handler(request, from, signal);
      if (body.byteLength > limits.responseSizeBytesMax) {
        this.#modules.logger.error({ name, sizeBytes: body.byteLength, sizeBytesMax: limits.responseSizeBytesMax }, "request handler produced an oversized response");
        this.#count(name, "responseTooLarge");
        return encodeErrorResponse(ResponseStatus.serverError, `response of ${body.byteLength} bytes exceeds ${limits.responseSizeBytesMax}`);
      }
      this.#count(name, "ok");
      return encodeResponse(ResponseStatus.ok, body);
    } catch (err) {
      if (isP2pHostError(err, "P2P_REQUEST_INVALID")) return this.#errorResponse(name, ResponseStatus.invalidRequest, err.message);
      if (isP2pHostError(err, "P2P_RESOURCE_UNAVAILABLE")) return this.#errorResponse(name, ResponseStatus.resourceUnavailable, err.message);
      this.#modules.logger.warn({ name, peerId: from.peerId.toString(), err: errorMessage(err) }, "request handler failed");
      return this.#errorResponse(name, ResponseStatus.serverError, signal.aborted ? "handler timed out" : "internal error");
    }
  }

  #errorResponse(name: string, status: Exclude<ResponseStatus, 0>, message: string) {
    this.#count(name, status === ResponseStatus.invalidRequest ? "invalidRequest" : status === ResponseStatus.serverError ? "serverError" : "resourceUnavailable");
    return encodeErrorResponse(status, message);
  }

  #count(name: string, outcome: string): void {
    this.#modules.metrics?.requestsTotal.inc({ protocol: name, direction: "inbound", outcome });
  }

  #acquire(slot: string): void {
    this.#inFlight.set(slot, (this.#inFlight.get(slot) ?? 0) + 1);
  }

  #release(slot: string): void {
    const count = (this.#inFlight.get(slot) ?? 1) - 1;
    if (count <= 0) this.#inFlight.delete(slot);
    else this.#inFlight.set(slot, count);
  }
}
