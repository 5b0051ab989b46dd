/**
 * findFreePorts: distinct ports that can be listened on, chosen below the range the OS hands
 * out by itself (Linux), so a port released now is not given to the next outgoing connection
 * or listen(0) on the machine before the validator it is meant for binds it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { findFreePorts } from "../../../src/node/p2p/index.ts";

function ephemeralLow(): number | undefined {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

describe("findFreePorts", () => {
  it("gives distinct ports that can be listened on, below the OS's own range", async () => {
    const ports = await findFreePorts(16);
    assert.equal(ports.length, 16);
    assert.equal(new Set(ports).size, 16, "distinct");
    for (const port of ports) assert.ok(await canListen(port), `port ${port} is free`);
    const low = ephemeralLow();
    if (low !== undefined) for (const port of ports) assert.ok(port >= 10_000 && port < low, `port ${port} is below the ephemeral range starting at ${low}`);
  });

  it("refuses a count out of range", async () => {
    await assert.rejects(findFreePorts(-1), RangeError);
    await assert.rejects(findFreePorts(257), RangeError);
  });
});
