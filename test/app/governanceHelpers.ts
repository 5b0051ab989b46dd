/** A PoA chain with three validators (power 40, 30, 30) and a funded treasury, for governance tests (test helper). */
import { encodeAmount } from "../../src/app/index.ts";
import { TREASURY_ADDRESS } from "../../src/app/governance.ts";
import type { BlockExecution } from "../../src/app/index.ts";
import type { GovVoteOption, ProposalContent, Tx } from "../../src/ledger/index.ts";
import { toHex } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned, type GenesisExtras } from "./harness.ts";

export const A = new Uint8Array(20).fill(0xa1);
export const B = new Uint8Array(20).fill(0xb2);
export const C = new Uint8Array(20).fill(0xc3);
/** Funded, registered, not a validator: no voting power. */
export const D = new Uint8Array(20).fill(0xd4);
/** Registered with no balance. */
export const E = new Uint8Array(20).fill(0xe5);
export const FUNDS = 100_000n;
export const TREASURY_FUNDS = 5_000n;
export const INITIAL_SUPPLY = 4n * FUNDS + TREASURY_FUNDS;

/** epochBlocks 5: epoch e = heights [5e, 5e+4]; voting 2 epochs, timelock 1 epoch. */
export const GOV_PARAMS = { chain: { epochBlocks: 5 }, governance: { votingPeriodEpochs: 2, timelockEpochs: 1 } };

export function govChain(extras: GenesisExtras = {}): AppHarness {
  const validator = (name: string, address: Uint8Array, power: number) => ({ name, address, alg: 1 as const, publicKey: new Uint8Array(32).fill(address[0] as number), power });
  const app = new AppHarness({
    validators: [validator("a", A, 40), validator("b", B, 30), validator("c", C, 30)],
    allocations: [
      ...[A, B, C, D].map((address) => ({ address, amount: FUNDS.toString() })),
      { address: TREASURY_ADDRESS, amount: TREASURY_FUNDS.toString() },
    ],
    params: GOV_PARAMS,
    ...extras,
  });
  for (const address of [A, B, C, D, E]) app.registerFake(address[0] as number);
  return app;
}

export type Intent = { readonly from: Uint8Array; readonly type: "gov.propose" | "gov.vote" | "token.transfer"; readonly body: unknown };

export function propose(from: Uint8Array, content: ProposalContent, deposit = 1000n, title = "a proposal"): Intent {
  return { from, type: "gov.propose", body: { title, deposit: encodeAmount(deposit), content } };
}

export function vote(from: Uint8Array, proposalId: number, option: GovVoteOption): Intent {
  return { from, type: "gov.vote", body: { proposalId, option } };
}

export function transfer(from: Uint8Array, to: Uint8Array, amount: bigint): Intent {
  return { from, type: "token.transfer", body: { to, amount: encodeAmount(amount) } };
}

/** Runs one block of the intents, numbering each sender's nonces in order. */
export function block(app: AppHarness, intents: readonly Intent[] = []): BlockExecution {
  const next = new Map<string, number>();
  const txs = intents.map((intent) => {
    const hex = toHex(intent.from);
    const nonce = next.get(hex) ?? app.nonce(intent.from);
    next.set(hex, nonce + 1);
    return unsigned({ chainId, from: intent.from, nonce, type: intent.type, body: intent.body } as Tx);
  });
  return app.run(txs);
}

/** Runs empty blocks until the harness is at `height`. */
export function runTo(app: AppHarness, height: number, each?: (height: number) => void): void {
  while (app.height < height) {
    block(app);
    each?.(app.height);
  }
}

export const paramChange = (value: number): ProposalContent => ({ type: "param-change", changes: [{ module: "staking", param: "rewardRateBps", value }] });
