/**
 * Under a flood a proposal can carry a transaction before its gossiped copy is admitted, or
 * while it is: each validator still checks each transaction's signature once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { buildTx } from "../../../src/client/index.ts";
import { addressFromPublicKey, generateSigningKey, signatureWorkCounts } from "../../../src/crypto/index.ts";
import { ChainStore, type Block, type Genesis } from "../../../src/ledger/index.ts";
import { Mempool, defaultMempoolOptions, type PendingVerdict } from "../../../src/mempool/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { verifyBlockTxsAhead } from "../../../src/node/consensus/inbound.ts";
import { LedgerApplication } from "../../../src/node/consensus/index.ts";
import { TX_SIGNATURES_VERIFIED_MAX, TxSignatureCache, admissionVerifier } from "../../../src/node/consensus/txChecks.ts";
import type { Logger } from "../../../src/node/types.ts";
import { toHex } from "../../../src/util/index.ts";

const key = generateSigningKey();
const other = generateSigningKey();
const built = buildTx(key, "tx-signatures", 1, { type: "audit.append", record: { action: "deploy" } });
const txHashHex = toHex(built.hash);
const { sig } = built.signedTx;
const forged = sig.slice();
forged[5] = (forged[5] as number) ^ 1;

function checksOnThreadpool<T>(run: () => Promise<T>): Promise<{ result: T; checks: number }> {
  const before = signatureWorkCounts().verifiesOnThreadpool;
  return run().then((result) => ({ result, checks: signatureWorkCounts().verifiesOnThreadpool - before }));
}

describe("transaction signatures checked once", () => {
  it("admission takes a verdict the application already holds, and checks anything else", async () => {
    const signatures = new TxSignatureCache(() => undefined);
    signatures.remember(txHashHex, { sig, alg: key.alg, publicKey: key.publicKey });
    const verifier = admissionVerifier(() => signatures);
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(key.alg, key.publicKey, built.hash, sig)), { result: true, checks: 0 });
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(key.alg, key.publicKey, built.hash, forged)), { result: false, checks: 1 }, "other signature bytes");
    assert.deepEqual(await checksOnThreadpool(() => verifier.verify(other.alg, other.publicKey, built.hash, sig)), { result: false, checks: 1 }, "another key");
    const before = admissionVerifier(() => null);
    assert.deepEqual(await checksOnThreadpool(() => before.verify(key.alg, key.publicKey, built.hash, sig)), { result: true, checks: 1 }, "no application yet");
  });

  it("a check under way is found for the same signature and key only", async () => {
    const pending: PendingVerdict = { sig, alg: key.alg, publicKey: key.publicKey, valid: Promise.resolve(true) };
    const signatures = new TxSignatureCache(() => undefined, TX_SIGNATURES_VERIFIED_MAX, (hashHex) => (hashHex === txHashHex ? pending : undefined));
    assert.equal(signatures.pendingCheck(txHashHex, sig, key), pending.valid);
    assert.equal(signatures.pendingCheck(txHashHex, forged, key), undefined);
    assert.equal(signatures.pendingCheck(txHashHex, sig, other), undefined);
    assert.equal(signatures.pendingCheck("00", sig, key), undefined);
  });
});

describe("a proposal and the gossiped copy of its transaction, at a follower", () => {
  const CHAIN_ID = "tx-signatures-node";
  const dir = mkdtempSync(join(tmpdir(), "gm-tx-signatures-"));
  const validatorKey = generateSigningKey();
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    genesisTime: 1_800_000_000_000 - 1000,
    validators: [{ name: "v0", address: addressFromPublicKey(validatorKey.alg, validatorKey.publicKey), alg: validatorKey.alg, publicKey: validatorKey.publicKey, power: 1 }],
  };
  const stores: ChainStore[] = [];
  after(() => {
    for (const store of stores) store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A validator's chain, mempool and application, wired as validatorNode wires them. */
  function openNode(name: string) {
    const store = new ChainStore(join(dir, `${name}.db`));
    stores.push(store);
    const chain = new Chain(genesis, store);
    let appSignatures: TxSignatureCache | null = null;
    const mempool = new Mempool({ ...defaultMempoolOptions, chainId: CHAIN_ID }, { accounts: chain.accounts, verifier: admissionVerifier(() => appSignatures), metrics: null });
    const app = new LedgerApplication(
      { txsMax: 100, entriesMax: 10_000, bytesMax: 1 << 24, timestampAheadMsMax: 5_000 },
      { chain, mempool, clock: { nowMs: () => 1_800_000_000_000 }, logger: pino({ level: "silent" }) as unknown as Logger, metrics: null },
    );
    appSignatures = app.signatures;
    return { chain, mempool, app };
  }

  /** A registration, and a block by another validator that carries it. */
  async function proposedRegistration(name: string): Promise<{ readonly bytes: Uint8Array; readonly block: Block }> {
    const proposer = openNode(`${name}-proposer`);
    const { bytes } = buildTx(generateSigningKey(), CHAIN_ID, 0, { type: "account.register" });
    await proposer.mempool.admit(bytes);
    const block = proposer.app.proposeBlock({ parentHash: proposer.chain.genesisHash, parentHeight: 0, justify: null, view: 1, proposer: 0, evidence: [] });
    assert.equal(block.txs.length, 1);
    return { bytes, block };
  }

  it("the proposal arrives while the gossiped copy is being admitted: one check", async () => {
    const { bytes, block } = await proposedRegistration("during");
    const follower = openNode("during-follower");
    const { checks } = await checksOnThreadpool(async () => {
      const admitted = follower.mempool.admit(bytes);
      await verifyBlockTxsAhead(block, follower);
      await admitted;
    });
    assert.equal(checks, 1);
    assert.equal(follower.mempool.readyCount, 1);
  });

  it("the proposal arrives before the gossiped copy: one check", async () => {
    const { bytes, block } = await proposedRegistration("before");
    const follower = openNode("before-follower");
    const { checks } = await checksOnThreadpool(async () => {
      await verifyBlockTxsAhead(block, follower);
      await follower.mempool.admit(bytes);
    });
    assert.equal(checks, 1);
    assert.equal(follower.mempool.readyCount, 1);
  });
});
