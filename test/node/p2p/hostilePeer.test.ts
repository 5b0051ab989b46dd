/**
 * A Byzantine validator on the wire: validator 3's key in a bare libp2p host that sends random
 * bytes on every protocol the honest validators serve (requests, one-way messages, gossip
 * topics) while validators 0-2 run consensus. No honest validator crashes; the three go on
 * committing with identical chains. First with bans turned off, so every garbage stream reaches
 * a protocol handler; then with the node's reputation, which bans the sender within a few.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { multiaddr } from "@multiformats/multiaddr";
import fc from "fast-check";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { addressFromPublicKey, formatAddress } from "../../../src/crypto/index.ts";
import { configureP2pDevnet, findFreePorts, type P2pValidatorOptions, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import { GossipTopic } from "../../../src/p2p/index.ts";
import { createHostKeys, startTestHost, stopTestHosts, type TestHost } from "../../p2p/helpersHost.ts";
import { blockHashes, CHAIN_ID, newAccount, signNext, waitFor } from "../consensus/cluster.ts";
import { startMeshValidator, validatorMeshFixture } from "./validatorMesh.ts";

const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };
const HONEST = [0, 1, 2];
const GOSSIP_TOPICS = [GossipTopic.tx, GossipTopic.vote, GossipTopic.proposal, GossipTopic.evidence];

type Attack = { readonly streamsOpened: number; readonly penalties: number; readonly banned: readonly boolean[] };

/**
 * Three honest validators (with `p2p` options), validator 3's identity in a bare host, and an
 * attack of `runs` random messages while a client commits four transactions through validator 0.
 */
function hostileValidatorSuite(name: string, p2p: P2pValidatorOptions["p2p"], runs: number, check: (attack: Attack) => void): void {
  describe(name, () => {
    const mesh = validatorMeshFixture("gm-p2p-hostile-");
    let hostile: TestHost | undefined;
    const honest = (): RunningP2pValidator[] => mesh.validators;

    before(async () => {
      await configureP2pDevnet(mesh.homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
      for (const index of HONEST) mesh.validators.push(await startMeshValidator(mesh.homes, index, { timing: TIMING, sync: {}, p2p }));
      const signingKey = mesh.homes.homes[3]!.key;
      const keys = { ...(await createHostKeys()), signingKey, address: formatAddress(addressFromPublicKey(signingKey.alg, signingKey.publicKey)) };
      hostile = await startTestHost({ keys, options: { chainId: CHAIN_ID } });
      for (const validator of honest()) await hostile.host.libp2p.dial(multiaddr(String(validator.p2p.multiaddrs()[0])));
      await waitFor("the honest validators to see each other", () => (honest().every((v) => v.p2p.peers().length >= 2) ? true : undefined), 20_000);
    });

    after(async () => {
      await stopTestHosts([hostile]);
    });

    it("no honest validator crashes, and the three keep committing identical chains", async () => {
      const attacker = hostile!.host;
      const targets = honest().map((v) => v.p2p.peerId);
      const protocols = new Set<string>();
      for (const peerId of targets) for (const protocol of (await attacker.libp2p.peerStore.get(peerId)).protocols) if (protocol.startsWith(`/ghostmesh/${CHAIN_ID}/`)) protocols.add(protocol);
      assert.ok(protocols.size >= 5, `the validators serve their protocols (${[...protocols].join(", ")})`);
      const heightBefore = Math.min(...honest().map((v) => v.chain.head.height));

      const account = newAccount();
      const client = new GhostmeshClient(honest()[0]!.api.url);
      const committing = (async () => {
        await client.submitTx(signNext(account, { type: "account.register" }).bytes, { wait: true, timeoutMs: 60_000 });
        for (let i = 0; i < 3; i++) await client.submitTx(signNext(account, { type: "audit.append", record: { action: "deploy", subject: `svc-${i}` } }).bytes, { wait: true, timeoutMs: 60_000 });
      })();

      let streamsOpened = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...protocols), fc.nat(targets.length - 1), fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...GOSSIP_TOPICS), fc.nat(4), async (protocol, target, bytes, topic, dice) => {
          if (dice === 0) {
            // Gossip refuses what it cannot publish (too large for the topic); nothing to learn here.
            await attacker.publish(topic, bytes).catch(() => undefined);
            return;
          }
          try {
            const stream = await attacker.libp2p.dialProtocol(targets[target]!, protocol);
            streamsOpened++;
            stream.send(bytes);
            await stream.close();
          } catch {
            // Refused, reset or hung up on: what a hostile peer should get.
          }
        }),
        { numRuns: runs },
      );
      await committing;
      for (const validator of honest()) assert.ok(validator.chain.head.height > heightBefore, `validator ${validator.index} committed on`);
      const height = Math.min(...honest().map((v) => v.chain.head.height));
      const reference = blockHashes(honest()[0]!, height);
      for (const validator of honest()) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
      let penalties = 0;
      for (const validator of honest()) {
        const metrics = await (await fetch(`${validator.api.url}/metrics`)).text();
        for (const line of metrics.split("\n")) if (line.startsWith("ghostmesh_p2p_peer_penalties_total{")) penalties += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      check({ streamsOpened, penalties, banned: honest().map((v) => v.p2p.isBanned(attacker.peerId)) });
    });
  });
}

hostileValidatorSuite("a Byzantine validator sending random bytes on every protocol, never banned", { reputation: { banScoreThreshold: -1_000_000_000 } }, 300, (attack) => {
  assert.ok(attack.streamsOpened >= 150, `garbage reached the handlers (${attack.streamsOpened} streams)`);
  assert.ok(attack.penalties >= 50, `each bad stream was penalised (${attack.penalties})`);
  assert.deepEqual(attack.banned, [false, false, false]);
});

hostileValidatorSuite("the same with the node's reputation", {}, 100, (attack) => {
  assert.deepEqual(attack.banned, [true, true, true], "every honest validator banned the sender");
  assert.ok(attack.penalties >= 3, `penalised before the bans (${attack.penalties})`);
});
