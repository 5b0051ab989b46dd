import type { AbortOptions, MessageStream, StreamCloseEvent, StreamMessageEvent } from "@libp2p/interface";
import { AbstractMessageStream, type SendResult } from "@libp2p/utils";
import { Uint8ArrayList } from "uint8arraylist";
import { errorMessage } from "../../util/index.ts";
import { isQstpError, qstpError, type QstpError } from "./errors.ts";
import type { RecordOpener, RecordSealer } from "./recordLayer.ts";

/**
 * The secured connection handed to libp2p: plaintext in, records out. Any record-layer
 * failure aborts this stream and the raw connection under it (with the QstpError as reason)
 * and is reported once through `onFailure`; nothing is thrown into libp2p's event handlers.
 *
 * Writes are sealed at the end of the current microtask, all together: the muxer sends every
 * frame (a 12-byte window update, a header, a data chunk) as its own write, and sealing each
 * as its own record cost an AES-GCM setup and a socket write per frame. Order is kept (one
 * queue), and backpressure holds: once the raw connection reports it is full, sendData says
 * so until it drains.
 */
export class EncryptedStream extends AbstractMessageStream {
  readonly #raw: MessageStream;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  readonly #onFailure: (error: QstpError) => void;
  #failed = false;
  /** The raw connection closed: nothing more can be sent (its keys are wiped). */
  #closed = false;
  /** Plaintext written since the last flush; sealed and sent at the end of the microtask. */
  readonly #pending = new Uint8ArrayList();
  #flushQueued = false;
  /** What the raw connection's last send said: false until it emits "drain". */
  #rawCanSendMore = true;

  constructor(raw: MessageStream, sealer: RecordSealer, opener: RecordOpener, onFailure: (error: QstpError) => void) {
    super({ log: raw.log, inactivityTimeout: raw.inactivityTimeout, maxReadBufferLength: raw.maxReadBufferLength, direction: raw.direction });
    this.#raw = raw;
    this.#sealer = sealer;
    this.#opener = opener;
    this.#onFailure = onFailure;
    raw.addEventListener("message", (event: StreamMessageEvent) => this.#onRawMessage(event.data));
    raw.addEventListener("close", (event: StreamCloseEvent) => this.#onRawClose(event));
    raw.addEventListener("drain", () => {
      this.#rawCanSendMore = true;
      this.safeDispatchEvent("drain");
    });
    raw.addEventListener("remoteCloseWrite", () => this.onRemoteCloseWrite());
  }

  #onRawMessage(data: Uint8Array | Uint8ArrayList): void {
    if (this.#failed) return;
    let plaintext: Uint8ArrayList;
    try {
      plaintext = this.#opener.open(data);
    } catch (err) {
      this.#fail(err);
      return;
    }
    if (plaintext.byteLength > 0) this.onData(plaintext);
  }

  #onRawClose(event: StreamCloseEvent): void {
    this.#closed = true;
    this.#pending.consume(this.#pending.byteLength);
    this.#sealer.wipe();
    this.#opener.wipe();
    if (event.error === undefined) this.onTransportClosed();
    else if (event.local === true) this.abort(event.error);
    else this.onRemoteReset();
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    const error = isQstpError(err) ? err : qstpError("P2P_CONNECTION_FAILED", `secured connection failed: ${errorMessage(err)}`, {}, err);
    this.#onFailure(error);
    this.abort(error);
  }

  override sendData(data: Uint8ArrayList): SendResult {
    if (this.#failed || this.#closed) return { sentBytes: data.byteLength, canSendMore: false };
    this.#pending.append(data);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return { sentBytes: data.byteLength, canSendMore: this.#rawCanSendMore };
  }

  /** Seals everything written since the last flush and hands it to the raw connection. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#failed || this.#closed || this.#pending.byteLength === 0) return;
    const plaintext = new Uint8ArrayList(...this.#pending);
    this.#pending.consume(this.#pending.byteLength);
    try {
      this.#rawCanSendMore = this.#raw.send(this.#sealer.seal(plaintext));
    } catch (err) {
      this.#fail(err);
    }
  }

  override sendReset(err: Error): void {
    this.#raw.abort(err);
  }

  override sendPause(): void {
    this.#raw.pause();
  }

  override sendResume(): void {
    this.#raw.resume();
  }

  override async close(options?: AbortOptions): Promise<void> {
    this.#flush();
    await this.#raw.close(options);
  }
}
