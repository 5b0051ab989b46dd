import type { MessageStream } from "@libp2p/interface";
import { byteStream, type ByteStream } from "@libp2p/utils";
import { concatBytes, errorMessage } from "../../util/index.ts";
import { HANDSHAKE_LENGTH_PREFIX_SIZE_BYTES, HANDSHAKE_MESSAGE_SIZE_BYTES_MAX } from "./constants.ts";
import { isQstpError, qstpError, type QstpError } from "./errors.ts";
import { InitiatorHandshake, ResponderHandshake, type HandshakeParams } from "./handshake.ts";
import { u16Bytes } from "./reader.ts";
import type { HandshakeResult } from "./types.ts";

/**
 * Bytes a peer may have in flight before we read them: three handshake messages plus the
 * first records the initiator sends right after its last message.
 */
const HANDSHAKE_READ_BUFFER_BYTES_MAX = 1024 * 1024;

export type HandshakeIoOptions = { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined };

/** Reads one u16-length-prefixed handshake message; the length is checked before the body is awaited. */
async function readMessage(bytes: ByteStream<MessageStream>, signal: AbortSignal): Promise<Uint8Array> {
  const prefix = (await bytes.read({ bytes: HANDSHAKE_LENGTH_PREFIX_SIZE_BYTES, signal })).subarray();
  const sizeBytes = ((prefix[0] as number) << 8) | (prefix[1] as number);
  if (sizeBytes > HANDSHAKE_MESSAGE_SIZE_BYTES_MAX) {
    throw qstpError("P2P_HANDSHAKE_MESSAGE_TOO_LARGE", `handshake message claims ${sizeBytes} bytes, at most ${HANDSHAKE_MESSAGE_SIZE_BYTES_MAX} allowed`, {
      sizeBytes,
      sizeBytesMax: HANDSHAKE_MESSAGE_SIZE_BYTES_MAX,
    });
  }
  if (sizeBytes === 0) throw qstpError("P2P_HANDSHAKE_MALFORMED", "empty handshake message");
  return (await bytes.read({ bytes: sizeBytes, signal })).subarray();
}

async function writeMessage(bytes: ByteStream<MessageStream>, message: Uint8Array, signal: AbortSignal): Promise<void> {
  await bytes.write(concatBytes([u16Bytes(message.byteLength), message]), { signal });
}

/** Every failure as a QstpError: ours pass through, a timeout or a dropped connection is named. */
function handshakeError(err: unknown, timeout: AbortSignal): QstpError {
  if (isQstpError(err)) return err;
  if (timeout.aborted) {
    return qstpError("P2P_HANDSHAKE_TIMEOUT", "the qstp handshake did not finish in time", {}, err);
  }
  return qstpError("P2P_HANDSHAKE_CONNECTION_CLOSED", `the connection failed during the qstp handshake: ${errorMessage(err)}`, {}, err);
}

/**
 * Runs `steps` over `connection` with the handshake timeout; on failure aborts the connection
 * and throws a QstpError. On success returns the connection with any bytes read past the last
 * handshake message pushed back, so the record layer sees them first.
 */
async function runHandshake(
  connection: MessageStream,
  options: HandshakeIoOptions,
  steps: (bytes: ByteStream<MessageStream>, signal: AbortSignal) => Promise<HandshakeResult>,
): Promise<HandshakeResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  const bytes = byteStream(connection, { maxBufferSize: HANDSHAKE_READ_BUFFER_BYTES_MAX });
  try {
    const result = await steps(bytes, signal);
    bytes.unwrap();
    return result;
  } catch (err) {
    const error = handshakeError(err, timeout);
    bytes.unwrap();
    connection.abort(error);
    throw error;
  }
}

/** @throws GhostmeshError P2P_HANDSHAKE_* or P2P_PEER_NOT_ALLOWED; the connection is then aborted. */
export function performHandshakeInitiator(connection: MessageStream, params: HandshakeParams, options: HandshakeIoOptions): Promise<HandshakeResult> {
  return runHandshake(connection, options, async (bytes, signal) => {
    const handshake = new InitiatorHandshake(params);
    await writeMessage(bytes, handshake.helloMessage, signal);
    const { finishMessage, result } = await handshake.readResponderHello(await readMessage(bytes, signal));
    await writeMessage(bytes, finishMessage, signal);
    return result;
  });
}

/** @throws GhostmeshError P2P_HANDSHAKE_* or P2P_PEER_NOT_ALLOWED; the connection is then aborted. */
export function performHandshakeResponder(connection: MessageStream, params: HandshakeParams, options: HandshakeIoOptions): Promise<HandshakeResult> {
  return runHandshake(connection, options, async (bytes, signal) => {
    const handshake = new ResponderHandshake(params);
    const helloMessage = await handshake.readInitiatorHello(await readMessage(bytes, signal));
    await writeMessage(bytes, helloMessage, signal);
    return handshake.readInitiatorFinish(await readMessage(bytes, signal));
  });
}
