/**
 * The CLI's trusted validator set file (src/cli/trustCache.ts): a walk that starts from it asks
 * the node only for later epochs; the file is written only forward, per genesis, and a damaged,
 * foreign or unwritable file is reported, never silently trusted or fatal to a verified result.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidatorSetWalk, verifyCheckpointFromGenesis, type CheckpointResponse, type ValidatorSetsResponse } from "../../src/client/index.ts";
import type { Io } from "../../src/cli/command.ts";
import { loadTrustedSet, openCachedWalk, saveTrustedSet, trustCachePath } from "../../src/cli/trustCache.ts";
import { hashGenesis } from "../../src/ledger/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";
import { openEpochChainApi, type EpochChainApi } from "../fixtures/epochChainApi.ts";
import { removeDir } from "../helpers/testChain.ts";

const HEAD_HEIGHT = 7;

describe("trusted validator set file", () => {
  let t: EpochChainApi;
  let dir: string;
  const asked: number[] = [];

  async function get<T>(url: string): Promise<T> {
    const res = await t.api.inject({ method: "GET", url });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as T;
  }
  const source = {
    validatorSets: (fromEpoch: number, toEpoch?: number) => (asked.push(fromEpoch), get<ValidatorSetsResponse>(`/v1/validator-sets?fromEpoch=${fromEpoch}${toEpoch === undefined ? "" : `&toEpoch=${toEpoch}`}`)),
  };
  function io(env: NodeJS.ProcessEnv): Io & { errors: string[] } {
    const errors: string[] = [];
    return { stdout: () => {}, stderr: (text) => void errors.push(text), env, errors };
  }
  function invalid(err: unknown, pattern: RegExp): boolean {
    assert.ok(err instanceof GhostmeshError, String(err));
    assert.equal(err.code, "CLI_TRUST_CACHE_INVALID");
    assert.match(err.message, pattern);
    assert.match(err.message, /--no-trust-cache/);
    return true;
  }

  before(() => {
    t = openEpochChainApi();
    t.commitUpTo(HEAD_HEIGHT);
    dir = mkdtempSync(join(tmpdir(), "gm-trust-cache-"));
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
    removeDir(dir);
  });

  it("is kept per genesis under XDG_CACHE_HOME or ~/.cache, unless a flag says otherwise", () => {
    const file = `${toHex(hashGenesis(t.genesis))}.json`;
    assert.equal(trustCachePath({}, { XDG_CACHE_HOME: "/x", HOME: "/h" }, t.genesis), join("/x", "ghostmesh", "validator-sets", file));
    assert.equal(trustCachePath({}, { HOME: "/h" }, t.genesis), join("/h", ".cache", "ghostmesh", "validator-sets", file));
    assert.equal(trustCachePath({}, {}, t.genesis), null, "no cache directory: no file");
    assert.equal(trustCachePath({ "trust-cache": "/f.json" }, { HOME: "/h" }, t.genesis), "/f.json");
    assert.equal(trustCachePath({ "no-trust-cache": true, "trust-cache": "/f.json" }, { HOME: "/h" }, t.genesis), null);
  });

  it("starts the next walk where the last verified one ended, asking only for later epochs", async () => {
    const env = { XDG_CACHE_HOME: join(dir, "cache") };
    const checkpoint = await get<CheckpointResponse>("/v1/checkpoint");
    const first = openCachedWalk(io(env), source, t.genesis, {});
    asked.length = 0;
    assert.equal((await verifyCheckpointFromGenesis(first.walk, checkpoint)).validatorSet.epoch, 2);
    assert.deepEqual(asked, [1], "from genesis: one page from epoch 1");
    first.keepNewest();
    const path = trustCachePath({}, env, t.genesis) as string;
    const kept = loadTrustedSet(path, t.genesis);
    assert.equal(kept?.epoch, 2);
    assert.equal(toHex(kept.hash), toHex(t.chain.validatorSets.forEpoch(2).hash));

    const second = openCachedWalk(io(env), source, t.genesis, {});
    assert.equal(second.walk.newest.epoch, 2);
    asked.length = 0;
    assert.equal((await verifyCheckpointFromGenesis(second.walk, checkpoint)).validatorSet.epoch, 2);
    assert.deepEqual(asked, [], "the checkpoint's epoch is the kept one: no walk");
    // An earlier epoch is still walked from genesis.
    assert.equal((await second.walk.forEpoch(1)).epoch, 1);
    assert.deepEqual(asked, [1]);
  });

  it("is written only forward", () => {
    const path = join(dir, "forward.json");
    const sets = [0, 1, 2].map((epoch) => ({ ...t.chain.validatorSets.forEpoch(epoch), epoch }));
    saveTrustedSet(path, t.genesis, sets[0]!, null);
    assert.equal(loadTrustedSet(path, t.genesis), null, "the genesis set is never written");
    saveTrustedSet(path, t.genesis, sets[2]!, null);
    saveTrustedSet(path, t.genesis, sets[1]!, loadTrustedSet(path, t.genesis));
    assert.equal(loadTrustedSet(path, t.genesis)?.epoch, 2);
  });

  it("refuses a damaged or foreign file, naming it and the way out", () => {
    const path = join(dir, "damaged.json");
    saveTrustedSet(path, t.genesis, { ...t.chain.validatorSets.forEpoch(2), epoch: 2 }, null);
    const good = JSON.parse(readFileSync(path, "utf8")) as { hash: string; genesisHash: string; validators: { power: number }[] };

    writeFileSync(path, JSON.stringify({ ...good, hash: "00".repeat(32) }));
    assert.throws(() => loadTrustedSet(path, t.genesis), (err) => invalid(err, /validators hash to [0-9a-f]{64}, not to the recorded 0{64}/));
    writeFileSync(path, JSON.stringify({ ...good, validators: good.validators.map((v, i) => (i === 0 ? { ...v, power: v.power + 1 } : v)) }));
    assert.throws(() => loadTrustedSet(path, t.genesis), (err) => invalid(err, /validators hash to/));
    writeFileSync(path, JSON.stringify({ ...good, genesisHash: "11".repeat(32) }));
    assert.throws(() => loadTrustedSet(path, t.genesis), (err) => invalid(err, /not of this genesis/));
    writeFileSync(path, "{ not json");
    assert.throws(() => loadTrustedSet(path, t.genesis), (err) => invalid(err, /is not a trusted validator set file/));
    writeFileSync(path, JSON.stringify({ ...good, format: "something-else" }));
    assert.throws(() => loadTrustedSet(path, t.genesis), (err) => invalid(err, /is not a trusted validator set file/));
    assert.equal(loadTrustedSet(join(dir, "absent.json"), t.genesis), null);
  });

  it("warns instead of failing when the verified set cannot be kept", async () => {
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const out = io({});
    const cached = openCachedWalk(out, source, t.genesis, { "trust-cache": join(blocker, "sets.json") });
    await verifyCheckpointFromGenesis(cached.walk, await get<CheckpointResponse>("/v1/checkpoint"));
    cached.keepNewest();
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0]!, /^warning: the verified validator set was not kept in .*not-a-directory\/sets\.json/);
  });

  it("without a file, walks from genesis as before", async () => {
    const cached = openCachedWalk(io({}), source, t.genesis, {});
    assert.equal(cached.walk.newest.epoch, 0);
    assert.ok(cached.walk instanceof ValidatorSetWalk);
  });
});
