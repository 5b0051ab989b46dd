/**
 * config.yaml `p2p.channels` and `p2p.dandelion`: defaults, environment overrides, and bad
 * values refused with an error that names the field.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { loadNodeConfig } from "../../../src/node/config.ts";
import { isGhostmeshError } from "../../../src/util/index.ts";
import { configHomes } from "../../helpers/configHomes.ts";

describe("node config: p2p.channels and p2p.dandelion", () => {
  const homeWith = configHomes("gm-config-channels-");

  const refusal = (yaml: string, env: NodeJS.ProcessEnv = {}): string => {
    try {
      loadNodeConfig(homeWith(yaml), env);
    } catch (err) {
      assert.ok(isGhostmeshError(err) && err.code === "NODE_CONFIG_INVALID", `NODE_CONFIG_INVALID, got ${String(err)}`);
      return err.message;
    }
    assert.fail("the configuration was accepted");
  };

  it("defaults to one direct TCP channel and Dandelion on with a devnet-short embargo", () => {
    const config = loadNodeConfig(homeWith(""), {});
    assert.deepEqual(config.p2p.channels, [{ name: "direct", kind: "tcp" }]);
    assert.equal(config.p2p.dandelion.enabled, true);
    assert.equal(config.p2p.dandelion.fluffProbabilityBps, 1_000);
    assert.ok(config.p2p.dandelion.embargoMsMax <= 10_000, "a black-holed stem delays a devnet transaction by seconds, not minutes");
    assert.ok(config.p2p.dandelion.embargoMsMin <= config.p2p.dandelion.embargoMsMax);
  });

  it("reads channels in order and merges dandelion fields with the defaults", () => {
    const config = loadNodeConfig(
      homeWith(`p2p:
  channels:
    - { name: tor, kind: socks5, proxy: "127.0.0.1:9050", username: gm, password: circuit-1 }
    - { name: direct, kind: tcp }
  dandelion: { embargoMsMin: 1000, embargoMsMax: 3000 }
`),
      {},
    );
    assert.deepEqual(config.p2p.channels.map((channel) => channel.name), ["tor", "direct"]);
    assert.deepEqual({ ...config.p2p.dandelion }, { enabled: true, fluffProbabilityBps: 1_000, epochMs: 600_000, embargoMsMin: 1_000, embargoMsMax: 3_000 });
  });

  it("lets GHOSTMESH_P2P_DANDELION_* environment variables override the file", () => {
    const config = loadNodeConfig(homeWith("p2p: { dandelion: { enabled: true } }\n"), { GHOSTMESH_P2P_DANDELION_ENABLED: "false", GHOSTMESH_P2P_DANDELION_EMBARGO_MS_MAX: "7000" });
    assert.equal(config.p2p.dandelion.enabled, false);
    assert.equal(config.p2p.dandelion.embargoMsMax, 7_000);
    assert.match(refusal("", { GHOSTMESH_P2P_DANDELION_ENABLED: "maybe" }), /^GHOSTMESH_P2P_DANDELION_ENABLED="maybe": expected true or false$/);
  });

  it("refuses an unknown channel kind, naming the channel's field", () => {
    assert.match(refusal("p2p: { channels: [ { name: x, kind: udp } ] }\n"), /p2p\.channels\[0\]\.kind/);
  });

  it("refuses a socks5 channel without a proxy, or with a proxy that is not host:port", () => {
    assert.match(refusal("p2p: { channels: [ { name: tor, kind: socks5 } ] }\n"), /p2p\.channels\[0\].*proxy/);
    assert.match(refusal('p2p: { channels: [ { name: tor, kind: socks5, proxy: "localhost" } ] }\n'), /p2p\.channels\[0\] \(tor\): proxy must be "host:port"/);
  });

  it("refuses a username without a password", () => {
    assert.match(refusal('p2p: { channels: [ { name: tor, kind: socks5, proxy: "127.0.0.1:9050", username: gm } ] }\n'), /p2p\.channels\[0\] \(tor\): give both username and password/);
  });

  it("refuses two channels with one name, and an empty channel list", () => {
    assert.match(refusal("p2p: { channels: [ { name: a, kind: tcp }, { name: a, kind: tcp } ] }\n"), /p2p\.channels\[1\]\.name: "a" is already the name of p2p\.channels\[0\]/);
    assert.match(refusal("p2p: { channels: [] }\n"), /p2p\.channels/);
  });

  it("refuses an embargo range upside down and a probability above 100%", () => {
    assert.match(refusal("p2p: { dandelion: { embargoMsMin: 5000, embargoMsMax: 1000 } }\n"), /p2p\.dandelion\.embargoMsMin \(5000\) must not exceed p2p\.dandelion\.embargoMsMax \(1000\)/);
    assert.match(refusal("p2p: { dandelion: { fluffProbabilityBps: 20000 } }\n"), /p2p\.dandelion\.fluffProbabilityBps/);
    assert.match(refusal("p2p: { dandelion: { enabled: yes-please } }\n"), /p2p\.dandelion\.enabled/);
  });
});
