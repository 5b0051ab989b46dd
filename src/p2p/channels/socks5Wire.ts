/**
 * SOCKS5 (RFC 1928) and its username/password sub-negotiation (RFC 1929), as pure encoders
 * and strict parsers over exact-size byte slices. The client reads exactly the bytes each
 * step needs, so a parser never sees more than its message: anything unexpected is refused.
 */
import { isIPv4, isIPv6 } from "node:net";
import { assert, utf8 } from "../../util/index.ts";
import { channelError } from "./errors.ts";

export const SOCKS5_VERSION = 0x05;
export const SOCKS5_AUTH_VERSION = 0x01;
export const Socks5Method = { noAuth: 0x00, usernamePassword: 0x02, noneAcceptable: 0xff } as const;
export type Socks5Method = (typeof Socks5Method)[keyof typeof Socks5Method];
export const SOCKS5_COMMAND_CONNECT = 0x01;
export const Socks5AddressType = { ipv4: 0x01, domain: 0x03, ipv6: 0x04 } as const;
export type Socks5AddressType = (typeof Socks5AddressType)[keyof typeof Socks5AddressType];

/** RFC 1928 §6 reply field, for error messages an operator can act on. */
export const SOCKS5_REPLY_REASONS: Readonly<Record<number, string>> = {
  0x01: "general SOCKS server failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
};

/** Where the proxy should connect: an IPv4/IPv6 literal or a domain name the proxy resolves. */
export type Socks5Target = { readonly host: string; readonly port: number };
export type Socks5Credentials = { readonly username: string; readonly password: string };

/** RFC 1929 fields are one length byte each: 1..255 bytes. */
export const SOCKS5_CREDENTIAL_BYTES_MAX = 255;
export const SOCKS5_DOMAIN_BYTES_MAX = 255;

export function encodeGreeting(methods: readonly Socks5Method[]): Uint8Array {
  assert(methods.length >= 1 && methods.length <= 255, "SOCKS5 greeting offers 1..255 methods");
  return new Uint8Array([SOCKS5_VERSION, methods.length, ...methods]);
}

/** Server's method selection: exactly `VER METHOD`; the method must be one we offered. */
export function parseMethodSelection(reply: Uint8Array, offered: readonly Socks5Method[]): Socks5Method {
  assert(reply.byteLength === 2, "method selection is 2 bytes");
  const [version, method] = [reply[0]!, reply[1]!];
  if (version !== SOCKS5_VERSION) {
    throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy did not answer as a SOCKS5 server (wrong version in method selection)", { version });
  }
  if (method === Socks5Method.noneAcceptable) {
    throw channelError("P2P_SOCKS5_NO_ACCEPTABLE_METHOD", "the proxy accepts none of the offered authentication methods; check whether it needs a username/password", {
      offered: [...offered],
    });
  }
  const chosen = offered.find((m) => m === method);
  if (chosen === undefined) {
    throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy chose an authentication method that was not offered", { method, offered: [...offered] });
  }
  return chosen;
}

export function encodeUsernamePassword(credentials: Socks5Credentials): Uint8Array {
  const username = utf8(credentials.username);
  const password = utf8(credentials.password);
  for (const [field, bytes] of [["username", username], ["password", password]] as const) {
    if (bytes.byteLength < 1 || bytes.byteLength > SOCKS5_CREDENTIAL_BYTES_MAX) {
      throw channelError("P2P_SOCKS5_INVALID_CREDENTIALS", `the SOCKS5 ${field} must be 1..255 bytes`, {
        field,
        sizeBytes: bytes.byteLength,
        sizeBytesMax: SOCKS5_CREDENTIAL_BYTES_MAX,
      });
    }
  }
  return new Uint8Array([SOCKS5_AUTH_VERSION, username.byteLength, ...username, password.byteLength, ...password]);
}

/** RFC 1929 status: exactly `VER STATUS`; any status but 0 is a refusal. */
export function parseAuthStatus(reply: Uint8Array): void {
  assert(reply.byteLength === 2, "auth status is 2 bytes");
  if (reply[0] !== SOCKS5_AUTH_VERSION) {
    throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy's username/password reply has the wrong version", { version: reply[0] });
  }
  if (reply[1] !== 0x00) {
    throw channelError("P2P_SOCKS5_AUTH_FAILED", "the proxy refused the username/password", { status: reply[1] });
  }
}

export function encodeConnectRequest(target: Socks5Target): Uint8Array {
  if (!Number.isSafeInteger(target.port) || target.port < 1 || target.port > 65_535) {
    throw channelError("P2P_SOCKS5_INVALID_TARGET", "the target port must be 1..65535", { port: target.port });
  }
  const address = encodeAddress(target.host);
  const out = new Uint8Array(3 + address.byteLength + 2);
  out.set([SOCKS5_VERSION, SOCKS5_COMMAND_CONNECT, 0x00]);
  out.set(address, 3);
  out[out.byteLength - 2] = target.port >>> 8;
  out[out.byteLength - 1] = target.port & 0xff;
  return out;
}

/** ATYP followed by the address; names go to the proxy unresolved (no local DNS lookup). */
function encodeAddress(host: string): Uint8Array {
  if (isIPv4(host)) return new Uint8Array([Socks5AddressType.ipv4, ...host.split(".").map(Number)]);
  if (isIPv6(host)) return new Uint8Array([Socks5AddressType.ipv6, ...ipv6Bytes(host)]);
  const name = utf8(host);
  if (name.byteLength < 1 || name.byteLength > SOCKS5_DOMAIN_BYTES_MAX || !/^[A-Za-z0-9.-]+$/.test(host)) {
    throw channelError("P2P_SOCKS5_INVALID_TARGET", "the target host must be an IP address or a domain name of 1..255 letters, digits, dots and hyphens", {
      sizeBytes: name.byteLength,
    });
  }
  return new Uint8Array([Socks5AddressType.domain, name.byteLength, ...name]);
}

/** 16 bytes of an IPv6 literal already accepted by net.isIPv6 (zone ids refused). */
export function ipv6Bytes(host: string): Uint8Array {
  if (host.includes("%")) throw channelError("P2P_SOCKS5_INVALID_TARGET", "IPv6 zone ids cannot be sent to a proxy", { host });
  let text = host;
  let v4Groups: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    // An embedded IPv4 tail ("::ffff:10.0.0.1") is the last two groups.
    const octets = last.split(".").map(Number);
    v4Groups = [(octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const groupsOf = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const halves = text.split("::");
  const head = groupsOf(halves[0] ?? "");
  let groups: number[];
  if (halves.length === 2) {
    const tail = [...groupsOf(halves[1] ?? ""), ...v4Groups];
    const zeros = 8 - head.length - tail.length;
    assert(zeros >= 0, "IPv6 literal has at most 8 groups");
    groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  } else {
    groups = [...head, ...v4Groups];
  }
  assert(groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff), "IPv6 literal expands to 8 16-bit groups");
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[2 * i] = group >>> 8;
    out[2 * i + 1] = group & 0xff;
  });
  return out;
}

/** How many more bytes a CONNECT reply carries after its 4-byte head. */
export type ReplyRest = { readonly kind: "fixed"; readonly restBytes: number } | { readonly kind: "domain" };

/** `VER REP RSV ATYP`: wrong version/reserved/type is garbage, REP != 0 is a refusal. */
export function parseConnectReplyHead(head: Uint8Array): ReplyRest {
  assert(head.byteLength === 4, "connect reply head is 4 bytes");
  const [version, reply, reserved, addressType] = [head[0]!, head[1]!, head[2]!, head[3]!];
  if (version !== SOCKS5_VERSION) {
    throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy's CONNECT reply has the wrong version", { version });
  }
  if (reply !== 0x00) {
    const reason = SOCKS5_REPLY_REASONS[reply] ?? "unassigned reply code";
    throw channelError("P2P_SOCKS5_CONNECT_REFUSED", `the proxy could not connect to the target: ${reason}`, { replyCode: reply, reason });
  }
  if (reserved !== 0x00) {
    throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy's CONNECT reply has a non-zero reserved byte", { reserved });
  }
  if (addressType === Socks5AddressType.ipv4) return { kind: "fixed", restBytes: 4 + 2 };
  if (addressType === Socks5AddressType.ipv6) return { kind: "fixed", restBytes: 16 + 2 };
  if (addressType === Socks5AddressType.domain) return { kind: "domain" };
  throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy's CONNECT reply has an unknown address type", { addressType });
}

/** The length byte of a domain-typed bound address; the rest is name + 2-byte port. */
export function parseBoundDomainLength(lengthByte: Uint8Array): number {
  assert(lengthByte.byteLength === 1, "domain length is 1 byte");
  const length = lengthByte[0]!;
  if (length === 0) throw channelError("P2P_SOCKS5_MALFORMED_REPLY", "the proxy's CONNECT reply has an empty bound domain name", {});
  return length + 2;
}
