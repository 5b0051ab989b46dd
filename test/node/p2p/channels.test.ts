/**
 * Transport channels in running validators (four hosts on 127.0.0.1, Dandelion off: exactly the
 * gossip of before): validator 2 dials through [dead SOCKS5 proxy, direct] and falls back;
 * validator 3 dials only through a SOCKS5 proxy (test server on 127.0.0.1), which relays its
 * connections. Both join, consensus commits, and /metrics shows the per-channel counters.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { metricSample, metricsText } from "../../../bench/lib/metrics.ts";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { loadNodeConfig, type NodeConfig } from "../../../src/node/config.ts";
import { prepareDevnetHomes, type DevnetHomes } from "../../../src/node/consensus/index.ts";
import { configureP2pDevnet, findFreePorts, startP2pValidatorNode, type RunningP2pValidator } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { GossipTopic, type ChannelConfig } from "../../../src/p2p/index.ts";
import { startSocks5Server, type Socks5TestServer } from "../../p2p/socks5Server.ts";
import { blockHashes, CHAIN_ID, newAccount, signNext, waitFor } from "../consensus/cluster.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };

describe("validators over libp2p with transport channels: fallback and a SOCKS5 proxy", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-p2p-channels-"));
  let homes: DevnetHomes;
  let proxy: Socks5TestServer;
  const validators: RunningP2pValidator[] = [];

  before(async () => {
    proxy = await startSocks5Server();
    // A port nothing listens on: the "dead proxy" refuses every connection at once.
    const [deadPort, ...p2pPorts] = await findFreePorts(5);
    homes = prepareDevnetHomes(dir, { validators: 4, chainId: CHAIN_ID, genesisTimeMs: Date.now() });
    await configureP2pDevnet(homes, { api: [0, 0, 0, 0], p2p: p2pPorts });
    const channelsOf: (readonly ChannelConfig[] | undefined)[] = [
      undefined,
      undefined,
      [
        { name: "deadproxy", kind: "socks5", proxy: `127.0.0.1:${deadPort}` },
        { name: "direct", kind: "tcp" },
      ],
      [{ name: "proxy", kind: "socks5", proxy: `127.0.0.1:${proxy.port}` }],
    ];
    for (const [i, { home, key }] of homes.homes.entries()) {
      const loaded = loadNodeConfig(home, {});
      const p2p: NodeConfig["p2p"] = { ...loaded.p2p, channels: channelsOf[i] ?? loaded.p2p.channels, dandelion: { ...loaded.p2p.dandelion, enabled: false } };
      const config = { ...loaded, log: { level: "silent" as const }, p2p };
      validators.push(await startP2pValidatorNode({ home, config, genesis: homes.genesis, timing: TIMING, p2p: { redialDelayMsMin: 100, redialDelayMsMax: 1000 } }, { key, logger: silent }));
    }
  });

  after(async () => {
    for (const validator of [...validators].reverse()) await validator.stop();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("joins every validator, the one behind a dead proxy by falling back to direct TCP", async () => {
    await waitFor("a full mesh of validator connections", () => (validators.every((v) => v.p2p.peers().length === 3 && v.p2p.topicPeers(GossipTopic.vote).length === 3) ? true : undefined), 20_000);
    const metrics = await metricsText(validators[2]!.api.url);
    assert.ok((metricSample(metrics, "ghostmesh_p2p_channel_dials_total", 'channel="deadproxy",result="failure"') ?? 0) >= 1, "the dead proxy's failures are counted");
    assert.ok((metricSample(metrics, "ghostmesh_p2p_channel_dials_total", 'channel="direct",result="success"') ?? 0) >= 1, "direct TCP carried the fallback dials");
    assert.equal(metricSample(metrics, "ghostmesh_p2p_channel_dials_total", 'channel="deadproxy",result="success"'), undefined);
    assert.ok((metricSample(metrics, "ghostmesh_p2p_channel_bytes_total", 'channel="direct",direction="sent"') ?? 0) > 0, "bytes are counted per channel");
    for (const validator of validators) assert.equal(validator.network.stemRelay, null, "Dandelion disabled: transactions are gossiped at once");
    assert.match(metrics, /^ghostmesh_store_file_bytes [1-9]\d*$/m, "a validator's /metrics shows its store on disk");
    assert.match(metrics, /^ghostmesh_store_free_page_bytes \d+$/m);
  });

  it("dials through the SOCKS5 proxy, which relays the connections, and consensus commits over them", async () => {
    assert.ok(proxy.stats.connectionsRelayed >= 1, `the proxy relayed validator 3's dials (${JSON.stringify(proxy.stats)})`);
    const ownPorts = new Set(validators.slice(0, 3).map((v) => Number(/\/tcp\/(\d+)/.exec(String(v.p2p.multiaddrs()[0]))?.[1])));
    assert.ok(proxy.stats.targets.every((target) => ownPorts.has(Number(target.split(":").at(-1)))), "the proxy was asked only for the other validators' addresses");
    const metrics = await metricsText(validators[3]!.api.url);
    assert.ok((metricSample(metrics, "ghostmesh_p2p_channel_dials_total", 'channel="proxy",result="success"') ?? 0) >= 1);
    const account = newAccount();
    const client = new GhostmeshClient(validators[3]!.api.url);
    assert.equal((await client.submitTx(signNext(account, { type: "account.register" }).bytes, { wait: true, timeoutMs: 30_000 })).status, "committed");
    const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "via-proxy", data: {} } });
    assert.equal((await new GhostmeshClient(validators[0]!.api.url).submitTx(tx.bytes, { wait: true, timeoutMs: 30_000 })).status, "committed");
    await waitFor("validator 3 to commit the transaction", async () => ((await client.tx(tx.hash)).status === "committed" ? true : undefined), 20_000);
    const height = Math.min(...validators.map((v) => v.chain.head.height));
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
  });
});
