/** Governance proposals, the circuit breaker and the upgrade plan, from the committed state (docs/decisions/0603). */
import { formatAddress } from "../../crypto/index.ts";
import {
  decodeAmount,
  readModuleParams,
  HALTABLE_TX_TYPES,
  PROPOSAL_STATUSES,
  decide,
  readHaltedTxTypes,
  readNextProposalId,
  readProposal,
  readProposalIdByTx,
  readUpgradePlan,
  readVotes,
  tallyVotes,
  type Proposal,
  type ProposalStatus,
  type Tally,
} from "../../app/index.ts";
import type { ProposalContent } from "../../ledger/index.ts";
import { toHex } from "../../util/index.ts";
import { badRequest, notFound } from "../errors.ts";
import { parseHash, parseUint, requireUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

/** Records a list request reads at most, newest first, so a status filter cannot scan the whole history. */
const PROPOSALS_SCANNED_MAX = 10_000;
const PROPOSALS_LISTED_MAX = 500;

const tallyJson = (tally: Tally) => ({
  yes: tally.yes.toString(),
  no: tally.no.toString(),
  abstain: tally.abstain.toString(),
  veto: tally.veto.toString(),
  totalPower: tally.totalPower.toString(),
});

function contentJson(content: ProposalContent) {
  switch (content.type) {
    case "validator-set":
      return { ...content, changes: content.changes.map((c) => ({ address: formatAddress(c.address), power: c.power })) };
    case "treasury-spend":
      return { ...content, to: formatAddress(content.to), amount: decodeAmount(content.amount).toString() };
    default:
      return content;
  }
}

export function proposalJson(proposal: Proposal) {
  return {
    id: proposal.id,
    status: proposal.status,
    type: proposal.content.type,
    title: proposal.title,
    ...(proposal.description === undefined ? {} : { description: proposal.description }),
    content: contentJson(proposal.content),
    proposer: formatAddress(proposal.proposer),
    deposit: proposal.deposit.toString(),
    txHash: toHex(proposal.txHash),
    submitHeight: proposal.submitHeight,
    votingEndsEpoch: proposal.votingEndsEpoch,
    executeEpoch: proposal.executeEpoch ?? null,
    executedHeight: proposal.executedHeight ?? null,
    tally: proposal.tally === undefined ? null : tallyJson(proposal.tally),
    reason: proposal.reason ?? null,
  };
}

function parseStatus(text: string | undefined): ProposalStatus | undefined {
  if (text === undefined || text === "") return undefined;
  if (!(PROPOSAL_STATUSES as readonly string[]).includes(text)) throw badRequest(`status: one of ${PROPOSAL_STATUSES.join(", ")}, got "${text.slice(0, 40)}"`, { field: "status" });
  return text as ProposalStatus;
}

export const governanceRoutes: RouteFactory = ({ chain }) => {
  const get = (key: Uint8Array) => chain.state.get(key) ?? undefined;
  return [
    {
      method: "GET",
      url: "/v1/gov/proposals",
      summary: "Governance proposals, newest first; or the one a gov.propose transaction created (txHash)",
      query: { status: PROPOSAL_STATUSES.join(" | "), txHash: "hash of a committed gov.propose transaction", limit: `at most this many (default 100, max ${PROPOSALS_LISTED_MAX})` },
      async handler(request) {
        const q = request.query as { status?: string; txHash?: string; limit?: string };
        const height = chain.head.height;
        if (q.txHash !== undefined && q.txHash !== "") {
          const id = readProposalIdByTx(get, parseHash(q.txHash, "txHash"));
          const proposal = id === undefined ? undefined : readProposal(get, id);
          return { height, proposals: proposal === undefined ? [] : [proposalJson(proposal)] };
        }
        const status = parseStatus(q.status);
        const limit = parseUint(q.limit, "limit", { min: 1, max: PROPOSALS_LISTED_MAX }) ?? 100;
        const proposals: ReturnType<typeof proposalJson>[] = [];
        const newest = readNextProposalId(get) - 1;
        for (let id = newest; id >= 1 && id > newest - PROPOSALS_SCANNED_MAX && proposals.length < limit; id--) {
          const proposal = readProposal(get, id);
          if (proposal !== undefined && (status === undefined || proposal.status === status)) proposals.push(proposalJson(proposal));
        }
        return { height, proposals };
      },
    },
    {
      method: "GET",
      url: "/v1/gov/proposals/:id",
      summary: "One proposal with its votes; while voting, `runningTally` counts the votes at today's voting power",
      params: { id: "proposal id (from 1)" },
      async handler(request) {
        const id = requireUint((request.params as { id: string }).id, "id", { min: 1 });
        const proposal = readProposal(get, id);
        if (proposal === undefined) throw notFound(`no proposal ${id}`);
        const votes = readVotes(get, id);
        const running = proposal.status === "voting" ? tallyVotes(get, votes) : undefined;
        return {
          height: chain.head.height,
          ...proposalJson(proposal),
          votes: votes.map((v) => ({ voter: formatAddress(v.voter), option: v.option })),
          runningTally: running === undefined ? null : { ...tallyJson(running), outcomeIfTalliedNow: decide(running, readModuleParams(get, "governance")).status },
        };
      },
    },
    {
      method: "GET",
      url: "/v1/gov/halted",
      summary: "Transaction types halted by the emergency circuit breaker, and the types it can halt",
      async handler() {
        return { height: chain.head.height, halted: readHaltedTxTypes(get), haltable: HALTABLE_TX_TYPES };
      },
    },
    {
      method: "GET",
      url: "/v1/gov/upgrade",
      summary: "The upgrade plan of the last executed upgrade proposal (null: none)",
      async handler() {
        const plan = readUpgradePlan(get);
        return { height: chain.head.height, plan: plan ?? null };
      },
    },
  ];
};
