import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/** Ports a development network may take at most at once. */
const FREE_PORTS_MAX = 256;
/** Below this, ports are privileged or taken by well-known services. */
const CHOSEN_PORT_MIN = 10_000;
/** Random candidates tried per port wanted before falling back to ports the OS hands out. */
const CANDIDATES_PER_PORT = 16;
const LINUX_EPHEMERAL_RANGE_PATH = "/proc/sys/net/ipv4/ip_local_port_range";

/**
 * `count` distinct TCP ports free on `host` right now, all held open together so none is
 * handed out twice, then released. Another process may still take one before it is used: good
 * enough for a devnet on loopback, not a reservation.
 *
 * Where the OS says which ports it hands out on its own (Linux: `ip_local_port_range`), the
 * ports are chosen at random below that range. A port from inside it (what listening on port 0
 * gives) goes back to the pool when released, and a validator that binds it later (a late
 * joiner, a restart on its own ports) could find it taken by any outgoing connection or any
 * `listen(0)` on the machine meanwhile; below the range only an explicit bind to that number
 * can take it.
 */
export async function findFreePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  if (!Number.isSafeInteger(count) || count < 0 || count > FREE_PORTS_MAX) throw new RangeError(`findFreePorts: count ${count} is not in 0..${FREE_PORTS_MAX}`);
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    const below = ephemeralPortMin();
    if (below !== undefined) {
      for (let tries = 0; ports.length < count && tries < count * CANDIDATES_PER_PORT; tries++) {
        const candidate = randomInt(CHOSEN_PORT_MIN, below);
        if (ports.includes(candidate)) continue;
        const port = await listenOn(servers, host, candidate);
        if (port !== undefined) ports.push(port);
      }
    }
    while (ports.length < count) {
      const port = await listenOn(servers, host, 0);
      if (port === undefined) throw new Error(`findFreePorts: the OS gave no free port on ${host}`);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/** Listens on host:port (0: any); the port now held, or undefined when it is taken. */
function listenOn(servers: Server[], host: string, port: number): Promise<number | undefined> {
  const server = createServer();
  servers.push(server);
  return new Promise((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      resolve(address === null || typeof address === "string" ? undefined : address.port);
    });
  });
}

/**
 * The lowest port the OS picks by itself, when it says (Linux) and leaves room below it for
 * chosen ports; undefined otherwise (then ports come from listening on port 0).
 */
function ephemeralPortMin(): number | undefined {
  let text: string;
  try {
    text = readFileSync(LINUX_EPHEMERAL_RANGE_PATH, "utf8");
  } catch {
    return undefined;
  }
  const low = Number(text.trim().split(/\s+/)[0]);
  return Number.isSafeInteger(low) && low > CHOSEN_PORT_MIN + FREE_PORTS_MAX * CANDIDATES_PER_PORT ? low : undefined;
}
