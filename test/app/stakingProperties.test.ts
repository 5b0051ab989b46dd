/**
 * Property tests of the staking module (fast-check): random staking and transfer transactions
 * and blocks with random evidence, parent signers and epoch lengths. A small reference model
 * of the rules computes each block's events (rewards minted, stake burned), from which the
 * expected supply follows; the chain's state must match it and keep
 *   total supply == sum of balances + total bonded + sum of the unbonding queue.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readBalance, readTotalBonded, readTotalSupply, readValidatorSet, type BlockContext } from "../../src/app/index.ts";
import { readUnbonding, readValidatorRecord } from "../../src/app/stakingState.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import type { AppHarness } from "./harness.ts";
import { unsigned } from "./harness.ts";
import { addressOf, blockContext, doubleSign, posChain, registerAccount, stakingTx, validatorOf, type StakingIntent } from "./stakingFixtures.ts";

const GENESIS_VALIDATORS = [1, 2];
const FUNDED = [3, 10, 11];
const WEAK_KEY = 12; // ML-DSA-44: its bonds are refused
const ACTORS = [...GENESIS_VALIDATORS, ...FUNDED, WEAK_KEY];
const CONSENSUS = [1, 2, 3].map(validatorOf);
const P = { slashFractionBps: 1000, rewardRateBps: 100, unbondingEpochs: 1, jailEpochs: 1, downtimeWindowBlocks: 4, downtimeMinSignedBps: 5000, maxValidators: 2 };

type TxSpec = { from: number; kind: StakingIntent["type"]; target: number; amount: bigint };
type BlockSpec = { tx: TxSpec | null; evidence: { validator: number; view: number }[]; signers: number[] | null };

const txSpec = fc.record({
  from: fc.constantFrom(...ACTORS),
  kind: fc.constantFrom<StakingIntent["type"]>("staking.bond", "staking.delegate", "staking.unbond", "staking.unjail", "token.transfer"),
  // Mostly the genesis validators, so delegations, unbondings and slashes meet often.
  target: fc.oneof(fc.constantFrom(1, 2), fc.constantFrom(...ACTORS)),
  amount: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 700_000n })),
});
const blockSpec = fc.record({
  tx: fc.option(txSpec, { nil: null, freq: 4 }),
  evidence: fc.array(fc.record({ validator: fc.constantFrom(1, 2, 3, 10), view: fc.integer({ min: 0, max: 3 }) }), { maxLength: 2 }),
  signers: fc.option(fc.subarray([1, 2, 3]), { nil: null, freq: 4 }),
});

function intentOf(spec: TxSpec): StakingIntent {
  const target = addressOf(spec.target);
  switch (spec.kind) {
    case "staking.bond":
      return { type: spec.kind, amount: spec.amount };
    case "staking.delegate":
    case "staking.unbond":
      return { type: spec.kind, validator: target, amount: spec.amount };
    case "staking.unjail":
      return { type: spec.kind };
    case "token.transfer":
      return { type: spec.kind, to: target, amount: spec.amount };
  }
}

function contextOf(spec: BlockSpec): BlockContext {
  return blockContext({
    evidence: spec.evidence.map((e) => doubleSign(addressOf(e.validator), e.view)),
    signers: spec.signers === null ? null : spec.signers.map(addressOf),
    validators: CONSENSUS,
  });
}

function newChain(epochBlocks: number): AppHarness {
  const app = posChain({
    validators: GENESIS_VALIDATORS,
    bonds: [400_000n, 300_000n],
    accounts: FUNDED.map((seed) => ({ seed, balance: 1_000_000n })),
    params: { chain: { epochBlocks }, staking: P },
  });
  registerAccount(app, WEAK_KEY, true);
  return app;
}

/** The rules of decision 0602 restated over maps keyed by hex: what each block mints and burns. */
class Model {
  readonly delegations = new Map<string, bigint>(); // `${delegator}|${validator}`
  readonly records = new Map<string, { jailed: boolean; until: number }>();
  readonly missed = new Map<string, number>();
  readonly slashedEquivocations = new Set<string>();
  queue: { delegator: string; validator: string; amount: bigint; release: number }[] = [];
  set: string[] = [];

  constructor(bonds: [number, bigint][]) {
    for (const [seed, amount] of bonds) {
      const v = toHex(addressOf(seed));
      this.records.set(v, { jailed: false, until: 0 });
      this.delegations.set(`${v}|${v}`, amount);
      this.set.push(v);
    }
    this.set.sort();
  }

  stake(v: string): bigint {
    let sum = 0n;
    for (const [key, amount] of this.delegations) if (key.endsWith(`|${v}`)) sum += amount;
    return sum;
  }

  applyTx(spec: TxSpec, epoch: number): void {
    const from = toHex(addressOf(spec.from));
    const target = toHex(addressOf(spec.target));
    const add = (d: string, v: string, amount: bigint) => this.delegations.set(`${d}|${v}`, (this.delegations.get(`${d}|${v}`) ?? 0n) + amount);
    if (spec.kind === "staking.bond") {
      if (!this.records.has(from)) this.records.set(from, { jailed: false, until: 0 });
      add(from, from, spec.amount);
    } else if (spec.kind === "staking.delegate") add(from, target, spec.amount);
    else if (spec.kind === "staking.unbond") {
      add(from, target, -spec.amount);
      this.queue.push({ delegator: from, validator: target, amount: spec.amount, release: epoch + P.unbondingEpochs });
    } else if (spec.kind === "staking.unjail") this.records.set(from, { ...(this.records.get(from) as { jailed: boolean; until: number }), jailed: false });
  }

  /** Returns the block's events: minted and burned. */
  endBlock(spec: BlockSpec, height: number, epoch: number, epochEnds: boolean): { minted: bigint; burned: bigint } {
    let burned = 0n;
    const slashed = new Set<string>();
    const punish = (v: string) => {
      slashed.add(v);
      for (const [key, amount] of this.delegations) {
        if (!key.endsWith(`|${v}`)) continue;
        const cut = (amount * BigInt(P.slashFractionBps)) / 10_000n;
        this.delegations.set(key, amount - cut);
        burned += cut;
      }
      for (const entry of this.queue) {
        if (entry.validator !== v) continue;
        const cut = (entry.amount * BigInt(P.slashFractionBps)) / 10_000n;
        entry.amount -= cut;
        burned += cut;
      }
      const record = this.records.get(v) as { jailed: boolean; until: number };
      this.records.set(v, { jailed: true, until: Math.max(record.until, epoch + P.jailEpochs) });
    };
    for (const e of spec.evidence) {
      const v = toHex(addressOf(e.validator));
      if (!this.records.has(v) || this.slashedEquivocations.has(`${v}/${e.view}`)) continue;
      this.slashedEquivocations.add(`${v}/${e.view}`);
      if (!slashed.has(v)) punish(v);
    }
    if (spec.signers !== null) {
      const signers = new Set(spec.signers.map((seed) => toHex(addressOf(seed))));
      const consensus = new Set(CONSENSUS.map((c) => toHex(c.address)));
      for (const m of this.set) if (consensus.has(m) && !signers.has(m) && this.records.get(m)?.jailed === false) this.missed.set(m, (this.missed.get(m) ?? 0) + 1);
    }
    if (height % P.downtimeWindowBlocks === 0) {
      for (const c of [...this.records.keys()].sort()) {
        const missed = this.missed.get(c) ?? 0;
        this.missed.set(c, 0);
        if (missed === 0 || this.records.get(c)?.jailed || slashed.has(c)) continue;
        if ((P.downtimeWindowBlocks - missed) * 10_000 < P.downtimeMinSignedBps * P.downtimeWindowBlocks) punish(c);
      }
    }
    let minted = 0n;
    if (epochEnds) {
      this.queue = this.queue.filter((entry) => entry.release > epoch);
      for (const m of this.set) {
        if (this.records.get(m)?.jailed) continue;
        for (const [key, amount] of this.delegations) if (key.endsWith(`|${m}`)) minted += (amount * BigInt(P.rewardRateBps)) / 10_000n;
      }
      const eligible = [...this.records.entries()].filter(([v, r]) => !r.jailed && this.stake(v) > 0n).map(([v]) => v);
      eligible.sort((a, b) => (this.stake(a) === this.stake(b) ? (a < b ? -1 : 1) : this.stake(a) > this.stake(b) ? -1 : 1));
      if (eligible.length > 0) this.set = eligible.slice(0, P.maxValidators).sort();
    }
    return { minted, burned };
  }
}

function checkAgainstModel(app: AppHarness, model: Model): void {
  const queueSum = readUnbonding(app.get).reduce((sum, u) => sum + u.amount, 0n);
  const balances = ACTORS.reduce((sum, seed) => sum + readBalance(app.get, addressOf(seed)), 0n);
  const bonded = readTotalBonded(app.get);
  assert.equal(readTotalSupply(app.get), balances + bonded + queueSum, "supply = balances + bonded + unbonding");
  assert.equal(bonded, [...model.delegations.values()].reduce((a, b) => a + b, 0n), "total bonded = the model's delegations");
  assert.equal(queueSum, model.queue.reduce((sum, u) => sum + u.amount, 0n), "unbonding queue");
  for (const [v, record] of model.records) {
    const onChain = readValidatorRecord(app.get, addressOf(Number.parseInt(v.slice(0, 2), 16)));
    assert.deepEqual(onChain && { stake: onChain.stake, jailed: onChain.jailed, until: onChain.jailedUntilEpoch }, { stake: model.stake(v), jailed: record.jailed, until: record.until }, `validator ${v}`);
  }
  assert.deepEqual(readValidatorSet(app.get).map((e) => toHex(e.address)), model.set, "validator set");
}

/** Runs the blocks; `skip` leaves out the transactions of the given block indexes. Returns the refused block indexes. */
function replay(app: AppHarness, blocks: readonly BlockSpec[], skip: ReadonlySet<number>): Set<number> {
  const refused = new Set<number>();
  blocks.forEach((spec, i) => {
    const txs = spec.tx === null || skip.has(i) ? [] : [unsigned(stakingTx(app, addressOf(spec.tx.from), intentOf(spec.tx)))];
    if (app.run(txs, contextOf(spec)).rejected.length > 0) refused.add(i);
  });
  return refused;
}

describe("app: staking properties", () => {
  it("moves the supply only by minted rewards and burned slashes, keeps supply = balances + bonded + unbonding, and refused txs change nothing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(blockSpec, { minLength: 1, maxLength: 24 }), (epochBlocks, blocks) => {
        const app = newChain(epochBlocks);
        const model = new Model([[1, 400_000n], [2, 300_000n]]);
        const refused = new Set<number>();
        blocks.forEach((spec, i) => {
          const height = app.height + 1;
          const epoch = Math.floor(height / epochBlocks);
          const supplyBefore = readTotalSupply(app.get);
          const txs = spec.tx === null ? [] : [unsigned(stakingTx(app, addressOf(spec.tx.from), intentOf(spec.tx)))];
          const execution = app.run(txs, contextOf(spec));
          if (spec.tx !== null && execution.rejected.length === 0) model.applyTx(spec.tx, epoch);
          if (execution.rejected.length > 0) refused.add(i);
          const { minted, burned } = model.endBlock(spec, height, epoch, (height + 1) % epochBlocks === 0);
          assert.equal(readTotalSupply(app.get), supplyBefore + minted - burned, `block ${height}: supply moves by minted - burned only`);
          checkAgainstModel(app, model);
        });
        const again = newChain(epochBlocks);
        replay(again, blocks, new Set());
        assert.ok(bytesEqual(again.store.root(), app.store.root()), "two replays give the same state root");
        const withoutRefused = newChain(epochBlocks);
        replay(withoutRefused, blocks, refused);
        assert.ok(bytesEqual(withoutRefused.store.root(), app.store.root()), "refused transactions changed no state");
      }),
      { numRuns: 40 },
    );
  });
});
