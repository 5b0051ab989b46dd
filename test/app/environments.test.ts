import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { ENV_RECORDS_MAX, readCheckpoints, readEnvironment, readGreen, readGreenCount, readGreenHistory, readMerges } from "../../src/app/index.ts";
import { withCosignatures } from "../../src/client/index.ts";
import type { Tx } from "../../src/ledger/index.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned, type GenesisExtras } from "./harness.ts";

const [keyA, keyB, keyC, keyD] = [generateSigningKey(), generateSigningKey(), generateSigningKey(), generateSigningKey()] as [SigningKey, SigningKey, SigningKey, SigningKey];
const hashOf = (n: number) => new Uint8Array(32).fill(n);

type EnvTx = Extract<Tx, { type: `env.${string}` }>;
type Body<T extends EnvTx["type"]> = Extract<EnvTx, { type: T }>["body"];

/**
 * A writes Blue state and may promote; B and C may promote too (C is the admin genesis requires);
 * D is registered and holds nothing.
 * `policy`: env.promote needs 2 of {A, B, C}.
 */
function setup(opts: { policy?: boolean } = {}) {
  const probe = new AppHarness();
  const [a, b, c, d] = [probe.register(keyA), probe.register(keyB), probe.register(keyC), probe.register(keyD)];
  const extras: GenesisExtras = {
    roles: [{ address: a, roles: ["write_blue_state", "promote_to_green"] }, { address: b, roles: ["promote_to_green"] }, { address: c, roles: ["promote_to_green", "admin"] }],
    ...(opts.policy ? { policies: [{ operation: "env.promote", threshold: 2, signers: [a, b, c] }] } : {}),
  };
  const app = new AppHarness(extras);
  for (const key of [keyA, keyB, keyC, keyD]) app.register(key);
  const nonces = new Map<string, number>();
  /** Runs `type` from `from` in its own block; returns the refusal codes (empty: committed). */
  function send<T extends EnvTx["type"]>(from: Uint8Array, type: T, body: Body<T>, cosigners: readonly SigningKey[] = []): string[] {
    const nonce = nonces.get(toHex(from)) ?? 1;
    const tx = withCosignatures({ chainId, from, nonce, type, body } as Tx, cosigners);
    const codes = app.run([unsigned(tx)]).rejected.map((r) => r.code);
    if (codes.length === 0) nonces.set(toHex(from), nonce + 1);
    return codes;
  }
  return { app, a, b, c, d, send };
}

describe("app: env.create / env.update", () => {
  it("creates a Blue environment and updates it to a higher version, recorded in state", () => {
    const { app, a, send } = setup();
    assert.deepEqual(send(a, "env.create", { name: "staging", stateHash: hashOf(1), version: 1, description: "pre-release" }), []);
    assert.deepEqual(send(a, "env.update", { name: "staging", stateHash: hashOf(2), version: 5 }), []);
    const env = readEnvironment(app.get, "staging");
    assert.ok(env);
    assert.equal(env.version, 5);
    assert.ok(bytesEqual(env.stateHash, hashOf(2)));
    assert.equal(env.description, "pre-release");
    assert.deepEqual([env.createdHeight, env.updatedHeight], [1, 2]);
    assert.ok(bytesEqual(env.creator, a));
  });

  it("refuses a sender without write_blue_state, an existing name, an unknown name and a version not higher, changing no state", () => {
    const { app, a, d, send } = setup();
    assert.deepEqual(send(a, "env.create", { name: "staging", stateHash: hashOf(1), version: 3 }), []);
    const before = app.store.root();
    assert.deepEqual(send(d, "env.create", { name: "other", stateHash: hashOf(1), version: 1 }), ["APP_MISSING_ROLE"]);
    assert.deepEqual(send(d, "env.update", { name: "staging", stateHash: hashOf(2), version: 4 }), ["APP_MISSING_ROLE"]);
    assert.deepEqual(send(a, "env.create", { name: "staging", stateHash: hashOf(2), version: 9 }), ["APP_ENV_EXISTS"]);
    assert.deepEqual(send(a, "env.update", { name: "nowhere", stateHash: hashOf(2), version: 9 }), ["APP_ENV_NOT_FOUND"]);
    assert.deepEqual(send(a, "env.update", { name: "staging", stateHash: hashOf(2), version: 3 }), ["APP_ENV_VERSION_NOT_HIGHER"]);
    assert.deepEqual(send(a, "env.update", { name: "staging", stateHash: hashOf(2), version: 2 }), ["APP_ENV_VERSION_NOT_HIGHER"]);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(readEnvironment(app.get, "staging")?.version, 3);
  });

  it("names the missing role in the refusal", () => {
    const { app, d } = setup();
    const tx = { chainId, from: d, nonce: 1, type: "env.create", body: { name: "x", stateHash: hashOf(1), version: 1 } } as Tx;
    const [rejection] = app.run([unsigned(tx)]).rejected;
    assert.match(rejection?.message ?? "", /write_blue_state/);
  });
});

describe("app: env.checkpoint", () => {
  it("records checkpoints in version order with height and tx hash", () => {
    const { app, a, send } = setup();
    send(a, "env.create", { name: "dev", stateHash: hashOf(1), version: 1 });
    send(a, "env.update", { name: "dev", stateHash: hashOf(2), version: 2 });
    assert.deepEqual(send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(1), version: 1 }), []);
    assert.deepEqual(send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(2), version: 2 }), []);
    const checkpoints = readCheckpoints(app.get, "dev");
    assert.equal(checkpoints.total, 2);
    assert.deepEqual(checkpoints.recent.map((c) => [c.version, c.height, toHex(c.stateHash).slice(0, 2)]), [[1, 3, "01"], [2, 4, "02"]]);
    assert.equal(checkpoints.recent[1]?.txHash.length, 32);
  });

  it("refuses a checkpoint without the role, of an unknown environment, ahead of it, of another hash at its version, or not after the last", () => {
    const { app, a, d, send } = setup();
    send(a, "env.create", { name: "dev", stateHash: hashOf(1), version: 3 });
    send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(9), version: 2 });
    const before = app.store.root();
    assert.deepEqual(send(d, "env.checkpoint", { name: "dev", stateHash: hashOf(1), version: 3 }), ["APP_MISSING_ROLE"]);
    assert.deepEqual(send(a, "env.checkpoint", { name: "prod", stateHash: hashOf(1), version: 3 }), ["APP_ENV_NOT_FOUND"]);
    assert.deepEqual(send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(1), version: 4 }), ["APP_ENV_CHECKPOINT_AHEAD"]);
    assert.deepEqual(send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(2), version: 3 }), ["APP_ENV_CHECKPOINT_MISMATCH"]);
    assert.deepEqual(send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(9), version: 2 }), ["APP_ENV_VERSION_NOT_HIGHER"]);
    assert.ok(bytesEqual(app.store.root(), before));
  });

  it(`keeps the last ${ENV_RECORDS_MAX} checkpoints in state and counts all of them`, () => {
    const { app, a, send } = setup();
    send(a, "env.create", { name: "dev", stateHash: hashOf(1), version: ENV_RECORDS_MAX + 5 });
    for (let version = 0; version < ENV_RECORDS_MAX + 5; version++) send(a, "env.checkpoint", { name: "dev", stateHash: hashOf(7), version });
    const checkpoints = readCheckpoints(app.get, "dev");
    assert.equal(checkpoints.total, ENV_RECORDS_MAX + 5);
    assert.equal(checkpoints.recent.length, ENV_RECORDS_MAX);
    assert.deepEqual([checkpoints.recent[0]?.version, checkpoints.recent.at(-1)?.version], [5, ENV_RECORDS_MAX + 4]);
  });
});

describe("app: env.merge", () => {
  it("sets the target's state and records the sources at their versions and the strategy", () => {
    const { app, a, send } = setup();
    send(a, "env.create", { name: "feature-a", stateHash: hashOf(1), version: 4 });
    send(a, "env.create", { name: "feature-b", stateHash: hashOf(2), version: 7 });
    send(a, "env.create", { name: "main", stateHash: hashOf(3), version: 1 });
    assert.deepEqual(send(a, "env.merge", { sources: ["feature-a", "feature-b"], target: "main", strategy: "ours", stateHash: hashOf(4), version: 2 }), []);
    const main = readEnvironment(app.get, "main");
    assert.deepEqual([main?.version, main && toHex(main.stateHash).slice(0, 2), main?.updatedHeight], [2, "04", 4]);
    const merges = readMerges(app.get, "main");
    assert.equal(merges.total, 1);
    assert.deepEqual(merges.recent[0]?.sources, [{ name: "feature-a", version: 4 }, { name: "feature-b", version: 7 }]);
    assert.equal(merges.recent[0]?.strategy, "ours");
    assert.equal(readEnvironment(app.get, "feature-a")?.version, 4, "sources are unchanged");
  });

  it("refuses a merge without the role, into or from an unknown environment, with duplicate sources, the target as a source, or a version not higher", () => {
    const { app, a, d, send } = setup();
    send(a, "env.create", { name: "src", stateHash: hashOf(1), version: 1 });
    send(a, "env.create", { name: "main", stateHash: hashOf(2), version: 5 });
    const before = app.store.root();
    const merge = { sources: ["src"], target: "main", strategy: "fast-forward" as const, stateHash: hashOf(3), version: 6 };
    assert.deepEqual(send(d, "env.merge", merge), ["APP_MISSING_ROLE"]);
    assert.deepEqual(send(a, "env.merge", { ...merge, target: "nowhere" }), ["APP_ENV_NOT_FOUND"]);
    assert.deepEqual(send(a, "env.merge", { ...merge, sources: ["src", "ghost"] }), ["APP_ENV_NOT_FOUND"]);
    assert.deepEqual(send(a, "env.merge", { ...merge, sources: ["src", "src"] }), ["APP_ENV_MERGE_DUPLICATE_SOURCE"]);
    assert.deepEqual(send(a, "env.merge", { ...merge, sources: ["src", "main"] }), ["APP_ENV_MERGE_SOURCE_IS_TARGET"]);
    assert.deepEqual(send(a, "env.merge", { ...merge, version: 5 }), ["APP_ENV_VERSION_NOT_HIGHER"]);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(readMerges(app.get, "main").total, 0);
  });
});

describe("app: env.promote", () => {
  it("promotes with promote_to_green alone when no env.promote policy exists, and refuses promoting the Green state again", () => {
    const { app, a, send } = setup();
    send(a, "env.create", { name: "staging", stateHash: hashOf(1), version: 1 });
    assert.equal(readGreen(app.get), undefined);
    assert.deepEqual(send(a, "env.promote", { name: "staging" }), []);
    const green = readGreen(app.get);
    assert.deepEqual([green?.name, green?.version, green?.height, green && toHex(green.stateHash).slice(0, 2)], ["staging", 1, 2, "01"]);
    assert.deepEqual(send(a, "env.promote", { name: "staging" }), ["APP_ALREADY_GREEN"]);
    assert.deepEqual(send(a, "env.promote", { name: "ghost" }), ["APP_ENV_NOT_FOUND"]);
    assert.deepEqual(send(a, "env.promote", { name: "staging" }, [keyB]), ["APP_ALREADY_GREEN"]);
    send(a, "env.create", { name: "next", stateHash: hashOf(1), version: 1 });
    assert.deepEqual(send(a, "env.promote", { name: "next" }, [keyB]), ["APP_COSIGNATURES_UNEXPECTED"]);
    assert.deepEqual(send(a, "env.promote", { name: "next" }), [], "another environment with the same state hash may become Green");
    assert.deepEqual([readGreen(app.get)?.name, readGreenCount(app.get)], ["next", 2]);
  });

  it("refuses a promotion by a sender without promote_to_green, even with cosignatures", () => {
    const { app, a, d, send } = setup({ policy: true });
    send(a, "env.create", { name: "staging", stateHash: hashOf(1), version: 1 });
    const before = app.store.root();
    assert.deepEqual(send(d, "env.promote", { name: "staging" }), ["APP_MISSING_ROLE"]);
    assert.deepEqual(send(d, "env.promote", { name: "staging" }, [keyA, keyB]), ["APP_MISSING_ROLE"]);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(readGreen(app.get), undefined);
  });

  it("with a 2-of-3 env.promote policy: refuses one signature, accepts two real ones, then Green and its history grow", () => {
    const { app, a, b, send } = setup({ policy: true });
    send(a, "env.create", { name: "staging", stateHash: hashOf(1), version: 1 });
    assert.deepEqual(send(a, "env.promote", { name: "staging" }), ["APP_POLICY_THRESHOLD_NOT_MET"]);
    assert.deepEqual(send(b, "env.promote", { name: "staging" }), ["APP_POLICY_THRESHOLD_NOT_MET"]);
    assert.deepEqual(send(a, "env.promote", { name: "staging" }, [keyD]), ["APP_COSIGNER_NOT_IN_POLICY"]);
    assert.equal(readGreenCount(app.get), 0);
    assert.deepEqual(send(a, "env.promote", { name: "staging" }, [keyB]), []);
    assert.equal(readGreen(app.get)?.version, 1);
    send(a, "env.update", { name: "staging", stateHash: hashOf(2), version: 2 });
    assert.deepEqual(send(b, "env.promote", { name: "staging" }, [keyA, keyC]), []);
    const history = readGreenHistory(app.get, 0, 10);
    assert.equal(readGreenCount(app.get), 2);
    assert.deepEqual(history.map((g) => [g.name, g.version]), [["staging", 1], ["staging", 2]]);
    assert.deepEqual(readGreen(app.get), history[1]);
  });

  it("binds the cosignatures to the promotion: cosignatures of another environment's promotion do not verify", () => {
    const { a, send, app } = setup({ policy: true });
    send(a, "env.create", { name: "one", stateHash: hashOf(1), version: 1 });
    send(a, "env.create", { name: "two", stateHash: hashOf(2), version: 1 });
    const other = withCosignatures({ chainId, from: a, nonce: 3, type: "env.promote", body: { name: "one" } }, [keyB]);
    const cosignatures = (other.body as { cosignatures?: unknown }).cosignatures;
    const replayed = { chainId, from: a, nonce: 3, type: "env.promote", body: { name: "two", cosignatures } } as Tx;
    assert.deepEqual(app.run([unsigned(replayed)]).rejected.map((r) => r.code), ["APP_BAD_COSIGNATURE"]);
  });
});
