/**
 * Dandelion++ wired into four validators over libp2p on 127.0.0.1: transactions submitted to
 * any validator go on the stem (a verified request to a successor) before anyone gossips them,
 * and all of them commit, with identical chains.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes, type DevnetHomes } from "../../../src/node/consensus/index.ts";
import { formatAddress } from "../../../src/crypto/index.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, STEM_PROTOCOL, type RunningP2pValidator, type StemRelayEvent } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GossipTopic, messageProtocolId } from "../../../src/p2p/index.ts";
import { blockHashes, CHAIN_ID, newAccount, signNext, waitFor } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };
// Every validator a relayer (q = 0): a stem ends only in a loop or at its embargo, and the
// embargo is long enough that, in this test, only loops end stems.
const DANDELION = { enabled: true, fluffProbabilityBps: 0, epochMs: 600_000, embargoMsMin: 60_000, embargoMsMax: 90_000 };

type Observed = StemRelayEvent & { readonly node: number };

describe("validators over libp2p with Dandelion++: stem before fluff", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-dandelion-"));
  let homes: DevnetHomes;
  const validators: RunningP2pValidator[] = [];
  const events: Observed[] = [];

  before(async () => {
    homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: await findFreePorts(4) });
    for (const [node, { home, key }] of homes.homes.entries()) {
      const loaded = loadNodeConfig(home, {});
      const config = { ...loaded, log: { level: "silent" as const }, p2p: { ...loaded.p2p, dandelion: DANDELION } };
      const stemObserver = (event: StemRelayEvent): void => void events.push({ ...event, node });
      validators.push(await startP2pValidatorNode({ home, config, genesis: homes.genesis, timing: TIMING, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 1000 } }, { key, logger: silent, stemObserver }));
    }
    await waitFor("a full mesh of validator connections", () => (validators.every((v) => v.p2p.peers().length === 3 && v.p2p.topicPeers(GossipTopic.tx).length === 3) ? true : undefined), 20_000);
  });

  after(async () => {
    for (const validator of [...validators].reverse()) await validator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits transactions submitted to every validator, with identical block hashes", async () => {
    const accounts = [newAccount(), newAccount(), newAccount(), newAccount()];
    const client = (i: number) => new GhostmeshClient(validators[i]!.api.url);
    await Promise.all(
      accounts.map(async (account, i) => {
        const response = await client(i).submitTx(signNext(account, { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 });
        assert.equal(response.status, "committed");
      }),
    );
    await Promise.all(
      accounts.map(async (account, i) => {
        const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: `svc-${i}`, data: {} } });
        const response = await client((i + 1) % 4).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 });
        assert.equal(response.status, "committed");
      }),
    );
    const height = Math.min(...validators.map((v) => v.chain.head.height));
    assert.ok(height >= 1, `blocks committed (height ${height})`);
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
  });

  it("relays each transaction on the stem to a successor, which verifies it, before any validator fluffs it", async () => {
    const account = newAccount();
    const origin = 2;
    const notAdmitted = () => validators.reduce((sum, v) => sum + v.network.stemRelay!.stats().stemNotAdmitted, 0);
    const notAdmittedBefore = notAdmitted();
    const tx = signNext(account, { type: "account.register" });
    const response = await new GhostmeshClient(validators[origin]!.api.url).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 });
    assert.equal(response.status, "committed");
    // A stem ends in a loop (a holder gets it back and fluffs it), or, when a leader among its
    // holders committed it first, at the next validator, which no longer admits it (stale
    // nonce): then nobody gossips it at all (the embargo would, past this test's end).
    const ended = () => events.some((e) => e.hashHex === tx.hash && e.kind === "fluff") || notAdmitted() > notAdmittedBefore;
    await waitFor("the stem to end in a fluff, or at a validator that committed it already", () => (ended() ? true : undefined), 20_000);
    const ofTx = events.filter((event) => event.hashHex === tx.hash);
    const firstFluff = ofTx.findIndex((event) => event.kind === "fluff");
    assert.deepEqual({ node: ofTx[0]?.node, kind: ofTx[0]?.kind }, { node: origin, kind: "stemSent" }, "the origin's first act is a stem relay, not a gossip");
    const accepted = ofTx.slice(0, firstFluff === -1 ? ofTx.length : firstFluff).filter((event) => event.kind === "stemAccepted");
    assert.ok(accepted.length >= 1, `a successor verified and accepted the stem before any fluff: ${JSON.stringify(ofTx.map((e) => [e.node, e.kind]))}`);
    assert.notEqual(accepted[0]!.node, origin, "the first to accept is a successor, not the origin");
    if (firstFluff !== -1) assert.notEqual(ofTx[firstFluff]?.node, origin, "the origin never fluffs its own transaction on a loop");
    // Only the origin counts it as its own (resent at stalled view timeouts); relays do not.
    assert.ok(validators[origin]!.ownTxs.has(tx.hash), "the origin remembers its own transaction");
    for (const relay of new Set(ofTx.filter((event) => event.kind === "stemAccepted").map((event) => event.node))) if (relay !== origin) assert.equal(validators[relay]!.ownTxs.has(tx.hash), false, `relay ${relay} does not take it for its own`);
    const stats = validators.map((v) => v.network.stemRelay!.stats());
    assert.ok(stats[origin]!.stemSent >= 1);
    assert.equal(stats.reduce((sum, s) => sum + s.fluffed.embargo + s.stemRejected, 0), 0, "no embargo fired and no stem was refused");
    if (firstFluff !== -1) assert.ok(stats.reduce((sum, s) => sum + s.fluffed.loop, 0) >= 1, "the stem ended in a loop (every validator a relayer)");
    // Stems travel as messages on the stream kept open to the successor, not as requests.
    const originMetrics = await (await fetch(`${validators[origin]!.api.url}/metrics`)).text();
    assert.match(originMetrics, /^ghostmesh_p2p_messages_total\{protocol="stem",direction="outbound",outcome="ok"\} [1-9]/m);
    assert.doesNotMatch(originMetrics, /^ghostmesh_p2p_requests_total\{protocol="stem",direction="outbound"/m);
    // The relay's own counts are on /metrics too.
    const stemSent = /^ghostmesh_p2p_dandelion_stem_sent_total (\d+)$/m.exec(originMetrics);
    assert.ok(stemSent !== null && Number(stemSent[1]) >= 1, "stems sent are on /metrics");
    assert.match(originMetrics, /^ghostmesh_p2p_dandelion_fluffed_total\{reason="embargo"\} 0$/m);
    assert.match(originMetrics, /^ghostmesh_p2p_dandelion_stem_received_total\{outcome="rejected"\} 0$/m);
  });

  it("refuses a stem request that is not a signed transaction and penalises the validator that sent it", async () => {
    const [sender, receiver] = [validators[0]!, validators[1]!];
    const receiverPeer = sender.p2p.peers().find((peer) => receiver.network.peers.indexOf(peer.identity.address) === 1);
    assert.ok(receiverPeer !== undefined, "validator 0 is connected to validator 1");
    await assert.rejects(sender.p2p.request(receiverPeer.peerId, STEM_PROTOCOL, new Uint8Array([0xa1, 0x01, 0x02])), /does not decode/);
    assert.equal(receiver.network.stemRelay!.stats().stemRejected, 1);
    const record = receiver.p2p.peerRecord(formatAddress(homes.genesis.validators[0]!.address));
    assert.ok(record !== undefined && record.malformedFrames === 1 && record.score < 0, `validator 0 is penalised at validator 1: ${JSON.stringify(record)}`);
    // The same as a message: refused and penalised, and the stream stays usable.
    await sender.p2p.sendMessage(receiverPeer.peerId, STEM_PROTOCOL, new Uint8Array([0xa1, 0x01, 0x02]));
    await waitFor("the malformed stem message refused", () => (receiver.network.stemRelay!.stats().stemRejected === 2 ? true : undefined), 10_000);
    assert.equal(receiver.p2p.peerRecord(formatAddress(homes.genesis.validators[0]!.address))?.malformedFrames, 2);
  });

  it("relays by request to validators of an earlier version, which serve stems only as requests", async () => {
    // Validators 1-3 stop serving stem messages, as nodes from before them, and every stem
    // stream open so far is dropped (on both ends): validator 0's next stem, whichever successor
    // it picked, finds the message protocol unsupported and falls back to a request.
    const stemMessages = messageProtocolId(CHAIN_ID, STEM_PROTOCOL);
    const olds = validators.slice(1);
    for (const old of olds) await old.p2p.libp2p.unhandle(stemMessages);
    for (const validator of validators) {
      for (const connection of validator.p2p.libp2p.getConnections()) for (const stream of connection.streams) if (stream.protocol === stemMessages) stream.abort(new Error("an earlier version"));
    }
    const stemRequestsServed = async () => {
      let served = 0;
      for (const old of olds) {
        const match = /^ghostmesh_p2p_requests_total\{protocol="stem",direction="inbound",outcome="ok"\} (\d+)$/m.exec(await (await fetch(`${old.api.url}/metrics`)).text());
        served += Number(match?.[1] ?? 0);
      }
      return served;
    };
    const before = await stemRequestsServed();
    const response = await new GhostmeshClient(validators[0]!.api.url).submitTx(signNext(newAccount(), { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 });
    assert.equal(response.status, "committed");
    await waitFor("a stem served by request", async () => ((await stemRequestsServed()) > before ? true : undefined), 10_000);
    const stats = validators.map((v) => v.network.stemRelay!.stats());
    assert.equal(stats.reduce((sum, s) => sum + s.stemSendFailed + s.fluffed.embargo, 0), 0, "no stem lost, none left to its embargo");
  });
});
