import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EVIDENCE_BYTES_PER_BLOCK_MAX,
  INVALID_PROPOSAL_BLOCK_BYTES_MAX,
  RejectCode,
  blockHashOf,
  blockStructureProblem,
  createCommittee,
  createEvidence,
  encodeEvidenceRecord,
  evidenceKey,
  invalidProposalEvidence,
  proposalMessage,
  proposalVote,
  voteRecord,
  verifyEvidence,
  type CertificateContext,
  type EvidenceRecord,
  type ConsensusAction,
  type ProposalMessage,
} from "../../src/consensus/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { EvidencePool } from "../../src/consensus/evidence.ts";
import { hashTx, txRoot, type Block, type BlockHeader, type Evidence, type SignedTx, type Tx } from "../../src/ledger/index.ts";
import {
  CHAIN_ID,
  buildBlock,
  createCluster,
  envelopes,
  host,
  makeQc,
  pump,
  sent,
  signProposal,
  startAll,
  type Envelope,
  type TestCluster,
  type TestNode,
} from "./harness.ts";

const cluster = createCluster(4, 11);
const ctx: CertificateContext = { chainId: CHAIN_ID, epoch: 0, committee: createCommittee(cluster.validatorSet), verifier: cluster.keyring.verifier };
const address = (i: number): Uint8Array => cluster.keyring.validators[i]?.address as Uint8Array;

function signedTx(chainId: string, nonce: number): SignedTx {
  const tx: Tx = { chainId, from: address(0), nonce, type: "audit.append", body: { record: { action: "deploy", subject: "svc" } } };
  return { tx, sig: new Uint8Array(64).fill(7) };
}

/** A structurally valid block of view 1 by its leader (validator 1) carrying `txs`. */
function validBlock(txs: readonly SignedTx[] = []): Block {
  const block = buildBlock(cluster, 0, 1, 1, null, 0);
  return withHeader({ ...block, txs }, { txCount: txs.length, txRoot: txRoot(txs.map((signedTx) => ({ txHash: hashTx(signedTx.tx), signedTx }))) });
}

function withHeader(block: Block, changes: Partial<BlockHeader>): Block {
  return { ...block, header: { ...block.header, ...changes } };
}

function evidenceFor(proposal: ProposalMessage): Evidence | undefined {
  return invalidProposalEvidence(proposal, blockHashOf(proposal.block), address(proposal.sender), ctx);
}

const tx = signedTx(CHAIN_ID, 0);
const otherChainTx = signedTx("other-chain", 0);
const malformedTx = { tx: { ...tx.tx, nonce: -1 }, sig: tx.sig } as unknown as SignedTx;

const cases: { readonly name: string; readonly block: () => Block; readonly problem: RegExp }[] = [
  { name: "a header for another chain", block: () => withHeader(validBlock(), { chainId: "other-chain" }), problem: /chainId/ },
  { name: "a proposer that does not lead the view", block: () => withHeader(validBlock(), { proposer: address(2) }), problem: /proposer/ },
  { name: "another validator set", block: () => withHeader(validBlock(), { validatorSetHash: new Uint8Array(32).fill(9) }), problem: /validatorSetHash/ },
  { name: "a height that does not follow the QC", block: () => withHeader(validBlock(), { height: 2 }), problem: /height 2/ },
  { name: "a txCount that is not the number of transactions", block: () => withHeader(validBlock([tx]), { txCount: 2 }), problem: /txCount 2 but 1/ },
  { name: "a txRoot that is not the root of the transactions", block: () => withHeader(validBlock([tx]), { txRoot: txRoot([]) }), problem: /txRoot/ },
  { name: "an evidenceHash that is not the evidence's", block: () => withHeader(validBlock(), { evidenceHash: new Uint8Array(32).fill(3) }), problem: /evidenceHash/ },
  { name: "a transaction for another chain", block: () => validBlock([otherChainTx]), problem: /transaction 0: .*chain/ },
  { name: "a transaction that fails its schema", block: () => withHeader(validBlock(), { txCount: 1 }), problem: /transaction 0/ },
];
// The schema case carries the malformed transaction itself (hashTx cannot hash it).
cases[cases.length - 1] = { ...(cases[cases.length - 1] as (typeof cases)[number]), block: () => withHeader({ ...validBlock(), txs: [malformedTx] }, { txCount: 1 }) };

for (const { name, block: make, problem } of cases) {
  test(`invalid proposal: ${name} signed by the leader becomes evidence anyone can verify`, () => {
    const block = make();
    assert.match(blockStructureProblem(block, ctx) ?? "", problem);
    const evidence = evidenceFor(signProposal(cluster, 1, block));
    assert.ok(evidence !== undefined, "evidence is made");
    assert.equal(evidence.kind, "invalid-proposal");
    assert.equal(evidence.view, 1);
    assert.deepEqual(evidence.validator, address(1));
    assert.deepEqual(evidence.second, encodeCanonical(block), "second is the block's canonical bytes");
    assert.equal(verifyEvidence(evidence, ctx), null);
  });
}

test("invalid proposal: a block whose parentHash is not what its QC certifies is evidence", () => {
  const parent = buildBlock(cluster, 0, 1, 1, null, 0);
  const qc = makeQc(cluster, [0, 1, 2], 1, 1, blockHashOf(parent));
  const block = withHeader(buildBlock(cluster, 0, 2, 2, qc, 1), { parentHash: new Uint8Array(32).fill(5) });
  assert.match(blockStructureProblem(block, ctx) ?? "", /parentHash/);
  const evidence = evidenceFor(signProposal(cluster, 2, block));
  assert.ok(evidence !== undefined);
  assert.equal(verifyEvidence(evidence, ctx), null);
});

test("invalid proposal: a structurally valid block, with or without transactions, is never evidence", () => {
  for (const block of [validBlock(), validBlock([tx, signedTx(CHAIN_ID, 1)])]) {
    assert.equal(blockStructureProblem(block, ctx), null);
    const proposal = signProposal(cluster, 1, block);
    assert.equal(evidenceFor(proposal), undefined);
    const forced: Evidence = {
      kind: "invalid-proposal",
      validator: address(1),
      view: 1,
      first: encodeEvidenceRecord(voteRecord(CHAIN_ID, proposalVote(proposal, blockHashOf(block)))),
      second: encodeCanonical(block),
    };
    assert.match(verifyEvidence(forced, ctx)?.message ?? "", /structurally valid/);
  }
});

test("invalid proposal: stateful invalidity (a wrong stateRoot) is refused by validators but is not evidence", () => {
  const block = withHeader(validBlock(), { stateRoot: new Uint8Array(32).fill(1) });
  assert.equal(blockStructureProblem(block, ctx), null);
  assert.equal(evidenceFor(signProposal(cluster, 1, block)), undefined);
});

test("invalid proposal: evidence with a forged or foreign signature, or another block, is refused", () => {
  const block = withHeader(validBlock(), { evidenceHash: new Uint8Array(32).fill(3) });
  const proposal = signProposal(cluster, 1, block);
  const evidence = evidenceFor(proposal) as Evidence;
  const record = voteRecord(CHAIN_ID, proposalVote(proposal, blockHashOf(block)));
  const forged = { ...evidence, first: encodeEvidenceRecord({ ...record, signature: new Uint8Array(record.signature.byteLength).fill(1) }) };
  assert.match(verifyEvidence(forged, ctx)?.message ?? "", /signature does not verify/);
  const byOther = signProposal(cluster, 2, block);
  const notLeader = { ...evidence, validator: address(2), first: encodeEvidenceRecord(voteRecord(CHAIN_ID, proposalVote(byOther, blockHashOf(block)))) };
  assert.match(verifyEvidence(notLeader, ctx)?.message ?? "", /does not lead/);
  const otherBlock = { ...evidence, second: encodeCanonical(withHeader(block, { evidenceHash: new Uint8Array(32).fill(4) })) };
  assert.match(verifyEvidence(otherBlock, ctx)?.message ?? "", /not the one the proposal signs/);
  const garbage = { ...evidence, second: new Uint8Array([1, 2, 3]) };
  assert.match(verifyEvidence(garbage, ctx)?.message ?? "", /canonical bytes of a block/);
  assert.equal(verifyEvidence({ ...evidence, view: 5 }, ctx)?.code, RejectCode.evidenceInvalid);
  assert.equal(verifyEvidence({ ...evidence, validator: address(0) }, ctx)?.code, RejectCode.evidenceInvalid);
});

test("invalid proposal: the evidence key tells it apart from proposal equivocation of the same view", () => {
  const evidence = evidenceFor(signProposal(cluster, 1, withHeader(validBlock(), { txCount: 3 }))) as Evidence;
  assert.notEqual(evidenceKey(evidence), evidenceKey({ ...evidence, kind: "proposal" }));
});

test("evidence: records of kind \"proposal\", signed before a proposal's signature was the leader's vote, still verify", () => {
  const key = cluster.keyring.keys[1];
  assert.ok(key !== undefined);
  const legacyRecord = (block: Block): EvidenceRecord => {
    const { view, height } = block.header;
    const blockHash = blockHashOf(block);
    return { kind: "proposal", chainId: CHAIN_ID, epoch: 0, view, height, blockHash, signer: 1, signature: key.sign(proposalMessage(CHAIN_ID, 0, view, height, blockHash)) };
  };
  const bad = withHeader(validBlock(), { evidenceHash: new Uint8Array(32).fill(3) });
  const invalid: Evidence = { kind: "invalid-proposal", validator: address(1), view: 1, first: encodeEvidenceRecord(legacyRecord(bad)), second: encodeCanonical(bad) };
  assert.equal(verifyEvidence(invalid, ctx), null);
  const equivocation = createEvidence(address(1), legacyRecord(bad), legacyRecord(validBlock()));
  assert.equal(equivocation.kind, "proposal");
  assert.equal(verifyEvidence(equivocation, ctx), null);
  // The two messages are not interchangeable: a legacy signature does not pass as a vote.
  const relabelled = { ...invalid, first: encodeEvidenceRecord({ ...legacyRecord(bad), kind: "vote" }) };
  assert.match(verifyEvidence(relabelled, ctx)?.message ?? "", /signature does not verify/);
});

// ---- the engine ------------------------------------------------------------------------------

function deliverTo(c: TestCluster, i: number, message: ProposalMessage): { actions: readonly ConsensusAction[]; code: string | undefined } {
  const node = c.nodes[i] as TestNode;
  const step = node.engine.onMessage(message);
  host(node, step.actions);
  return { actions: step.actions, code: step.rejection?.code };
}

test("engine: a structurally invalid proposal is refused and turned into evidence once per (validator, view)", () => {
  const c = createCluster(4, 12);
  for (const n of c.nodes) host(n, n.engine.start().actions);
  const valid = buildBlock(c, 0, 1, 1, null, 0);
  const bad = withHeader(valid, { evidenceHash: new Uint8Array(32).fill(3) });
  const first = deliverTo(c, 0, signProposal(c, 1, bad));
  assert.equal(first.code, RejectCode.blockInvalid);
  assert.equal(sent(first.actions, "vote").length, 0, "no vote for an invalid block");
  const evidence = first.actions.flatMap((a) => (a.kind === "evidence" ? [a.evidence] : []));
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0]?.kind, "invalid-proposal");
  assert.equal(sent(first.actions, "evidence").length, 1, "the evidence is gossiped");
  const again = deliverTo(c, 0, signProposal(c, 1, withHeader(valid, { txCount: 4 })));
  const kinds = again.actions.flatMap((a) => (a.kind === "evidence" ? [a.evidence.kind] : []));
  assert.deepEqual(kinds, ["vote"], "a second invalid block of the view is an equivocation (two leader votes), not a second invalid-proposal evidence");
  const stale = deliverTo(c, 2, signProposal(c, 1, withHeader(valid, { stateRoot: new Uint8Array(32).fill(1) })));
  assert.equal(stale.code, RejectCode.blockInvalid);
  assert.equal(stale.actions.filter((a) => a.kind === "evidence").length, 0, "a stateful failure is refused without evidence");
});

test("engine: a Byzantine leader's structurally invalid proposal ends up committed as evidence by the next leaders", () => {
  const c = createCluster(4, 13);
  const honest = (e: Envelope, to: number): boolean => e.from !== 1 && to !== 1;
  pump(c, startAll(c), honest);
  const bad = withHeader(buildBlock(c, 0, 1, 1, null, 0), { txCount: 2 });
  const out: Envelope[] = [];
  for (const i of [0, 2, 3]) out.push(...envelopes(i, deliverTo(c, i, signProposal(c, 1, bad)).actions));
  pump(c, out, honest);
  // View 1 fails: the honest three time out, form TC(1), and leaders 2, 3, 0 carry on.
  const timeouts: Envelope[] = [];
  for (const i of [0, 2, 3]) {
    const n = c.nodes[i] as TestNode;
    timeouts.push(...envelopes(i, host(n, n.engine.onLocalTimer(1).actions)));
  }
  const log = pump(c, timeouts, honest);
  const committed = log.flat().flatMap((a) => (a.kind === "commit" ? a.blocks : []));
  const carried = committed.flatMap((b) => b.block.evidence).filter((e) => e.kind === "invalid-proposal");
  assert.ok(carried.length > 0, "a committed block carries the invalid-proposal evidence");
  assert.deepEqual(carried[0]?.validator, c.keyring.validators[1]?.address);
  assert.equal(verifyEvidence(carried[0] as Evidence, { ...ctx, committee: createCommittee(c.validatorSet), verifier: c.keyring.verifier }), null);
});

test("invalid proposal: a block too large for an evidence message is refused but not made evidence", () => {
  const big = (nonce: number): SignedTx => {
    const tx: Tx = { chainId: CHAIN_ID, from: address(0), nonce, type: "audit.append", body: { record: { action: "blob", data: "x".repeat(15_000) } } };
    return { tx, sig: new Uint8Array(64) };
  };
  const txs = Array.from({ length: 70 }, (_, i) => big(i));
  const block = withHeader(validBlock(txs), { txCount: 71 });
  assert.match(blockStructureProblem(block, ctx) ?? "", /txCount/);
  assert.ok(encodeCanonical(block).byteLength > INVALID_PROPOSAL_BLOCK_BYTES_MAX);
  assert.equal(evidenceFor(signProposal(cluster, 1, block)), undefined);
});

test("evidence pool: a block's evidence stays within the byte budget, the first item always fits", () => {
  const item = (view: number, size: number): Evidence => ({ kind: "invalid-proposal", validator: address(1), view, first: new Uint8Array(8), second: new Uint8Array(size) });
  const mib = 1024 * 1024;
  const pool = new EvidencePool({ pendingEvidenceMax: 16, committedEvidenceKeysMax: 16 }, [item(1, 3 * mib), item(2, 2 * mib), item(3, mib - 100)]);
  assert.deepEqual(pool.select(new Set(), 0, 16).map((e) => e.view), [1, 3], "the 2 MiB item waits for the next block");
  assert.ok(3 * mib + mib <= EVIDENCE_BYTES_PER_BLOCK_MAX);
  const huge = new EvidencePool({ pendingEvidenceMax: 16, committedEvidenceKeysMax: 16 }, [item(1, EVIDENCE_BYTES_PER_BLOCK_MAX + 1)]);
  assert.equal(huge.select(new Set(), 0, 16).length, 1);
});
