/**
 * Offline bundles across a validator-set change (decision 0605): a bundle of a PoS chain whose
 * set drops a validator at the end of epoch 0 imports whole, each batch checked with its
 * epoch's set; a bundle whose post-boundary block still carries the old set is refused naming
 * that block, and the store is left as it was.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { exportBundle, importBundle } from "../../src/node/bundle/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";
import { EPOCH_BLOCKS, buildEpochChain, prepareEpochHomes, type EpochChainTamper } from "../fixtures/epochChain.ts";
import { hashesOf } from "./bundle/chainFixture.ts";

const BLOCKS = 10;

describe("offline bundles across validator-set epochs", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-bundle-epochs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A devnet whose home 0 holds the chain (tampered or not) and its bundle; homes 1..3 are empty. */
  const prepare = async (name: string, tamper?: EpochChainTamper) => {
    const homes = prepareEpochHomes(join(dir, name), "bundle-epochs");
    await buildEpochChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, ...(tamper === undefined ? {} : { tamper }) });
    const bundle = join(dir, `${name}.bundle`);
    await exportBundle({ home: homes.homes[0]!.home, fromHeight: 1, toHeight: BLOCKS, out: bundle });
    return { homes, bundle };
  };
  const refusal = async (home: string, bundle: string): Promise<GhostmeshError> => {
    try {
      await importBundle({ home, file: bundle });
    } catch (err) {
      if (err instanceof GhostmeshError) return err;
      throw err;
    }
    return assert.fail("the tampered bundle was imported");
  };

  it("a bundle spanning the set change imports whole and the home holds the exporter's blocks", async () => {
    const { homes, bundle } = await prepare("clean");
    const home = homes.homes[1]!.home;
    assert.deepEqual(await importBundle({ home, file: bundle }), { imported: BLOCKS, alreadyPresent: 0, fromHeight: 1, toHeight: BLOCKS });
    assert.deepEqual(hashesOf(home), hashesOf(homes.homes[0]!.home));
    // Importing the second half alone on top of the first epoch crosses the boundary too.
    const partial = homes.homes[2]!.home;
    const firstEpoch = join(dir, "clean-first.bundle");
    const rest = join(dir, "clean-rest.bundle");
    await exportBundle({ home: homes.homes[0]!.home, fromHeight: 1, toHeight: EPOCH_BLOCKS - 2, out: firstEpoch });
    await exportBundle({ home: homes.homes[0]!.home, fromHeight: EPOCH_BLOCKS - 1, toHeight: BLOCKS, out: rest });
    await importBundle({ home: partial, file: firstEpoch });
    assert.deepEqual(await importBundle({ home: partial, file: rest }), { imported: BLOCKS - EPOCH_BLOCKS + 2, alreadyPresent: 0, fromHeight: EPOCH_BLOCKS - 1, toHeight: BLOCKS });
    assert.deepEqual(hashesOf(partial), hashesOf(homes.homes[0]!.home));
  });

  it("a bundle whose first post-boundary block has a QC of the old set is refused naming that block; nothing is imported", async () => {
    const { homes, bundle } = await prepare("old-qc", { height: EPOCH_BLOCKS, kind: "qc-previous-set" });
    const home = homes.homes[1]!.home;
    const err = await refusal(home, bundle);
    assert.equal(err.code, "NODE_BUNDLE_BLOCK_INVALID");
    assert.equal((err.meta as { height: number }).height, EPOCH_BLOCKS);
    assert.match(err.message, /its QC is not a quorum of the validator set of epoch 1/);
    assert.deepEqual(hashesOf(home), [], "the import is all or nothing");
  });

  it("a bundle whose post-boundary header names the old set hash is refused naming that block", async () => {
    const { homes, bundle } = await prepare("old-hash", { height: EPOCH_BLOCKS + 1, kind: "header-previous-set-hash" });
    const err = await refusal(homes.homes[1]!.home, bundle);
    assert.equal(err.code, "NODE_BUNDLE_BLOCK_INVALID");
    assert.equal((err.meta as { height: number }).height, EPOCH_BLOCKS + 1);
    assert.match(err.message, /validatorSetHash [0-9a-f]+ is not the hash of the validator set of epoch 1/);
  });
});
