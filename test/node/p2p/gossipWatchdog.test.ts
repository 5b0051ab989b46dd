/**
 * The gossip watchdog (src/node/p2p/gossipWatchdog.ts) over two real hosts on 127.0.0.1: a
 * connected validator that gossip does not know as a subscriber of the vote topic is hung up on
 * once it stays so past the allowance, when it is a bootstrap peer (the redialer connects again);
 * one that subscribes is left alone, and so is a silent peer this host would not dial back.
 */
import { strict as assert } from "node:assert";
import { after, describe, it } from "node:test";
import { parseAddress } from "../../../src/crypto/index.ts";
import type { Genesis } from "../../../src/ledger/index.ts";
import { GossipWatchdog, ValidatorPeers } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GossipTopic, GossipVerdict } from "../../../src/p2p/index.ts";
import { createHostKeys, recordingLogger, sleep, startTestHost, stopTestHosts, waitFor, TEST_CHAIN_ID, type TestHost } from "../../p2p/helpersHost.ts";

const OPTIONS = { checkIntervalMs: 50, silentMsMax: 400 };
const accept = async () => GossipVerdict.accept;
const ignore = () => undefined;

describe("gossip watchdog", () => {
  const hosts: TestHost[] = [];
  const watchdogs: GossipWatchdog[] = [];
  after(async () => {
    for (const watchdog of watchdogs) watchdog.stop();
    await stopTestHosts(hosts);
  });

  it("reconnects to a bootstrap validator gossip does not know, and leaves a subscribed one or a non-bootstrap one alone", async () => {
    const [keysA, keysB] = await Promise.all([createHostKeys(), createHostKeys()]);
    const genesis: Genesis = {
      chainId: TEST_CHAIN_ID,
      genesisTime: 0,
      validators: [keysA, keysB].map((keys, i) => ({ name: `v${i}`, address: parseAddress(keys.address), alg: keys.signingKey.alg, publicKey: keys.signingKey.publicKey, power: 1 })),
    };
    const b = await startTestHost({ keys: keysB });
    hosts.push(b);
    const a = await startTestHost({ keys: keysA, options: { bootstrapAddresses: [b.host.multiaddrs()[0]!.toString()] } });
    hosts.push(a);
    for (const { host } of [a, b]) host.subscribe(GossipTopic.vote, accept, ignore);
    const peers = new ValidatorPeers(genesis);
    const logger = recordingLogger() as unknown as Logger & { entries: { message: string }[] };
    const atA = new GossipWatchdog(OPTIONS, { host: a.host, peers, logger });
    const atB = new GossipWatchdog(OPTIONS, { host: b.host, peers, logger: recordingLogger() as unknown as Logger });
    watchdogs.push(atA, atB);
    atA.start();
    atB.start();
    const knows = (from: TestHost, of: TestHost) => from.host.topicPeers(GossipTopic.vote).some((peerId) => peerId.equals(of.host.peerId));
    await waitFor(() => knows(a, b) && knows(b, a), "both hosts to know each other's subscription");
    await sleep(OPTIONS.silentMsMax * 2);
    assert.equal(atA.reconnects + atB.reconnects, 0, "subscribed validators are left alone");

    let disconnects = 0;
    a.host.libp2p.addEventListener("peer:disconnect", (event) => {
      if (event.detail.equals(b.host.peerId)) disconnects++;
    });
    // B's subscription disappears from A's view, as when B's one outbound gossip stream failed.
    b.host.unsubscribe(GossipTopic.vote);
    await waitFor(() => atA.reconnects >= 1 && disconnects >= 1, "A to hang up on its silent bootstrap peer", 10_000);
    assert.ok(logger.entries.some((entry) => entry.message.includes("unknown to gossip")));
    b.host.subscribe(GossipTopic.vote, accept, ignore);
    await waitFor(() => knows(a, b), "the redialled connection to bring B's subscription", 10_000);
    const settled = atA.reconnects;
    const settledDisconnects = disconnects;
    await sleep(OPTIONS.silentMsMax * 2);
    assert.equal(atA.reconnects, settled, "no more reconnects once gossip knows B");
    assert.ok(a.host.peers().some((peer) => peer.peerId.equals(b.host.peerId)), "A and B stay connected");

    // A goes silent for B; A is not B's bootstrap peer (B would not dial it back): B keeps the connection.
    a.host.unsubscribe(GossipTopic.vote);
    await waitFor(() => !knows(b, a), "B to see A unsubscribed");
    await sleep(OPTIONS.silentMsMax * 3);
    assert.equal(atB.reconnects, 0);
    assert.equal(disconnects, settledDisconnects, "the connection B keeps is never dropped");
  });
});
