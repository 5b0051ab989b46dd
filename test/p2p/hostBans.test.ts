import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { utf8 } from "../../src/util/index.ts";
import { counterValue, createHostKeys, startTestHost, stopTestHosts, waitFor, type TestHost } from "./helpersHost.ts";

describe("p2p host peer bans and admission", () => {
  it("a peer that keeps sending invalid gossip is banned, the ban survives a restart of the banning host, and its reconnect is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ghostmesh-p2p-ban-"));
    const dbPath = join(dir, "chain.db");
    const hosts: (TestHost | undefined)[] = [];
    try {
      const offender = await startTestHost();
      hosts.push(offender);
      const judgeKeys = await createHostKeys();
      let judge = await startTestHost({ keys: judgeKeys, dbPath });
      hosts.push(judge);
      offender.host.subscribe("evidence", async () => "accept", () => {});
      judge.host.subscribe("evidence", async () => "reject", () => {});
      await offender.host.dial(judge.host.multiaddrs()[0]!);
      // gossipsub drops a publish to a peer its outbound stream is not yet open to; the judge
      // knowing the offender's subscription proves that stream is up (subscriptions go over it).
      await waitFor(() => offender.host.topicPeers("evidence").length === 1 && judge.host.topicPeers("evidence").length === 1, "subscriptions known both ways");
      // Default penalties: 25 per reject, ban below -100, so the fifth invalid message bans.
      for (let i = 0; i < 5; i++) assert.equal((await offender.host.publish("evidence", utf8(`bogus evidence ${i}`))).recipients, 1);
      await waitFor(() => judge.host.isBanned(offender.host.peerId), "offender banned");
      await waitFor(() => offender.host.peers().length === 0 && judge.host.peers().length === 0, "banned peer disconnected");
      const record = judge.host.peerRecord(offender.keys.address);
      assert.ok(record !== undefined && record.gossipRejects === 5 && record.bannedUntilMs > Date.now(), `banned after 5 rejects: ${JSON.stringify(record)}`);
      assert.equal(await counterValue(judge.registry, "ghostmesh_p2p_peer_bans_total"), 1);

      await stopTestHosts([judge]);
      hosts[1] = undefined;
      judge = await startTestHost({ keys: judgeKeys, dbPath });
      hosts[1] = judge;
      assert.ok(judge.host.isBanned(offender.host.peerId), "the restarted host loaded the ban from p2p_peers");
      await assert.rejects(offender.host.dial(judge.host.multiaddrs()[0]!), { code: "P2P_DIAL_FAILED" });
      await waitFor(() => judge.host.peers().length === 0, "no connection to the banned peer");
      assert.equal(await counterValue(judge.registry, "ghostmesh_p2p_handshakes_failed_total", { code: "P2P_PEER_NOT_ALLOWED" }), 1, "refused in the handshake by identity");
      await assert.rejects(judge.host.dial(offender.host.multiaddrs()[0]!), { code: "P2P_PEER_BANNED" }, "and not dialled by the banning host");
    } finally {
      await stopTestHosts(hosts);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a permissioned host admits the identity on its allowlist and refuses another", async () => {
    const hosts: TestHost[] = [];
    try {
      const member = await startTestHost();
      hosts.push(member);
      const outsider = await startTestHost();
      hosts.push(outsider);
      const gatekeeper = await startTestHost({ options: { allowlist: [member.keys.address] } });
      hosts.push(gatekeeper);
      await assert.rejects(outsider.host.dial(gatekeeper.host.multiaddrs()[0]!), { code: "P2P_DIAL_FAILED" });
      const admitted = await member.host.dial(gatekeeper.host.multiaddrs()[0]!);
      assert.ok(admitted.peerId.equals(gatekeeper.host.peerId));
      await waitFor(() => gatekeeper.host.peers().length === 1, "member connected");
      assert.equal(gatekeeper.host.peers()[0]!.identity.publicKey.byteLength, member.keys.signingKey.publicKey.byteLength);
      assert.ok(gatekeeper.host.peers()[0]!.peerId.equals(member.host.peerId), "only the member is connected");
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a bootstrap peer is dialled at start and re-dialled after it restarts", async () => {
    const hosts: (TestHost | undefined)[] = [];
    try {
      const seedKeys = await createHostKeys();
      let seed = await startTestHost({ keys: seedKeys });
      hosts.push(seed);
      const seedAddress = seed.host.multiaddrs()[0]!.toString();
      assert.ok(seedAddress.includes(`/p2p/${seed.host.peerId.toString()}`), "libp2p listen addresses name the PeerId");
      const follower = await startTestHost({ options: { bootstrapAddresses: [seedAddress] } });
      hosts.push(follower);
      await waitFor(() => follower.host.peers().some((p) => p.peerId.equals(seed.host.peerId)), "follower connects to the seed");
      const port = seed.host.multiaddrs()[0]!.toString().split("/")[4];
      await stopTestHosts([seed]);
      hosts[0] = undefined;
      await waitFor(() => follower.host.peers().length === 0, "seed gone");
      seed = await startTestHost({ keys: seedKeys, options: { listenAddresses: [`/ip4/127.0.0.1/tcp/${port}`] } });
      hosts[0] = seed;
      await waitFor(() => follower.host.peers().some((p) => p.peerId.equals(seed.host.peerId)), "follower reconnects after the seed restarts", 20_000);
    } finally {
      await stopTestHosts(hosts);
    }
  });
});
