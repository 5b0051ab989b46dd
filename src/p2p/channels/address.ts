/**
 * Which multiaddrs a channel can dial: `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>` with an
 * optional trailing `/p2p/<peer>`. A name under `.onion` or `.i2p` exists only inside its
 * overlay, so only a proxy channel may dial it (a direct dial would leak a DNS query).
 */
import type { Multiaddr } from "@multiformats/multiaddr";

export const HostKind = { ip4: "ip4", ip6: "ip6", dns: "dns" } as const;
export type HostKind = (typeof HostKind)[keyof typeof HostKind];

export type DialTarget = {
  readonly host: string;
  readonly port: number;
  readonly hostKind: HostKind;
  /** Address family a direct dial should resolve a name to: 4 for /dns4, 6 for /dns6, 0 for either. */
  readonly family: 0 | 4 | 6;
  /** True for overlay names (.onion, .i2p) that only a proxy can reach. */
  readonly proxyOnly: boolean;
};

const OVERLAY_SUFFIXES: readonly string[] = [".onion", ".i2p"];
const HOST_PROTOCOLS: Readonly<Record<string, HostKind>> = { ip4: "ip4", ip6: "ip6", dns: "dns", dns4: "dns", dns6: "dns" };

/** The dial target of a multiaddr, or undefined when no channel can dial it. */
export function dialTargetFromMultiaddr(address: Multiaddr): DialTarget | undefined {
  const components = address.getComponents();
  const [hostPart, portPart, ...rest] = components;
  if (hostPart === undefined || portPart === undefined || hostPart.value === undefined || portPart.value === undefined) return undefined;
  const hostKind = HOST_PROTOCOLS[hostPart.name];
  if (hostKind === undefined || portPart.name !== "tcp") return undefined;
  if (rest.length > 1 || (rest.length === 1 && rest[0]?.name !== "p2p")) return undefined;
  const port = Number(portPart.value);
  if (!Number.isSafeInteger(port) || port < 1 || port > 65_535) return undefined;
  const host = hostPart.value;
  const lower = host.toLowerCase();
  const proxyOnly = hostKind === "dns" && OVERLAY_SUFFIXES.some((suffix) => lower.endsWith(suffix));
  const family = hostPart.name === "dns4" || hostKind === "ip4" ? 4 : hostPart.name === "dns6" || hostKind === "ip6" ? 6 : 0;
  return { host, port, hostKind, family, proxyOnly };
}
