/** Opening a raw byte stream to a dial target through one channel. */
import { connect, type Socket } from "node:net";
import type { DialTarget } from "./address.ts";
import type { ResolvedChannel } from "./options.ts";
import { connected, guardSocket } from "./socketGuard.ts";
import { socks5Connect } from "./socks5Client.ts";

/** Whether the channel can reach this target at all (a direct channel cannot reach .onion). */
export function channelCanDial(channel: ResolvedChannel, target: DialTarget): boolean {
  return channel.kind === "socks5" || !target.proxyOnly;
}

export async function openChannelSocket(channel: ResolvedChannel, target: DialTarget, signal: AbortSignal | undefined): Promise<Socket> {
  if (channel.kind === "socks5") {
    return socks5Connect({
      proxy: channel.proxy,
      target: { host: target.host, port: target.port },
      credentials: channel.credentials,
      timeoutMs: channel.connectTimeoutMs,
      signal,
    });
  }
  const socket = connect({ host: target.host, port: target.port, family: target.family, noDelay: true, keepAlive: true });
  const what = target.hostKind === "ip6" ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  await guardSocket(
    socket,
    {
      timeoutMs: channel.connectTimeoutMs,
      signal,
      unreachableCode: "P2P_CHANNEL_CONNECT_FAILED",
      timeoutCode: "P2P_CHANNEL_CONNECT_TIMEOUT",
      closedCode: "P2P_CHANNEL_CONNECT_FAILED",
      what,
    },
    () => connected(socket),
  );
  return socket;
}
