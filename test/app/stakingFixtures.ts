/** Shared set-up of the staking tests: a PoS chain with ML-DSA-65 validator accounts (execution does not verify keys). */
import { SignatureAlgorithm } from "../../src/crypto/index.ts";
import { encodeAmount } from "../../src/app/index.ts";
import type { BlockContext } from "../../src/app/index.ts";
import type { Evidence, GenesisParams, Tx, Validator } from "../../src/ledger/index.ts";
import { toHex } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned } from "./harness.ts";

export const addressOf = (seed: number): Uint8Array => new Uint8Array(20).fill(seed);

export function validatorOf(seed: number): Validator {
  return { name: `v${seed}`, address: addressOf(seed), alg: SignatureAlgorithm.mlDsa65, publicKey: new Uint8Array(32).fill(seed), power: 1 };
}

/** Registers `seed`'s address with an ML-DSA-65 key (ML-DSA-44 with `alg44`). */
export function registerAccount(app: AppHarness, seed: number, alg44 = false): Uint8Array {
  const address = addressOf(seed);
  app.accounts.set(toHex(address), { alg: alg44 ? SignatureAlgorithm.mlDsa44 : SignatureAlgorithm.mlDsa65, publicKey: new Uint8Array(32).fill(seed), nonce: 1 });
  return address;
}

export type PosSetup = { validators: number[]; bonds: bigint[]; accounts: { seed: number; balance: bigint }[]; params?: GenesisParams };

/** A PoS chain: genesis validators (seeds) with their bonds, funded accounts, all registered. */
export function posChain(setup: PosSetup): AppHarness {
  const validators = setup.validators.map(validatorOf);
  const app = new AppHarness({
    mode: "pos",
    validators,
    bonds: validators.map((v, i) => ({ validator: v.address, amount: String(setup.bonds[i] ?? 0n) })),
    allocations: setup.accounts.map((a) => ({ address: addressOf(a.seed), amount: String(a.balance) })),
    ...(setup.params === undefined ? {} : { params: setup.params }),
  });
  for (const seed of setup.validators) registerAccount(app, seed);
  for (const account of setup.accounts) registerAccount(app, account.seed);
  return app;
}

export type StakingIntent =
  | { type: "staking.bond"; amount: bigint }
  | { type: "staking.delegate"; validator: Uint8Array; amount: bigint }
  | { type: "staking.unbond"; validator: Uint8Array; amount: bigint }
  | { type: "staking.unjail" }
  | { type: "token.transfer"; to: Uint8Array; amount: bigint };

export function stakingTx(app: AppHarness, from: Uint8Array, intent: StakingIntent): Tx {
  const base = { chainId, from, nonce: app.nonce(from) };
  switch (intent.type) {
    case "staking.bond":
      return { ...base, type: intent.type, body: { amount: encodeAmount(intent.amount) } };
    case "staking.delegate":
    case "staking.unbond":
      return { ...base, type: intent.type, body: { validator: intent.validator, amount: encodeAmount(intent.amount) } };
    case "staking.unjail":
      return { ...base, type: intent.type, body: {} };
    case "token.transfer":
      return { ...base, type: intent.type, body: { to: intent.to, amount: encodeAmount(intent.amount) } };
  }
}

/** Runs one block with one transaction; returns the refusal codes ([] when applied). */
export function send(app: AppHarness, from: Uint8Array, intent: StakingIntent, context?: BlockContext): string[] {
  return app.run([unsigned(stakingTx(app, from, intent))], context).rejected.map((r) => r.code);
}

export function doubleSign(validator: Uint8Array, view: number): Evidence {
  return { kind: "vote", validator, view, first: new Uint8Array([1, view & 0xff]), second: new Uint8Array([2, view & 0xff]) };
}

export function blockContext(opts: { evidence?: Evidence[]; signers?: Uint8Array[] | null; validators?: Validator[] }): BlockContext {
  return { evidence: opts.evidence ?? [], parentSigners: opts.signers ?? null, validators: opts.validators ?? [], proposer: new Uint8Array(20) };
}
