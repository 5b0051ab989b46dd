import { createServer, type Server } from "node:net";

/** Ports a development network may take at most at once. */
const FREE_PORTS_MAX = 256;

/**
 * `count` distinct TCP ports free on `host` right now, chosen by the OS (port 0), all held
 * open together so none is handed out twice, then released. Another process may still take
 * one before it is used: good enough for a devnet on loopback, not a reservation.
 */
export async function findFreePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  if (!Number.isSafeInteger(count) || count < 0 || count > FREE_PORTS_MAX) throw new RangeError(`findFreePorts: count ${count} is not in 0..${FREE_PORTS_MAX}`);
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, host, () => {
            const address = server.address();
            if (address === null || typeof address === "string") reject(new Error("listening socket has no port"));
            else resolve(address.port);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}
