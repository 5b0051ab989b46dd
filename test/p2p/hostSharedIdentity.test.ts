/**
 * Two connected peers proving one ML-DSA identity (one key in two processes, or a node back
 * under a new PeerId before its old connection closed): the host says so.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { describe, it } from "node:test";
import { counterValue, createHostKeys, startTestHost, stopTestHosts, waitFor, type TestHost } from "./helpersHost.ts";

const SHARED_IDENTITY_WARNING = /^Two connected peers prove one identity/;

describe("p2p host: one identity on two connected peers", () => {
  it("warns and counts, naming the identity and both peer IDs, when the second connects; one peer per identity warns nothing", async () => {
    const hosts: TestHost[] = [];
    try {
      const listener = await startTestHost();
      hosts.push(listener);
      const other = await startTestHost();
      hosts.push(other);
      await other.host.dial(listener.host.multiaddrs()[0]!);
      const keys = await createHostKeys();
      const first = await startTestHost({ keys });
      hosts.push(first);
      await first.host.dial(listener.host.multiaddrs()[0]!);
      await waitFor(() => listener.host.peers().length === 2, "two peers connected");
      assert.deepEqual(listener.logger.entries.filter((entry) => SHARED_IDENTITY_WARNING.test(entry.message)), [], "distinct identities: no warning");
      assert.equal(await counterValue(listener.registry, "ghostmesh_p2p_shared_identity_connections_total"), 0);

      const copy = await startTestHost({ keys: { ...keys, peerPrivateKey: await generateKeyPair("Ed25519") } });
      hosts.push(copy);
      await copy.host.dial(listener.host.multiaddrs()[0]!);
      await waitFor(() => listener.logger.entries.some((entry) => SHARED_IDENTITY_WARNING.test(entry.message)), "the warning");
      const warning = listener.logger.entries.find((entry) => SHARED_IDENTITY_WARNING.test(entry.message))!;
      assert.equal(warning.level, "warn");
      assert.deepEqual(warning.fields, { address: keys.address, peerId: copy.host.peerId.toString(), alsoConnectedAs: [first.host.peerId.toString()] });
      assert.equal(await counterValue(listener.registry, "ghostmesh_p2p_shared_identity_connections_total"), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });
});
