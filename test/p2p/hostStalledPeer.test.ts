/**
 * A peer whose process is starved (here: stopped outright) keeps its link. libp2p's connection
 * monitor pings every connection every 10 s; with its default 5 s floor a ping that went
 * unanswered for 5 s aborted the connection, and twenty validators on two cores lost hundreds
 * of links a minute (docs/decisions/0501, "Links under load"). The floor is now 30 s.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { multiaddr } from "@multiformats/multiaddr";
import { sleep, startTestHost, stopTestHosts, waitFor, type TestHost } from "./helpersHost.ts";

const HOST_PROCESS = new URL("./fixtures/hostProcess.ts", import.meta.url).pathname;
/** Longer than a ping interval (10 s) plus the old 5 s floor: some ping falls wholly inside the stop. */
const STOPPED_MS = 16_000;

describe("p2p host links to a stalled peer", () => {
  it("keeps the connection to a peer stopped for 16 s, and the link works once it resumes", async () => {
    const hosts: TestHost[] = [];
    const child = spawn(process.execPath, [HOST_PROCESS], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
      const local = await startTestHost();
      hosts.push(local);
      const remote = multiaddr(line);
      await local.host.dial(remote);
      const remotePeer = local.host.peers()[0]!.peerId;
      const connectionId = local.host.libp2p.getConnections(remotePeer)[0]!.id;
      let disconnects = 0;
      local.host.libp2p.addEventListener("peer:disconnect", () => void disconnects++);

      child.kill("SIGSTOP");
      await sleep(STOPPED_MS);
      child.kill("SIGCONT");

      // The resumed peer answers on the same connection: a new stream opens and negotiates.
      const stream = await local.host.libp2p.dialProtocol(remotePeer, "/ghostmesh/test/none/1").catch((err: unknown) => err);
      assert.ok(stream instanceof Error && stream.name === "UnsupportedProtocolError", `the peer answered the negotiation (${String(stream)})`);
      await waitFor(() => local.host.libp2p.getConnections(remotePeer).length > 0, "still connected");
      assert.equal(disconnects, 0, "no disconnect while the peer was stopped");
      assert.equal(local.host.libp2p.getConnections(remotePeer)[0]!.id, connectionId, "the same connection");
    } finally {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await stopTestHosts(hosts);
    }
  });
});
