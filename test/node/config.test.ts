/**
 * config.yaml as the node reads it (src/node/config.ts `loadNodeConfig`): anything but a valid
 * configuration, whether the YAML is broken, only dubious (a tag it cannot resolve, an unknown
 * directive), or the values are wrong, is NODE_CONFIG_INVALID naming the file, never another
 * error and never a warning printed beside a node that starts anyway.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { CONFIG_FILE, defaultNodeConfig, ENV_VARIABLES, loadNodeConfig } from "../../src/node/config.ts";
import { isGhostmeshError } from "../../src/util/index.ts";
import { removeDir } from "../helpers/testChain.ts";

describe("config.yaml", () => {
  const home = mkdtempSync(join(tmpdir(), "gm-config-"));
  const withConfig = (text: string) => writeFileSync(join(home, CONFIG_FILE), text);
  const invalid = (err: unknown) => isGhostmeshError(err) && err.code === "NODE_CONFIG_INVALID" && err.message.includes(CONFIG_FILE);
  after(() => removeDir(home));

  it("an empty file, or one of comments only, is the defaults", () => {
    for (const text of ["", "# nothing set yet\n"]) {
      withConfig(text);
      assert.deepEqual(loadNodeConfig(home, {}), defaultNodeConfig);
    }
  });

  it("refuses broken YAML, a tag it cannot resolve and an unknown directive, and prints no warning", () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      for (const text of ["api:\n  port: [1\n", "api: !port 8080\n", "%FOO bar\n---\napi:\n  port: 8080\n", "block:\n\t- txsMax: 5\n"]) {
        withConfig(text);
        assert.throws(() => loadNodeConfig(home, {}), (err: unknown) => invalid(err) && /not valid YAML/.test((err as Error).message), JSON.stringify(text));
      }
    } finally {
      process.off("warning", onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  it("random changes to a valid file and random text are taken or refused as NODE_CONFIG_INVALID, nothing else (property)", () => {
    const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(-1, 0, 2 ** 53, "127.0.0.1", "direct", "socks5"));
    const base = JSON.parse(JSON.stringify(defaultNodeConfig)) as Record<string, unknown>;
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]): void => {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return;
      for (const [key, child] of Object.entries(value)) {
        paths.push([...path, key]);
        walk(child, [...path, key]);
      }
    };
    walk(base, []);
    const mutation = fc.tuple(fc.nat(), fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 3 })));
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 4 }), fc.option(fc.string({ maxLength: 200 }), { freq: 4 }), (mutations, rawText) => {
        const config = structuredClone(base);
        for (const [n, value] of mutations) {
          const path = paths[n % paths.length] as string[];
          let parent: unknown = config;
          for (const key of path.slice(0, -1)) parent = parent !== null && typeof parent === "object" ? (parent as Record<string, unknown>)[key] : undefined;
          if (parent !== null && typeof parent === "object") (parent as Record<string, unknown>)[path.at(-1) as string] = value;
        }
        withConfig(rawText ?? stringify(config));
        try {
          loadNodeConfig(home, {});
        } catch (err) {
          assert.ok(invalid(err), `${(err as Error).message} for ${JSON.stringify(rawText ?? mutations).slice(0, 200)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("GHOSTMESH_* environment variables", () => {
  const home = mkdtempSync(join(tmpdir(), "gm-config-env-"));
  after(() => removeDir(home));
  const refusal = (env: NodeJS.ProcessEnv): string => {
    try {
      loadNodeConfig(home, env);
    } catch (err) {
      assert.ok(isGhostmeshError(err) && err.code === "NODE_CONFIG_INVALID", String(err));
      return err.message;
    }
    return "";
  };

  it("a value that does not parse, or is out of range, is refused naming the variable and the value", () => {
    assert.equal(refusal({ GHOSTMESH_API_PORT: "abc" }), 'GHOSTMESH_API_PORT="abc": expected a decimal integer');
    assert.equal(refusal({ GHOSTMESH_API_PORT: "1e3" }), 'GHOSTMESH_API_PORT="1e3": expected a decimal integer');
    assert.equal(refusal({ GHOSTMESH_MEMPOOL_TXS_MAX: "-1" }), 'GHOSTMESH_MEMPOOL_TXS_MAX="-1": expected a decimal integer');
    assert.equal(refusal({ GHOSTMESH_P2P_DANDELION_ENABLED: "yes" }), 'GHOSTMESH_P2P_DANDELION_ENABLED="yes": expected true or false');
    assert.match(refusal({ GHOSTMESH_API_PORT: "99999" }), /^GHOSTMESH_API_PORT="99999": config\.api\.port: expected an unsigned integer at most 65535/);
    assert.match(refusal({ GHOSTMESH_LOG_LEVEL: "loud" }), /^GHOSTMESH_LOG_LEVEL="loud": config\.log\.level: expected one of/);
    assert.equal(loadNodeConfig(home, { GHOSTMESH_API_PORT: "9090", GHOSTMESH_API_HOST: "" }).api.port, 9090, "an empty variable is unset");
  });

  it("sets the mempool's bounds on transactions waiting for an earlier nonce, from config.yaml or the environment", () => {
    assert.deepEqual(loadNodeConfig(home, {}).mempool, { txsMax: 50_000, waitingTxsMax: 12_500, waitingBlocksMax: 600 });
    writeFileSync(join(home, CONFIG_FILE), "mempool: { waitingTxsMax: 100, waitingBlocksMax: 30 }\n");
    try {
      assert.deepEqual(loadNodeConfig(home, {}).mempool, { txsMax: 50_000, waitingTxsMax: 100, waitingBlocksMax: 30 });
      assert.equal(loadNodeConfig(home, { GHOSTMESH_MEMPOOL_WAITING_BLOCKS_MAX: "7" }).mempool.waitingBlocksMax, 7);
      assert.match(refusal({ GHOSTMESH_MEMPOOL_WAITING_BLOCKS_MAX: "0" }), /^GHOSTMESH_MEMPOOL_WAITING_BLOCKS_MAX="0": config\.mempool\.waitingBlocksMax: expected an unsigned integer from 1 to 1000000, got 0$/);
    } finally {
      writeFileSync(join(home, CONFIG_FILE), "");
    }
  });

  it("random values of every variable are taken or refused naming the variable (property)", () => {
    const names = Object.keys(ENV_VARIABLES);
    const value = fc.oneof(fc.constantFrom("0", "1", "65535", "99999999999999999999", "true", "false", "info", "/ip4/127.0.0.1/tcp/0", "-1", "1.5", " ", "0x10"), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 4 }), (env) => {
        const message = refusal(env);
        if (message !== "") assert.ok(names.some((name) => message.startsWith(`${name}=`)) || /configuration|dandelion|channel/.test(message), message);
      }),
      { numRuns: 1000 },
    );
  });
});
