import type { AbortOptions, MessageStream, StreamCloseEvent, StreamMessageEvent } from "@libp2p/interface";
import { AbstractMessageStream, type SendResult } from "@libp2p/utils";
import type { Uint8ArrayList } from "uint8arraylist";
import { errorMessage } from "../../util/index.ts";
import { isQstpError, qstpError, type QstpError } from "./errors.ts";
import type { RecordOpener, RecordSealer } from "./recordLayer.ts";

/**
 * The secured connection handed to libp2p: plaintext in, records out. Any record-layer
 * failure aborts this stream and the raw connection under it (with the QstpError as reason)
 * and is reported once through `onFailure`; nothing is thrown into libp2p's event handlers.
 */
export class EncryptedStream extends AbstractMessageStream {
  readonly #raw: MessageStream;
  readonly #sealer: RecordSealer;
  readonly #opener: RecordOpener;
  readonly #onFailure: (error: QstpError) => void;
  #failed = false;

  constructor(raw: MessageStream, sealer: RecordSealer, opener: RecordOpener, onFailure: (error: QstpError) => void) {
    super({ log: raw.log, inactivityTimeout: raw.inactivityTimeout, maxReadBufferLength: raw.maxReadBufferLength, direction: raw.direction });
    this.#raw = raw;
    this.#sealer = sealer;
    this.#opener = opener;
    this.#onFailure = onFailure;
    raw.addEventListener("message", (event: StreamMessageEvent) => this.#onRawMessage(event.data));
    raw.addEventListener("close", (event: StreamCloseEvent) => this.#onRawClose(event));
    raw.addEventListener("drain", () => this.safeDispatchEvent("drain"));
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
    if (this.#failed) return { sentBytes: data.byteLength, canSendMore: false };
    try {
      return { sentBytes: data.byteLength, canSendMore: this.#raw.send(this.#sealer.seal(data)) };
    } catch (err) {
      // The connection is closing either way; aborting after this call returns keeps the
      // error out of the muxer that called send().
      queueMicrotask(() => this.#fail(err));
      return { sentBytes: data.byteLength, canSendMore: false };
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
    await this.#raw.close(options);
  }
}
