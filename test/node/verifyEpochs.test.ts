/**
 * ghostmesh verify across a validator-set change (decision 0605): a PoS chain whose set drops
 * a validator at the end of epoch 0 verifies with each epoch's set, and a block after the
 * boundary that still carries the old set (in its QC or its header) is refused naming the
 * height and the epoch.
 */
import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeCanonical } from "../../src/codec/index.ts";
import { ChainStore, decodeStoredHeader, hashValidatorSet } from "../../src/ledger/index.ts";
import { homePaths } from "../../src/node/home.ts";
import { VerifyFailure, verifyStore } from "../../src/node/verify.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { EPOCH_BLOCKS, LEAVING, buildEpochChain, prepareEpochHomes, type EpochChainReport, type EpochChainTamper } from "../fixtures/epochChain.ts";

const BLOCKS = 10;

describe("verify: validator sets per epoch", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-verify-epochs-"));
  let counter = 0;
  /** A chain of BLOCKS blocks in a fresh 4-validator PoS home (one devnet per chain: homes share a genesis). */
  const build = async (tamper?: EpochChainTamper): Promise<{ home: string; genesis: ReturnType<typeof prepareEpochHomes>["genesis"]; report: EpochChainReport }> => {
    const homes = prepareEpochHomes(join(dir, `net${counter++}`), "verify-epochs");
    const home = homes.homes[0]!.home;
    const report = await buildEpochChain({ home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, ...(tamper === undefined ? {} : { tamper }) });
    return { home, genesis: homes.genesis, report };
  };
  const verifyHome = async (home: string, genesis: ReturnType<typeof prepareEpochHomes>["genesis"]) => {
    const store = new ChainStore(homePaths(home).chainDb);
    try {
      return await verifyStore(store, genesis);
    } finally {
      store.close();
    }
  };
  const failureOf = async (tamper: EpochChainTamper): Promise<VerifyFailure> => {
    const { home, genesis } = await build(tamper);
    try {
      await verifyHome(home, genesis);
    } catch (err) {
      if (err instanceof VerifyFailure) return err;
      throw err;
    }
    return assert.fail(`verify passed a chain with ${tamper.kind} at height ${tamper.height}`);
  };

  let clean: Awaited<ReturnType<typeof build>>;
  before(async () => {
    clean = await build();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the fixture's set drops the unbonded validator at the first epoch boundary", () => {
    const [epoch0, epoch1, epoch2] = clean.report.sets;
    assert.ok(epoch0 && epoch1 && epoch2, "three epochs reached");
    assert.ok(bytesEqual(epoch0.hash, hashValidatorSet({ validators: clean.genesis.validators })), "epoch 0 is the genesis set");
    assert.equal(epoch0.set.validators.length, 4);
    assert.equal(epoch1.set.validators.length, 3);
    assert.ok(!bytesEqual(epoch1.hash, epoch0.hash), "the set hash changed at the boundary");
    const leaving = toHex(clean.genesis.validators[LEAVING]!.address);
    assert.ok(!epoch1.set.validators.some((v) => toHex(v.address) === leaving), "the unbonded validator left the set");
    assert.ok(bytesEqual(epoch2.hash, epoch1.hash), "nothing changed in epoch 1: epoch 2 keeps the set");
  });

  it("the chain verifies, each epoch's headers and QCs checked against that epoch's set", async () => {
    const report = await verifyHome(clean.home, clean.genesis);
    assert.equal(report.height, BLOCKS);
    assert.equal(report.txs, BLOCKS);
  });

  it("a changed byte in a header's justify is named at that header, not at the block its justify certifies", async () => {
    const copy = join(dir, "justify-signature");
    cpSync(clean.home, copy, { recursive: true });
    const height = 6;
    const store = new ChainStore(homePaths(copy).chainDb);
    try {
      assert.equal(store.storedCertificateBytes(height - 1), undefined, "block 5's certificate is stored only as block 6's justify");
      const header = store.getBlock(height)!.header;
      const justify = encodeCanonical(decodeStoredHeader(header, height).justify!);
      const at = Buffer.from(header).indexOf(Buffer.from(justify));
      assert.ok(at >= 0, "the justify's canonical bytes are in the header");
      const damaged = header.slice();
      // Canonical key order puts "signatures" last in a QC: this byte is in its last signature.
      damaged[at + justify.byteLength - 10]! ^= 0x01;
      store.unsafeDatabase().prepare("UPDATE blocks SET header = ? WHERE height = ?").run(damaged, height);
    } finally {
      store.close();
    }
    try {
      await verifyHome(copy, clean.genesis);
      assert.fail("verify passed a damaged header");
    } catch (err) {
      if (!(err instanceof VerifyFailure)) throw err;
      assert.equal(err.meta.height, height, err.message);
      assert.equal(err.meta.object, "block header");
    }
  });

  it("a first-of-epoch block whose QC is signed by the previous epoch's set fails, naming height and epoch", async () => {
    const failure = await failureOf({ height: EPOCH_BLOCKS, kind: "qc-previous-set" });
    assert.equal(failure.meta.height, EPOCH_BLOCKS);
    assert.equal(failure.meta.object, "block certificate");
    assert.match(failure.message, /^height 4: block certificate: is not a quorum of the validator set of epoch 1 \(3 validators\)/);
  });

  it("a block whose header names the previous epoch's set hash fails, saying which set it named", async () => {
    const failure = await failureOf({ height: EPOCH_BLOCKS + 2, kind: "header-previous-set-hash" });
    assert.equal(failure.meta.height, EPOCH_BLOCKS + 2);
    assert.match(failure.message, /^height 6: block header: validatorSetHash [0-9a-f]+ is not the hash of the validator set of epoch 1 \([0-9a-f]+\): it is the set of epoch 0, which epoch 1 replaced$/);
  });
});
