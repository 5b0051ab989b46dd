/** The consensus set the application state describes (decision 0605): weights, order, keys, and the genesis equivalence. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CONSENSUS_POWER_TOTAL_MAX, consensusPowers, validatorSetFromState, type Account } from "../../src/app/index.ts";
import { encodeValidatorSet, VALIDATOR_SET_KEY } from "../../src/app/stakingState.ts";
import { SignatureAlgorithm } from "../../src/crypto/index.ts";
import type { Genesis, Validator } from "../../src/ledger/index.ts";
import { toHex } from "../../src/util/index.ts";

const address = (seed: number) => new Uint8Array(20).fill(seed);
const mlDsaKey = (seed: number) => new Uint8Array(1952).fill(seed);
const genesisValidator = (seed: number, power: number): Validator => ({ name: `v${seed}`, address: address(seed), alg: SignatureAlgorithm.mlDsa65, publicKey: mlDsaKey(seed), power });
const genesis = (validators: Validator[]): Genesis => ({ chainId: "set-test", genesisTime: 0, validators });

function reader(set: { address: Uint8Array; power: bigint }[], accounts: Map<string, Account> = new Map()) {
  const encoded = encodeValidatorSet(set);
  return {
    readState: (key: Uint8Array) => (toHex(key) === toHex(VALIDATOR_SET_KEY) ? encoded : undefined),
    getAccount: (addr: Uint8Array) => accounts.get(toHex(addr)),
  };
}

describe("app: the consensus set from application state", () => {
  it("divides powers by their gcd and keeps totals within 2^40, every member at least 1", () => {
    assert.deepEqual(consensusPowers([1_000_000n, 2_000_000n, 3_000_000n]), [1, 2, 3]);
    assert.deepEqual(consensusPowers([7n]), [1]);
    const huge = consensusPowers([10n ** 30n, 1n]);
    assert.ok(BigInt(huge.reduce((a, b) => a + b, 0)) <= CONSENSUS_POWER_TOTAL_MAX + 2n);
    assert.equal(huge[1], 1, "a tiny stake keeps power 1");
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 10n ** 24n }), { minLength: 1, maxLength: 20 }), (stakes) => {
        const powers = consensusPowers(stakes);
        const total = powers.reduce((a, b) => a + b, 0);
        return powers.every((p) => Number.isSafeInteger(p) && p >= 1) && BigInt(total) <= CONSENSUS_POWER_TOTAL_MAX + BigInt(stakes.length);
      }),
    );
  });

  it("returns the genesis set itself when the state describes it up to a common power factor", () => {
    const g = genesis([genesisValidator(1, 1), genesisValidator(2, 1), genesisValidator(3, 2)]);
    const derived = validatorSetFromState(g, reader([{ address: address(3), power: 2000n }, { address: address(1), power: 1000n }, { address: address(2), power: 1000n }]));
    assert.equal(derived?.validators, g.validators);
  });

  it("orders genesis members first in genesis order, then newcomers by address, with their account keys", () => {
    const g = genesis([genesisValidator(9, 1), genesisValidator(2, 1)]);
    const accounts = new Map<string, Account>([[toHex(address(5)), { alg: SignatureAlgorithm.mlDsa65, publicKey: mlDsaKey(5), nonce: 1 }]]);
    const derived = validatorSetFromState(g, reader([{ address: address(2), power: 10n }, { address: address(5), power: 30n }, { address: address(9), power: 20n }], accounts));
    assert.deepEqual(derived?.validators.map((v) => [v.address[0], v.power]), [[9, 2], [2, 1], [5, 3]]);
    assert.deepEqual(derived?.validators[2]?.publicKey, mlDsaKey(5));
    assert.equal(derived?.validators[0]?.name, "v9");
  });

  it("leaves out members without an ML-DSA-65 key, and returns null when none is left", () => {
    const g = genesis([genesisValidator(1, 1)]);
    const otherAlg = new Map<string, Account>([[toHex(address(6)), { alg: SignatureAlgorithm.mlDsa44, publicKey: new Uint8Array(1312), nonce: 1 }]]);
    const derived = validatorSetFromState(g, reader([{ address: address(1), power: 5n }, { address: address(6), power: 5n }, { address: address(7), power: 5n }], otherAlg));
    assert.deepEqual(derived?.validators.map((v) => v.address[0]), [1]);
    assert.equal(validatorSetFromState(g, reader([{ address: address(7), power: 5n }])), null);
  });
});
