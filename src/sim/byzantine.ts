/**
 * Byzantine behaviours. A Byzantine node runs the real engine; an adversary rewrites what it
 * sends (with the node's real key, so signatures on the rewritten messages verify):
 * - silent: sends nothing.
 * - withhold: never sends votes (still proposes and times out).
 * - invalid: its proposals carry a block the application must refuse (some structurally
 *   invalid, which makes invalid-proposal evidence).
 * - forged-qc: its proposals carry a forged or malformed QC or TC.
 * Twins need no adversary: two honest engines share one key (simulation.ts).
 */
import { voteMessage, type ConsensusAction, type ProposalMessage, type TimeoutCertificate } from "../consensus/index.ts";
import { blockHashOf } from "../consensus/index.ts";
import type { Block, BlockHeader, QuorumCertificate } from "../ledger/index.ts";
import type { SimKey } from "./keys.ts";
import type { ByzantineRole } from "./options.ts";
import type { Rng } from "./rng.ts";

export type Adversary = {
  readonly role: ByzantineRole;
  transform(action: ConsensusAction): readonly ConsensusAction[];
};

export type AdversaryContext = {
  readonly chainId: string;
  readonly validatorCount: number;
  readonly key: SimKey;
  readonly signatureSizeBytes: number;
  readonly rng: Rng;
};

export function createAdversary(role: ByzantineRole, ctx: AdversaryContext): Adversary | null {
  switch (role) {
    case "twins":
      return null;
    case "silent":
      return { role, transform: (action) => (action.kind === "send" ? [] : [action]) };
    case "withhold":
      return { role, transform: (action) => (action.kind === "send" && action.message.type === "vote" ? [] : [action]) };
    case "invalid":
      return { role, transform: (action) => rewriteProposal(action, ctx, invalidBlock) };
    case "forged-qc":
      return { role, transform: (action) => rewriteProposal(action, ctx, forgedCertificates) };
  }
}

type Rewrite = (proposal: ProposalMessage, ctx: AdversaryContext) => { readonly block: Block; readonly tc: TimeoutCertificate | null };

function rewriteProposal(action: ConsensusAction, ctx: AdversaryContext, rewrite: Rewrite): readonly ConsensusAction[] {
  if (action.kind !== "send" || action.message.type !== "proposal") return [action];
  const original = action.message;
  const { block, tc } = rewrite(original, ctx);
  const { header } = block;
  const signature = ctx.key.sign(voteMessage(ctx.chainId, header.view, header.height, blockHashOf(block)));
  return [{ ...action, message: { ...original, block, tc, signature } }];
}

function withHeader(block: Block, changes: Partial<BlockHeader>): Block {
  return { ...block, header: { ...block.header, ...changes } };
}

/**
 * A block that decodes and carries a valid QC but that validators must not vote for. The first
 * three are stateful (re-execution tells): refused, no evidence. The fourth is valid but
 * untimely (the local clock tells): kept, never voted for by an honest validator. The others are
 * structurally invalid (consensus/proposalStructure.ts): every honest validator that refuses
 * one also makes invalid-proposal evidence, which the evidence checker expects committed.
 */
function invalidBlock(proposal: ProposalMessage, ctx: AdversaryContext): { block: Block; tc: TimeoutCertificate | null } {
  const { block } = proposal;
  const h = block.header;
  const variants: (() => Block)[] = [
    () => withHeader(block, { stateRoot: ctx.rng.bytes(32) }),
    () => withHeader(block, { logSize: h.logSize + 1 }),
    () => withHeader(block, { logRoot: ctx.rng.bytes(32) }),
    () => withHeader(block, { timestamp: h.timestamp + 3_600_000 }),
    () => withHeader(block, { height: h.height + 1 }),
    () => withHeader(block, { evidenceHash: ctx.rng.bytes(32) }),
    () => withHeader(block, { validatorSetHash: ctx.rng.bytes(32) }),
    () => withHeader(block, { txCount: h.txCount + 1 }),
    () => withHeader(block, { chainId: `${h.chainId}-other` }),
  ];
  return { block: ctx.rng.pick(variants)(), tc: proposal.tc };
}

function allSigners(count: number): Uint8Array {
  const bitmap = new Uint8Array(Math.max(1, Math.ceil(count / 8)));
  for (let i = 0; i < count; i++) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  return bitmap;
}

function randomSignatures(ctx: AdversaryContext, count: number): Uint8Array[] {
  return Array.from({ length: count }, () => ctx.rng.bytes(ctx.signatureSizeBytes));
}

/** Forged or malformed certificates: bad signatures, too few signers, bitmap lies, a QC for a block that does not exist, a forged TC. */
function forgedCertificates(proposal: ProposalMessage, ctx: AdversaryContext): { block: Block; tc: TimeoutCertificate | null } {
  const { block } = proposal;
  const h = block.header;
  const n = ctx.validatorCount;
  const real = h.justify;
  const base: QuorumCertificate = real ?? { view: 0, height: 0, blockHash: h.parentHash, signers: allSigners(n), signatures: [] };
  const variants: (() => { block: Block; tc: TimeoutCertificate | null })[] = [
    () => ({ block: withHeader(block, { justify: { ...base, signers: allSigners(n), signatures: randomSignatures(ctx, n) } }), tc: proposal.tc }),
    () => ({ block: withHeader(block, { justify: { ...base, signers: firstSigner(n), signatures: base.signatures.slice(0, 1).concat(randomSignatures(ctx, base.signatures.length === 0 ? 1 : 0)) } }), tc: proposal.tc }),
    () => ({ block: withHeader(block, { justify: { ...base, signers: allSigners(n), signatures: base.signatures.slice(0, 1) } }), tc: proposal.tc }),
    () => ({ block: withHeader(block, { justify: { ...base, signers: new Uint8Array(base.signers.byteLength + 1).fill(0xff) } }), tc: proposal.tc }),
    () => {
      const fakeParent = ctx.rng.bytes(32);
      const justify = { view: h.view - 1, height: h.height - 1, blockHash: fakeParent, signers: allSigners(n), signatures: randomSignatures(ctx, n) };
      return { block: withHeader(block, { parentHash: fakeParent, justify }), tc: proposal.tc };
    },
    () => ({ block, tc: { view: Math.max(1, h.view - 1), signers: allSigners(n), highQcViews: Array.from({ length: n }, () => 0), signatures: randomSignatures(ctx, n) } }),
  ];
  return ctx.rng.pick(variants)();
}

function firstSigner(count: number): Uint8Array {
  const bitmap = new Uint8Array(Math.max(1, Math.ceil(count / 8)));
  bitmap[0] = 1;
  return bitmap;
}
