/**
 * SOCKS5 CONNECT client (RFC 1928, RFC 1929): opens a TCP connection to the proxy, negotiates
 * and returns the socket, now a byte pipe to the target. This is how Tor (SOCKSPort, default
 * 127.0.0.1:9050) and I2P (its SOCKS tunnel) are reached. Domain names are handed to the proxy
 * unresolved so no DNS query leaves the machine for a .onion or .i2p name.
 */
import { connect, type Socket } from "node:net";
import { connected, guardSocket, readExact } from "./socketGuard.ts";
import {
  encodeConnectRequest,
  encodeGreeting,
  encodeUsernamePassword,
  parseAuthStatus,
  parseBoundDomainLength,
  parseConnectReplyHead,
  parseMethodSelection,
  Socks5Method,
  type Socks5Credentials,
  type Socks5Target,
} from "./socks5Wire.ts";

export type HostPort = { readonly host: string; readonly port: number };

export type Socks5ConnectOptions = {
  readonly proxy: HostPort;
  readonly target: Socks5Target;
  /** When set, only username/password is offered: a proxy that skips it is not the one configured. */
  readonly credentials?: Socks5Credentials | undefined;
  /** Whole negotiation: TCP connect to the proxy, authentication and the proxy's CONNECT. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
};

/**
 * @throws P2P_SOCKS5_INVALID_TARGET / _INVALID_CREDENTIALS before any I/O; P2P_SOCKS5_PROXY_UNREACHABLE,
 * _TIMEOUT, _PROXY_CLOSED, _MALFORMED_REPLY, _NO_ACCEPTABLE_METHOD, _AUTH_FAILED, _CONNECT_REFUSED,
 * P2P_CHANNEL_DIAL_ABORTED. On failure the socket is destroyed.
 */
export async function socks5Connect(opts: Socks5ConnectOptions): Promise<Socket> {
  const methods = opts.credentials === undefined ? [Socks5Method.noAuth] : [Socks5Method.usernamePassword];
  // Encode everything first: bad input fails before a byte goes out.
  const greeting = encodeGreeting(methods);
  const authentication = opts.credentials === undefined ? undefined : encodeUsernamePassword(opts.credentials);
  const request = encodeConnectRequest(opts.target);
  const what = `the SOCKS5 proxy ${opts.proxy.host}:${opts.proxy.port}`;
  const socket = connect({ host: opts.proxy.host, port: opts.proxy.port, noDelay: true, keepAlive: true });
  const read = (size: number, step: string): Promise<Uint8Array> => readExact(socket, size, step, "P2P_SOCKS5_PROXY_CLOSED");
  const guard = {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    unreachableCode: "P2P_SOCKS5_PROXY_UNREACHABLE",
    timeoutCode: "P2P_SOCKS5_TIMEOUT",
    closedCode: "P2P_SOCKS5_PROXY_CLOSED",
    what,
  } as const;
  await guardSocket(socket, guard, async () => {
    await connected(socket);
    socket.write(greeting);
    const method = parseMethodSelection(await read(2, "method selection"), methods);
    if (method === Socks5Method.usernamePassword && authentication !== undefined) {
      socket.write(authentication);
      parseAuthStatus(await read(2, "username/password authentication"));
    }
    socket.write(request);
    const rest = parseConnectReplyHead(await read(4, "the CONNECT reply"));
    const restBytes = rest.kind === "fixed" ? rest.restBytes : parseBoundDomainLength(await read(1, "the CONNECT reply"));
    await read(restBytes, "the CONNECT reply");
  });
  return socket;
}
