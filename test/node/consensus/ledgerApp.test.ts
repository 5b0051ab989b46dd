/**
 * The speculative ledger application: a block proposed by one validator validates at
 * another, any header field or transaction that does not match re-execution is refused with
 * a reason, and proposals on uncommitted parents leave out what those parents carry.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { buildTx } from "../../../src/client/index.ts";
import { buildQc, voteMessage } from "../../../src/consensus/index.ts";
import { addressFromPublicKey, generateSigningKey, sign, verifyAsync, type SigningKey } from "../../../src/crypto/index.ts";
import { ChainStore, hashBlockHeader, hashEvidenceList, hashTx, txRoot, type Block, type BlockHeader, type Evidence, type Genesis, type QuorumCertificate } from "../../../src/ledger/index.ts";
import { Mempool, defaultMempoolOptions } from "../../../src/mempool/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { LedgerApplication } from "../../../src/node/consensus/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { toHex } from "../../../src/util/index.ts";

const CHAIN_ID = "ledger-app-test";
const TIMESTAMP_AHEAD_MS_MAX = 5_000;
const silent = pino({ level: "silent" }) as unknown as Logger;

type Node = { readonly store: ChainStore; readonly chain: Chain; readonly mempool: Mempool; readonly app: LedgerApplication };

describe("consensus in the node: the speculative ledger application", () => {
  let dir = "";
  let clockMs = 1_800_000_000_000;
  const validatorKeys: SigningKey[] = Array.from({ length: 4 }, () => generateSigningKey());
  const genesis: Genesis = {
    chainId: CHAIN_ID,
    genesisTime: clockMs - 1000,
    validators: validatorKeys.map((key, i) => ({ name: `v${i}`, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 })),
  };
  const client = generateSigningKey();
  let proposer: Node;
  let validator: Node;
  let block1: Block;
  let qc1: QuorumCertificate;
  let block2: Block;

  function openNode(name: string): Node {
    const store = new ChainStore(join(dir, `${name}.db`));
    const chain = new Chain(genesis, store);
    const mempool = new Mempool({ ...defaultMempoolOptions, chainId: CHAIN_ID }, { accounts: chain.accounts, verifier: { verify: verifyAsync }, metrics: null });
    const app = new LedgerApplication(
      { txsMax: 100, entriesMax: 10_000, bytesMax: 1 << 24, timestampAheadMsMax: TIMESTAMP_AHEAD_MS_MAX },
      { chain, mempool, clock: { nowMs: () => clockMs }, logger: silent, metrics: null },
    );
    return { store, chain, mempool, app };
  }

  function certify(block: Block): QuorumCertificate {
    const hash = hashBlockHeader(block.header);
    const message = voteMessage(CHAIN_ID, block.header.view, block.header.height, hash);
    return buildQc(block.header.view, block.header.height, hash, new Map([0, 1, 2].map((i) => [i, sign(validatorKeys[i]!, message)])), 4);
  }

  function withHeader(block: Block, patch: Partial<BlockHeader>): [Block, Uint8Array] {
    const header = { ...block.header, ...patch };
    return [{ ...block, header }, hashBlockHeader(header)];
  }

  function expectRefused(node: Node, [block, hash]: [Block, Uint8Array], reason: RegExp): void {
    const result = node.app.validateBlock(block, hash);
    assert.equal(result.ok, false, `accepted a block that should be refused (${reason})`);
    if (!result.ok) assert.match(result.reason, reason);
  }

  function expectUntimely(node: Node, block: Block, reason: RegExp): void {
    const result = node.app.checkTimely(block);
    assert.equal(result.ok, false, `timely, but should not be (${reason})`);
    if (!result.ok) assert.match(result.reason, reason);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gm-ledger-app-"));
    proposer = openNode("proposer");
    validator = openNode("validator");
    await proposer.mempool.admit(buildTx(client, CHAIN_ID, 0, { type: "account.register" }).bytes);
    block1 = proposer.app.proposeBlock({ parentHash: proposer.chain.genesisHash, parentHeight: 0, justify: null, view: 1, proposer: 1, evidence: [] });
    qc1 = certify(block1);
  });

  after(() => {
    proposer?.store.close();
    validator?.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("validates another validator's proposal by re-executing it, then both commit the same head", async () => {
    assert.equal(block1.txs.length, 1);
    const hash = hashBlockHeader(block1.header);
    assert.deepEqual(validator.app.validateBlock(block1, hash), { ok: true });
    for (const node of [proposer, validator]) node.app.commit([{ block: block1, hash, qc: qc1 }]);
    assert.equal(toHex(proposer.chain.head.hash), toHex(validator.chain.head.hash));
    assert.equal(toHex(proposer.chain.head.logRoot), toHex(validator.chain.head.logRoot));
    assert.equal(proposer.mempool.size, 0, "the committed registration left the proposer's pool");
    for (let nonce = 1; nonce <= 3; nonce++) await proposer.mempool.admit(buildTx(client, CHAIN_ID, nonce, { type: "audit.append", record: { action: "deploy", data: { nonce } } }).bytes);
    clockMs += 100;
    block2 = proposer.app.proposeBlock({ parentHash: hash, parentHeight: 1, justify: qc1, view: 2, proposer: 2, evidence: [] });
    assert.equal(block2.txs.length, 3);
    assert.deepEqual(validator.app.validateBlock(block2, hashBlockHeader(block2.header)), { ok: true });
  });

  it("leaves out of a proposal on an uncommitted parent the transactions that parent carries", () => {
    const parentHash = hashBlockHeader(block2.header);
    const block3 = proposer.app.proposeBlock({ parentHash, parentHeight: 2, justify: certify(block2), view: 3, proposer: 3, evidence: [] });
    assert.equal(block3.txs.length, 0);
    assert.equal(proposer.mempool.readyCount, 3, "selected transactions stay in the pool until they commit");
    assert.equal(block3.header.logSize, block2.header.logSize);
  });

  it("refuses a block whose roots or counts differ from re-execution", () => {
    const other = new Uint8Array(32).fill(9);
    expectRefused(validator, withHeader(block2, { stateRoot: other }), /stateRoot/);
    expectRefused(validator, withHeader(block2, { logRoot: other }), /logRoot/);
    expectRefused(validator, withHeader(block2, { logSize: block2.header.logSize + 1 }), /logSize/);
    expectRefused(validator, withHeader(block2, { txRoot: other }), /txRoot/);
    expectRefused(validator, withHeader(block2, { txCount: 2 }), /txCount/);
    expectRefused(validator, withHeader(block2, { evidenceHash: other }), /evidenceHash/);
  });

  it("refuses a block with a wrong chain id, height, proposer, validator set or parent", () => {
    expectRefused(validator, withHeader(block2, { chainId: "another-chain" }), /chain id/);
    expectRefused(validator, withHeader(block2, { height: 3 }), /height/);
    expectRefused(validator, withHeader(block2, { proposer: genesis.validators[0]!.address }), /proposer is not the leader of view 2/);
    expectRefused(validator, withHeader(block2, { validatorSetHash: new Uint8Array(32) }), /validatorSetHash/);
    expectRefused(validator, withHeader(block2, { parentHash: new Uint8Array(32).fill(1) }), /never executed/);
  });

  it("refuses timestamps before the parent's; beyond the clock bound a block is valid but not timely, within it timely", () => {
    expectRefused(validator, withHeader(block2, { timestamp: block1.header.timestamp - 1 }), /before the parent/);
    // Validity never reads the clock: a block a quorum certified is followed whatever this validator's clock says.
    const [ahead, aheadHash] = withHeader(block2, { timestamp: clockMs + TIMESTAMP_AHEAD_MS_MAX + 1 });
    assert.deepEqual(validator.app.validateBlock(ahead, aheadHash), { ok: true });
    expectUntimely(validator, ahead, /ahead of this validator's clock/);
    // A proposer whose clock runs ahead, within the bound: the roots do not depend on the timestamp.
    const [skewed, hash] = withHeader(block2, { timestamp: clockMs + TIMESTAMP_AHEAD_MS_MAX });
    assert.deepEqual(validator.app.validateBlock(skewed, hash), { ok: true });
    assert.deepEqual(validator.app.checkTimely(skewed), { ok: true });
  });

  it("accepts a block that repeats its parent's timestamp when this validator's clock was stepped back behind it", () => {
    const savedMs = clockMs;
    try {
      clockMs = block1.header.timestamp - TIMESTAMP_AHEAD_MS_MAX - 60_000;
      const [repeated, hash] = withHeader(block2, { timestamp: block1.header.timestamp });
      assert.deepEqual(validator.app.validateBlock(repeated, hash), { ok: true });
      assert.deepEqual(validator.app.checkTimely(repeated), { ok: true });
      const [later, laterHash] = withHeader(block2, { timestamp: block1.header.timestamp + 1 });
      assert.deepEqual(validator.app.validateBlock(later, laterHash), { ok: true });
      expectUntimely(validator, later, /ahead of this validator's clock/);
      const proposed = proposer.app.proposeBlock({ parentHash: hashBlockHeader(block1.header), parentHeight: 1, justify: certify(block1), view: 2, proposer: 2, evidence: [] });
      assert.equal(proposed.header.timestamp, block1.header.timestamp, "a leader behind the head stamps the parent's time");
    } finally {
      clockMs = savedMs;
    }
  });

  it("refuses a block carrying a transaction whose signature does not verify, or one that does not apply", () => {
    const tx = block2.txs[0]!;
    const sig = tx.sig.slice();
    sig[10]! ^= 0x01;
    const forged = [{ ...tx, sig }, ...block2.txs.slice(1)];
    // txRoot commits to signatures: under the original header the swap alone is caught there.
    expectRefused(validator, [{ ...block2, txs: forged }, hashBlockHeader(block2.header)], /txRoot does not match/);
    expectRefused(validator, withHeader({ ...block2, txs: forged }, { txRoot: txRoot(forged.map((signedTx) => ({ txHash: hashTx(signedTx.tx), signedTx }))) }), /signature that does not verify/);
    // The same transaction twice: the header is consistent with the list, but the second cannot apply.
    const doubled = [tx, ...block2.txs];
    const [block, hash] = withHeader({ ...block2, txs: doubled }, { txRoot: txRoot(doubled.map((signedTx) => ({ txHash: hashTx(signedTx.tx), signedTx }))), txCount: doubled.length });
    expectRefused(validator, [block, hash], /does not apply: expected nonce/);
  });

  it("commits evidence once: a later proposal leaves it out, and a block carrying it again is refused; a held transaction whose nonce a commit spent is refused MEMPOOL_NONCE_USED", async () => {
    // The engine verifies evidence signatures; the application only tracks what committed.
    const evidence: Evidence = { kind: "vote", validator: genesis.validators[3]!.address, view: 2, first: new Uint8Array([1]), second: new Uint8Array([2]) };
    const hash2 = hashBlockHeader(block2.header);
    const qc2 = certify(block2);
    const block3 = proposer.app.proposeBlock({ parentHash: hash2, parentHeight: 2, justify: qc2, view: 3, proposer: 3, evidence: [evidence] });
    assert.equal(block3.evidence.length, 1);
    const hash3 = hashBlockHeader(block3.header);
    assert.deepEqual(validator.app.validateBlock(block3, hash3), { ok: true });
    const qc3 = certify(block3);
    // Another client's transaction with nonce 2, sent to this validator only: block 2 spends that nonce.
    const conflicting = await validator.mempool.admit(buildTx(client, CHAIN_ID, 2, { type: "audit.append", record: { action: "conflicts with block 2" } }).bytes);
    for (const node of [proposer, validator]) node.app.commit([{ block: block2, hash: hash2, qc: qc2 }, { block: block3, hash: hash3, qc: qc3 }]);
    assert.equal(validator.chain.head.height, 3);
    assert.equal(proposer.mempool.size, 0, "block 2's transactions left the pool when it committed");
    assert.equal(validator.mempool.has(conflicting.txHashHex), false);
    assert.deepEqual(validator.mempool.refusals.get(conflicting.txHashHex), { code: "MEMPOOL_NONCE_USED", message: "another transaction of its sender committed with nonce 2", height: 2 });
    const block4 = proposer.app.proposeBlock({ parentHash: hash3, parentHeight: 3, justify: qc3, view: 4, proposer: 0, evidence: [evidence] });
    assert.equal(block4.evidence.length, 0, "the proposer left out evidence already committed");
    expectRefused(validator, withHeader({ ...block4, evidence: [evidence] }, { evidenceHash: hashEvidenceList([evidence]) }), /already committed/);
  });

  it("a proposal leaves out a transaction that does not apply, drops its sender's later ones, and frees its nonce for a corrected one", async () => {
    const from = addressFromPublicKey(client.alg, client.publicKey);
    const nonce = proposer.mempool.nextNonce(from);
    // The client holds no tokens: admission takes the transfer, execution refuses it.
    const transfer = await proposer.mempool.admit(buildTx(client, CHAIN_ID, nonce, { type: "token.transfer", to: new Uint8Array(20).fill(9), amount: 5n }).bytes);
    const next = await proposer.mempool.admit(buildTx(client, CHAIN_ID, nonce + 1, { type: "audit.append", record: { action: "after the transfer" } }).bytes);
    const waiting = await proposer.mempool.admit(buildTx(client, CHAIN_ID, nonce + 3, { type: "audit.append", record: { action: "waits for a gap" } }).bytes);
    clockMs += 100;
    const { hash, height } = proposer.chain.head;
    const block = proposer.app.proposeBlock({ parentHash: hash, parentHeight: height, justify: null, view: 10, proposer: 2, evidence: [] });
    assert.equal(block.txs.length, 0);
    assert.equal(proposer.mempool.refusals.get(transfer.txHashHex)?.code, "APP_INSUFFICIENT_BALANCE");
    assert.equal(proposer.mempool.refusals.get(next.txHashHex)?.code, "APP_BAD_NONCE", "selected with it, refused by execution too");
    assert.deepEqual(proposer.mempool.refusals.get(waiting.txHashHex), { code: "MEMPOOL_PREDECESSOR_REFUSED", message: "an earlier transaction of the same sender was refused at execution, so this nonce can no longer apply", height: height + 1 });
    assert.equal(proposer.mempool.size, 0);
    assert.equal(proposer.mempool.nextNonce(from), nonce, "the refused nonce is free again");
    await proposer.mempool.admit(buildTx(client, CHAIN_ID, nonce, { type: "audit.append", record: { action: "corrected" } }).bytes);
    assert.equal(proposer.mempool.readyCount, 1);
  });
});
