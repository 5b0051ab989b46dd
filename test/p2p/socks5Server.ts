/**
 * A small SOCKS5 server (RFC 1928 CONNECT, RFC 1929 username/password) for tests, on
 * 127.0.0.1 only. It relays only to loopback: IP targets must be 127.0.0.1/::1 and domain
 * names go through `names` (e.g. "abc.onion" → 127.0.0.1), so nothing leaves the machine.
 * `behaviour` makes it misbehave in the ways the client must refuse.
 */
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";

export type Socks5ServerBehaviour =
  | { kind: "relay" }
  | { kind: "refuse"; replyCode: number }
  | { kind: "closeAfterGreeting" }
  | { kind: "garbageGreeting" }
  | { kind: "shortReply" }
  | { kind: "badReplyAddressType" }
  | { kind: "silent" }
  /** Success reply and the first bytes "from the target" in one write, then close. */
  | { kind: "earlyData"; bytes: Uint8Array };

export type Socks5ServerOptions = {
  credentials?: { username: string; password: string };
  behaviour?: Socks5ServerBehaviour;
  /** Domain names the server "resolves"; each must map to a loopback address. */
  names?: Record<string, string>;
};

export type Socks5ServerStats = {
  connectionsAccepted: number;
  /** CONNECTs that reached their target and were relayed. */
  connectionsRelayed: number;
  authFailures: number;
  /** "host:port" of every CONNECT request, in arrival order. */
  targets: string[];
  bytesRelayed: number;
};

export type Socks5TestServer = { port: number; stats: Socks5ServerStats; close(): Promise<void> };

const LOOPBACK = new Set(["127.0.0.1", "::1"]);

/** Reads exact byte counts from a socket in flowing mode, keeping any surplus for the next read. */
class Reader {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;
  private readonly socket: Socket;
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiter?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.waiter?.();
    });
  }
  async read(size: number): Promise<Buffer> {
    while (this.buffered.byteLength < size) {
      if (this.ended) throw new Error("client closed");
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
    const out = this.buffered.subarray(0, size);
    this.buffered = this.buffered.subarray(size);
    return out;
  }
  /** Stops buffering and hands over what is left. */
  detach(): Buffer {
    this.socket.removeAllListeners("data");
    return this.buffered;
  }
}

export async function startSocks5Server(opts: Socks5ServerOptions = {}): Promise<Socks5TestServer> {
  const stats: Socks5ServerStats = { connectionsAccepted: 0, connectionsRelayed: 0, authFailures: 0, targets: [], bytesRelayed: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    stats.connectionsAccepted += 1;
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    serve(client, opts, stats, sockets).catch(() => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    port: address.port,
    stats,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function serve(client: Socket, opts: Socks5ServerOptions, stats: Socks5ServerStats, sockets: Set<Socket>): Promise<void> {
  const behaviour = opts.behaviour ?? { kind: "relay" };
  const reader = new Reader(client);
  const [version, methodCount] = await reader.read(2);
  assert.equal(version, 5);
  const methods = [...(await reader.read(methodCount!))];
  if (behaviour.kind === "silent") return;
  if (behaviour.kind === "garbageGreeting") return void client.end(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
  if (behaviour.kind === "closeAfterGreeting") return void client.end(Buffer.from([5]));
  const wanted = opts.credentials === undefined ? 0x00 : 0x02;
  if (!methods.includes(wanted)) return void client.end(Buffer.from([5, 0xff]));
  client.write(Buffer.from([5, wanted]));
  if (opts.credentials !== undefined && !(await authenticate(reader, client, opts.credentials))) {
    stats.authFailures += 1;
    return void client.end(Buffer.from([1, 1]));
  }
  const target = await readConnectRequest(reader, opts.names ?? {});
  stats.targets.push(`${target.requested}:${target.port}`);
  if (behaviour.kind === "refuse") return void client.end(Buffer.from([5, behaviour.replyCode, 0, 1, 0, 0, 0, 0, 0, 0]));
  if (behaviour.kind === "shortReply") return void client.end(Buffer.from([5, 0, 0, 1, 127]));
  if (behaviour.kind === "badReplyAddressType") return void client.end(Buffer.from([5, 0, 0, 9, 0, 0]));
  if (behaviour.kind === "earlyData") return void client.end(Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 1]), behaviour.bytes]));
  if (target.host === undefined) return void client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0]));
  await relay(client, reader, target.host, target.port, stats, sockets);
}

async function authenticate(reader: Reader, client: Socket, expected: { username: string; password: string }): Promise<boolean> {
  const [authVersion, usernameLength] = await reader.read(2);
  assert.equal(authVersion, 1);
  const username = (await reader.read(usernameLength!)).toString("utf8");
  const [passwordLength] = await reader.read(1);
  const password = (await reader.read(passwordLength!)).toString("utf8");
  if (username !== expected.username || password !== expected.password) return false;
  client.write(Buffer.from([1, 0]));
  return true;
}

/** host is the loopback address to connect to, undefined when the name is unknown. */
async function readConnectRequest(reader: Reader, names: Record<string, string>): Promise<{ requested: string; host: string | undefined; port: number }> {
  const [version, command, reserved, addressType] = await reader.read(4);
  assert.deepEqual([version, command, reserved], [5, 1, 0]);
  let requested: string;
  if (addressType === 1) requested = [...(await reader.read(4))].join(".");
  else if (addressType === 4) {
    const bytes = await reader.read(16);
    requested = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i).toString(16)).join(":");
    if (requested === "0:0:0:0:0:0:0:1") requested = "::1";
  } else {
    assert.equal(addressType, 3);
    const [length] = await reader.read(1);
    requested = (await reader.read(length!)).toString("utf8");
  }
  const port = (await reader.read(2)).readUInt16BE(0);
  const host = addressType === 3 ? names[requested] : requested;
  assert.ok(host === undefined || LOOPBACK.has(host), `the test proxy relays to loopback only, not ${host}`);
  return { requested, host, port };
}

async function relay(client: Socket, reader: Reader, host: string, port: number, stats: Socks5ServerStats, sockets: Set<Socket>): Promise<void> {
  const upstream = connect({ host, port });
  sockets.add(upstream);
  upstream.on("close", () => sockets.delete(upstream));
  const ok = await new Promise<boolean>((resolve) => {
    upstream.once("connect", () => resolve(true));
    upstream.once("error", () => resolve(false));
  });
  if (!ok) return void client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0]));
  stats.connectionsRelayed += 1;
  client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, upstream.localPort! >> 8, upstream.localPort! & 0xff]));
  const early = reader.detach();
  if (early.byteLength > 0) upstream.write(early);
  client.on("data", (chunk: Buffer) => {
    stats.bytesRelayed += chunk.byteLength;
    upstream.write(chunk);
  });
  upstream.on("data", (chunk: Buffer) => {
    stats.bytesRelayed += chunk.byteLength;
    client.write(chunk);
  });
  upstream.on("error", () => client.destroy());
  upstream.on("close", () => client.destroy());
  client.on("close", () => upstream.destroy());
}
