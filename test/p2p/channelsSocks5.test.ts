import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeConnectRequest, ipv6Bytes, isChannelError, socks5Connect, type Socks5ConnectOptions } from "../../src/p2p/channels/index.ts";
import { startSocks5Server, type Socks5ServerOptions, type Socks5TestServer } from "./socks5Server.ts";

/** A TCP server on 127.0.0.1 that greets every client with "hello" and echoes what it receives. */
async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.write("hello");
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function readBytes(socket: Socket, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.length >= size) resolve(text);
    });
    socket.once("error", reject);
  });
}

async function withProxy<T>(opts: Socks5ServerOptions, run: (proxy: Socks5TestServer) => Promise<T>): Promise<T> {
  const proxy = await startSocks5Server(opts);
  try {
    return await run(proxy);
  } finally {
    await proxy.close();
  }
}

async function socks5Code(opts: Partial<Socks5ConnectOptions> & Pick<Socks5ConnectOptions, "proxy" | "target">): Promise<string> {
  try {
    const socket = await socks5Connect({ timeoutMs: 2_000, ...opts });
    socket.destroy();
  } catch (err) {
    assert.ok(isChannelError(err), `a typed channel error, got ${String(err)}`);
    return err.code;
  }
  throw new Error("expected socks5Connect to fail");
}

describe("SOCKS5 client against a proxy on 127.0.0.1", () => {
  let echo: { port: number; close(): Promise<void> };
  before(async () => {
    echo = await startEchoServer();
  });
  after(async () => {
    await echo.close();
  });

  it("connects to an IPv4 target without authentication and carries bytes both ways", async () => {
    await withProxy({}, async (proxy) => {
      const socket = await socks5Connect({ proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "127.0.0.1", port: echo.port }, timeoutMs: 2_000 });
      try {
        assert.equal(await readBytes(socket, 5), "hello");
        const echoed = readBytes(socket, 4);
        socket.write("ping");
        assert.equal(await echoed, "ping");
        assert.equal(proxy.stats.connectionsRelayed, 1);
        assert.deepEqual(proxy.stats.targets, [`127.0.0.1:${echo.port}`]);
      } finally {
        socket.destroy();
      }
    });
  });

  it("sends a domain name to the proxy unresolved, which is how an .onion name is reached", async () => {
    await withProxy({ names: { "exampleonionaddress.onion": "127.0.0.1" } }, async (proxy) => {
      const socket = await socks5Connect({ proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "exampleonionaddress.onion", port: echo.port }, timeoutMs: 2_000 });
      socket.destroy();
      assert.deepEqual(proxy.stats.targets, [`exampleonionaddress.onion:${echo.port}`]);
      assert.equal(proxy.stats.connectionsRelayed, 1);
    });
  });

  it("keeps bytes the target sent in the same segment as the proxy's reply", async () => {
    await withProxy({ behaviour: { kind: "earlyData", bytes: new TextEncoder().encode("early bird") } }, async (proxy) => {
      const socket = await socks5Connect({ proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "127.0.0.1", port: echo.port }, timeoutMs: 2_000 });
      try {
        assert.equal(await readBytes(socket, 10), "early bird");
      } finally {
        socket.destroy();
      }
    });
  });

  it("authenticates with the right username/password and is refused with wrong ones", async () => {
    await withProxy({ credentials: { username: "alice", password: "s3cret" } }, async (proxy) => {
      const base = { proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "127.0.0.1", port: echo.port } };
      const socket = await socks5Connect({ ...base, credentials: { username: "alice", password: "s3cret" }, timeoutMs: 2_000 });
      socket.destroy();
      assert.equal(proxy.stats.connectionsRelayed, 1);
      assert.equal(await socks5Code({ ...base, credentials: { username: "alice", password: "wrong" } }), "P2P_SOCKS5_AUTH_FAILED");
      assert.equal(await socks5Code(base), "P2P_SOCKS5_NO_ACCEPTABLE_METHOD", "no credentials offered to a proxy that needs them");
      assert.equal(proxy.stats.authFailures, 1);
      assert.equal(proxy.stats.connectionsRelayed, 1);
    });
  });

  it("a refusing, closing, garbage-speaking, truncating or silent proxy gives a typed error each", async () => {
    const target = { host: "127.0.0.1", port: echo.port };
    const cases: [Socks5ServerOptions["behaviour"], string][] = [
      [{ kind: "refuse", replyCode: 0x05 }, "P2P_SOCKS5_CONNECT_REFUSED"],
      [{ kind: "closeAfterGreeting" }, "P2P_SOCKS5_PROXY_CLOSED"],
      [{ kind: "garbageGreeting" }, "P2P_SOCKS5_MALFORMED_REPLY"],
      [{ kind: "shortReply" }, "P2P_SOCKS5_PROXY_CLOSED"],
      [{ kind: "badReplyAddressType" }, "P2P_SOCKS5_MALFORMED_REPLY"],
    ];
    for (const [behaviour, code] of cases) {
      await withProxy({ behaviour }, async (proxy) => {
        assert.equal(await socks5Code({ proxy: { host: "127.0.0.1", port: proxy.port }, target }), code, `behaviour ${behaviour?.kind}`);
      });
    }
    await withProxy({ behaviour: { kind: "silent" } }, async (proxy) => {
      assert.equal(await socks5Code({ proxy: { host: "127.0.0.1", port: proxy.port }, target, timeoutMs: 200 }), "P2P_SOCKS5_TIMEOUT");
    });
    assert.equal(await socks5Code({ proxy: { host: "127.0.0.1", port: await deadPort() }, target }), "P2P_SOCKS5_PROXY_UNREACHABLE");
  });

  it("a refusal carries the RFC 1928 reply code and reason", async () => {
    await withProxy({ behaviour: { kind: "refuse", replyCode: 0x04 } }, async (proxy) => {
      await assert.rejects(socks5Connect({ proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "127.0.0.1", port: echo.port }, timeoutMs: 2_000 }), (err) => {
        assert.ok(isChannelError(err));
        assert.deepEqual(err.meta, { replyCode: 4, reason: "host unreachable" });
        return true;
      });
    });
  });

  it("refuses bad input before any byte goes out", async () => {
    const proxy = { host: "127.0.0.1", port: await deadPort() };
    assert.equal(await socks5Code({ proxy, target: { host: "127.0.0.1", port: 0 } }), "P2P_SOCKS5_INVALID_TARGET");
    assert.equal(await socks5Code({ proxy, target: { host: "bad host!", port: 80 } }), "P2P_SOCKS5_INVALID_TARGET");
    assert.equal(await socks5Code({ proxy, target: { host: "a".repeat(256), port: 80 } }), "P2P_SOCKS5_INVALID_TARGET");
    assert.equal(await socks5Code({ proxy, target: { host: "127.0.0.1", port: 80 }, credentials: { username: "", password: "x" } }), "P2P_SOCKS5_INVALID_CREDENTIALS");
  });

  it("an aborted signal ends the negotiation with P2P_CHANNEL_DIAL_ABORTED", async () => {
    await withProxy({ behaviour: { kind: "silent" } }, async (proxy) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const code = await socks5Code({ proxy: { host: "127.0.0.1", port: proxy.port }, target: { host: "127.0.0.1", port: echo.port }, signal: controller.signal });
      assert.equal(code, "P2P_CHANNEL_DIAL_ABORTED");
    });
  });
});

describe("SOCKS5 CONNECT request encoding", () => {
  it("encodes IPv4, IPv6 (with :: and an IPv4 tail) and domain targets per RFC 1928", () => {
    assert.deepEqual([...encodeConnectRequest({ host: "10.1.2.3", port: 9050 })], [5, 1, 0, 1, 10, 1, 2, 3, 0x23, 0x5a]);
    assert.deepEqual([...encodeConnectRequest({ host: "::1", port: 1 })], [5, 1, 0, 4, ...new Array(15).fill(0), 1, 0, 1]);
    assert.deepEqual([...encodeConnectRequest({ host: "ab.i2p", port: 256 })], [5, 1, 0, 3, 6, ...new TextEncoder().encode("ab.i2p"), 1, 0]);
    assert.deepEqual([...ipv6Bytes("2001:db8::ff00:42:8329")], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]);
    assert.deepEqual([...ipv6Bytes("::ffff:10.0.0.1")], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    assert.deepEqual([...ipv6Bytes("1:2:3:4:5:6:7:8")], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    assert.deepEqual([...ipv6Bytes("fe80::")], [0xfe, 0x80, ...new Array(14).fill(0)]);
  });
});
