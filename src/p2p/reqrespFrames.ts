import { Uint8ArrayList } from "uint8arraylist";
import { utf8 } from "../util/index.ts";
import { p2pError, type P2pHostError, type P2pHostErrorCode } from "./errors.ts";

/**
 * Request/response wire format. Each stream carries exactly one exchange:
 *   client → server: varint length | request bytes, then the client closes its write side
 *   server → client: varint length | status (u8) | body, then the server closes
 * For status ok the body is the response; for an error status it is a UTF-8 message of at
 * most ERROR_MESSAGE_BYTES_MAX bytes. Lengths are checked against the limit before the body
 * is read (lpStream's maxDataLength), so a claimed length never allocates.
 */
export const ResponseStatus = { ok: 0, invalidRequest: 1, serverError: 2, resourceUnavailable: 3 } as const;
export type ResponseStatus = (typeof ResponseStatus)[keyof typeof ResponseStatus];

export const ERROR_MESSAGE_BYTES_MAX = 256;
/** The status byte in front of every response body. */
export const RESPONSE_STATUS_SIZE_BYTES = 1;

/** Well-known request protocol names (the node registers their handlers). */
export const RequestProtocol = { blocksByRange: "blocksByRange" } as const;
export type RequestProtocol = (typeof RequestProtocol)[keyof typeof RequestProtocol];

const NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9]{0,63}$/;

/**
 * The wire version of each well-known protocol whose messages changed since version 1. A new
 * message format (or a new meaning of the same bytes) takes a new version, so that nodes of
 * different versions find no common protocol instead of misreading each other.
 * blocksByRange 2: a qc may be left out (node/p2p/syncWire.ts). consensus 2 (the validators'
 * unicast links, node/p2p/unicast.ts): a proposal's signature is its leader's vote
 * (docs/decisions/0200, session 21).
 */
const REQUEST_PROTOCOL_VERSIONS: ReadonlyMap<string, number> = new Map([
  [RequestProtocol.blocksByRange, 2],
  ["consensus", 2],
]);

/** `/ghostmesh/<chainId>/req/<name>/<version>`. @throws GhostmeshError P2P_INVALID_OPTIONS for a bad name. */
export function requestProtocolId(chainId: string, name: string): string {
  return `${requestProtocolPrefix(chainId, name)}${REQUEST_PROTOCOL_VERSIONS.get(name) ?? 1}`;
}

/** `/ghostmesh/<chainId>/req/<name>/`, which every version of the protocol starts with. @throws GhostmeshError P2P_INVALID_OPTIONS for a bad name. */
export function requestProtocolPrefix(chainId: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw p2pError("P2P_INVALID_OPTIONS", `a request protocol name is 1-64 ASCII letters and digits starting with a letter, got ${JSON.stringify(name)}`, { name });
  }
  return `/ghostmesh/${chainId}/req/${name}/`;
}

export function encodeResponse(status: ResponseStatus, body: Uint8Array): Uint8ArrayList {
  return new Uint8ArrayList(new Uint8Array([status]), body);
}

export function encodeErrorResponse(status: Exclude<ResponseStatus, 0>, message: string): Uint8ArrayList {
  return encodeResponse(status, truncateUtf8(message, ERROR_MESSAGE_BYTES_MAX));
}

const REMOTE_ERROR_CODE = {
  [ResponseStatus.invalidRequest]: "P2P_REMOTE_INVALID_REQUEST",
  [ResponseStatus.serverError]: "P2P_REMOTE_SERVER_ERROR",
  [ResponseStatus.resourceUnavailable]: "P2P_REMOTE_RESOURCE_UNAVAILABLE",
} as const satisfies Record<Exclude<ResponseStatus, 0>, P2pHostErrorCode>;

/**
 * The body of an ok response, or the typed error an error response stands for.
 * @throws GhostmeshError P2P_RESPONSE_MALFORMED (empty frame, unknown status, oversized message).
 */
export function decodeResponse(frame: Uint8Array, protocol: string): { readonly body: Uint8Array } | { readonly error: P2pHostError } {
  const status = frame[0];
  if (status === ResponseStatus.ok) return { body: frame.subarray(RESPONSE_STATUS_SIZE_BYTES) };
  if (status === ResponseStatus.invalidRequest || status === ResponseStatus.serverError || status === ResponseStatus.resourceUnavailable) {
    const messageBytes = frame.subarray(RESPONSE_STATUS_SIZE_BYTES);
    if (messageBytes.byteLength <= ERROR_MESSAGE_BYTES_MAX) {
      const remoteMessage = new TextDecoder("utf-8", { fatal: false }).decode(messageBytes);
      return { error: p2pError(REMOTE_ERROR_CODE[status], `peer answered ${protocol} with an error: ${remoteMessage}`, { protocol, status, remoteMessage }) };
    }
  }
  throw p2pError("P2P_RESPONSE_MALFORMED", `malformed ${protocol} response (status ${String(status)}, ${frame.byteLength} bytes)`, {
    protocol,
    status,
    sizeBytes: frame.byteLength,
  });
}

/** At most `bytesMax` bytes of UTF-8, cut at a character boundary. */
function truncateUtf8(text: string, bytesMax: number): Uint8Array {
  const bytes = utf8(text);
  if (bytes.byteLength <= bytesMax) return bytes;
  let end = bytesMax;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}
