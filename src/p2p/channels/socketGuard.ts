/**
 * The failure side of opening a raw socket: a deadline, the caller's abort signal and socket
 * errors all end the attempt with a typed error and destroy the socket, so a failed dial
 * never leaves a half-open socket or an unhandled 'error' event behind.
 */
import type { Socket } from "node:net";
import { channelError, type ChannelErrorCode } from "./errors.ts";

export type SocketGuardOptions = {
  /** Whole attempt: TCP connect plus whatever `work` does on the socket. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Error before the TCP connection is up. */
  readonly unreachableCode: ChannelErrorCode;
  readonly timeoutCode: ChannelErrorCode;
  /** Error or close after the TCP connection is up. */
  readonly closedCode: ChannelErrorCode;
  /** "the proxy 127.0.0.1:9050", "127.0.0.1:4001": for messages. */
  readonly what: string;
};

/** Runs `work` on a socket just created by net.connect; on any failure destroys the socket and rethrows. */
export async function guardSocket<T>(socket: Socket, opts: SocketGuardOptions, work: () => Promise<T>): Promise<T> {
  let connected = false;
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_resolve, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const onConnect = (): void => {
    connected = true;
  };
  const onError = (err: Error): void => {
    const code = connected ? opts.closedCode : opts.unreachableCode;
    fail(channelError(code, `${opts.what}: ${connected ? "connection failed" : "cannot connect"} (${err.message})`, { connected }, err));
  };
  const onClose = (): void => {
    if (connected) fail(channelError(opts.closedCode, `${opts.what} closed the connection`, {}));
  };
  const onAbort = (): void => {
    fail(channelError("P2P_CHANNEL_DIAL_ABORTED", `dial through ${opts.what} aborted`, {}, opts.signal?.reason));
  };
  const timer = setTimeout(() => {
    fail(channelError(opts.timeoutCode, `${opts.what} did not complete within ${opts.timeoutMs} ms`, { timeoutMs: opts.timeoutMs }));
  }, opts.timeoutMs);
  socket.once("connect", onConnect);
  socket.on("error", onError);
  socket.once("close", onClose);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted === true) onAbort();
  try {
    return await Promise.race([work(), failed]);
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    socket.removeListener("connect", onConnect);
    socket.removeListener("error", onError);
    socket.removeListener("close", onClose);
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/** Resolves once the socket is connected (failures arrive through the guard). */
export function connected(socket: Socket): Promise<void> {
  if (!socket.connecting && !socket.pending) return Promise.resolve();
  return new Promise((resolve) => socket.once("connect", () => resolve()));
}

/**
 * Reads exactly `size` bytes in paused mode (`socket.read(size)`), leaving anything after
 * them in the socket's buffer for whoever reads next: the peer may speak right after the
 * proxy's reply, in the same TCP segment.
 */
export function readExact(socket: Socket, size: number, step: string, closedCode: ChannelErrorCode): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      socket.removeListener("readable", attempt);
      socket.removeListener("end", onEnd);
      socket.removeListener("close", onEnd);
    };
    const onEnd = (): void => {
      done();
      reject(channelError(closedCode, `the connection closed during ${step} (short reply)`, { step, sizeBytesExpected: size, sizeBytesReceived: 0 }));
    };
    function attempt(): void {
      const chunk = socket.read(size) as Buffer | null;
      if (chunk === null) return;
      done();
      if (chunk.byteLength < size) {
        reject(channelError(closedCode, `the connection closed during ${step} (short reply)`, { step, sizeBytesExpected: size, sizeBytesReceived: chunk.byteLength }));
        return;
      }
      resolve(new Uint8Array(chunk));
    }
    socket.on("readable", attempt);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    attempt();
  });
}
