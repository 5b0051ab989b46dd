/**
 * A raw socket (direct, or the far side of a SOCKS5 proxy) as a libp2p MultiaddrConnection,
 * the thing the upgrader turns into an encrypted, multiplexed Connection. It counts the bytes
 * it carries and its own lifetime for the channel it came through.
 */
import type { Socket } from "node:net";
import { TimeoutError, type AbortOptions, type Logger } from "@libp2p/interface";
import { AbstractMultiaddrConnection, type SendResult } from "@libp2p/utils";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Uint8ArrayList } from "uint8arraylist";
import type { ChannelMetrics } from "./metrics.ts";

/** Same as @libp2p/tcp's default: an outbound socket idle this long is closed. */
export const SOCKET_INACTIVITY_TIMEOUT_MS_DEFAULT = 2 * 60 * 1_000;

export type ChannelConnectionInit = {
  readonly socket: Socket;
  readonly remoteAddr: Multiaddr;
  readonly channel: string;
  readonly log: Logger;
  readonly metrics: ChannelMetrics | null;
  readonly inactivityTimeoutMs: number;
};

export class ChannelConnection extends AbstractMultiaddrConnection {
  readonly channel: string;
  private readonly socket: Socket;
  private readonly channelMetrics: ChannelMetrics | null;

  constructor(init: ChannelConnectionInit) {
    super({ remoteAddr: init.remoteAddr, direction: "outbound", log: init.log, inactivityTimeout: init.inactivityTimeoutMs });
    this.socket = init.socket;
    this.channel = init.channel;
    this.channelMetrics = init.metrics;
    this.channelMetrics?.activeConnections.inc({ channel: this.channel });
    this.addEventListener("close", () => this.channelMetrics?.activeConnections.dec({ channel: this.channel }), { once: true });
    this.socket.on("data", (chunk: Buffer) => {
      this.channelMetrics?.bytesTotal.inc({ channel: this.channel, direction: "received" }, chunk.byteLength);
      this.onData(chunk);
    });
    this.socket.on("error", (err) => this.abort(err));
    this.socket.setTimeout(init.inactivityTimeoutMs);
    this.socket.once("timeout", () => this.abort(new TimeoutError("socket inactivity timeout")));
    // FIN from the far side: half-open sockets are off, so 'close' follows and tears down.
    this.socket.once("end", () => this.onTransportClosed());
    this.socket.once("close", (hadError) => {
      if (hadError) this.abort(new Error("socket closed with a transmission error"));
      else this.onTransportClosed();
    });
    this.socket.on("drain", () => this.safeDispatchEvent("drain"));
    // The SOCKS5 negotiation read in paused mode; bytes the peer sent right after the
    // proxy's reply wait in the socket's buffer and flow from here on.
    this.socket.resume();
  }

  sendData(data: Uint8ArrayList): SendResult {
    let sentBytes = 0;
    let canSendMore = true;
    for (const chunk of data) {
      sentBytes += chunk.byteLength;
      canSendMore = this.socket.write(chunk);
      if (!canSendMore) break;
    }
    this.channelMetrics?.bytesTotal.inc({ channel: this.channel, direction: "sent" }, sentBytes);
    return { sentBytes, canSendMore };
  }

  async sendClose(options?: AbortOptions): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(options?.signal?.reason ?? new Error("close aborted"));
      options?.signal?.addEventListener("abort", onAbort, { once: true });
      this.socket.once("close", () => {
        options?.signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
    this.socket.destroySoon();
    await closed;
  }

  sendReset(): void {
    // resetAndDestroy cannot follow a graceful end() that has started (libuv shutdown).
    if (this.socket.writableEnded || this.socket.destroyed) this.socket.destroy();
    else this.socket.resetAndDestroy();
  }

  sendPause(): void {
    this.socket.pause();
  }

  sendResume(): void {
    this.socket.resume();
  }
}
