import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatAddress, generateSigningKey } from "../../src/crypto/index.ts";
import { genesisFromJson, genesisToJson } from "../../src/node/home.ts";
import { hashGenesis, type Genesis } from "../../src/ledger/index.ts";
import { addressFromPublicKey } from "../../src/crypto/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import fc from "fast-check";
import { GhostmeshError } from "../../src/util/index.ts";
import { jsonMutations, mutateJson } from "../helpers/jsonMutation.ts";

const key = generateSigningKey();
const base: Genesis = {
  chainId: "genesis-test",
  genesisTime: 1,
  validators: [{ name: "v0", address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 }],
};
const alice = new Uint8Array(20).fill(7);

describe("genesis.json with balances, roles and policies", () => {
  it("round-trips the new fields, and a genesis without them keeps its JSON and its hash", () => {
    const full: Genesis = {
      ...base,
      allocations: [{ address: alice, amount: "340282366920938463463374607431768211456" }],
      roles: [{ address: alice, roles: ["admin", "validate_blocks"] }],
      policies: [{ operation: "roles.grant.admin", threshold: 1, signers: [alice] }],
    };
    const parsed = genesisFromJson(genesisToJson(full), "test");
    assert.ok(bytesEqual(hashGenesis(parsed), hashGenesis(full)));
    assert.equal(parsed.allocations?.[0]?.amount, "340282366920938463463374607431768211456");
    const plain = genesisFromJson(genesisToJson(base), "test");
    assert.ok(!("allocations" in plain) && !("roles" in plain) && !("policies" in plain));
    assert.ok(bytesEqual(hashGenesis(plain), hashGenesis(base)));
  });

  it("refuses a float amount, an unknown role and roles without an admin, naming the problem", () => {
    const json = JSON.parse(genesisToJson(base)) as Record<string, unknown>;
    const withField = (field: string, value: unknown) => JSON.stringify({ ...json, [field]: value });
    assert.throws(() => genesisFromJson(withField("allocations", [{ address: formatAddress(alice), amount: "1.5" }]), "g"), /allocations\[0\]\.amount/);
    assert.throws(() => genesisFromJson(withField("roles", [{ address: formatAddress(alice), roles: ["root"] }]), "g"), /roles/);
    assert.throws(() => genesisFromJson(withField("roles", [{ address: formatAddress(alice), roles: ["read_blockchain"] }]), "g"), /at least one address must hold the admin role/);
  });

  it("reads a damaged genesis file as a genesis or refuses it with a typed error naming the file, never a TypeError (property)", () => {
    const full: Genesis = {
      ...base,
      allocations: [{ address: alice, amount: "5" }],
      roles: [{ address: alice, roles: ["admin"] }],
      policies: [{ operation: "roles.grant.admin", threshold: 1, signers: [alice] }],
      params: { staking: { rewardRateBps: 200 } },
    };
    const document = JSON.parse(genesisToJson(full)) as unknown;
    fc.assert(
      fc.property(jsonMutations, (mutations) => {
        try {
          genesisFromJson(JSON.stringify(mutateJson(document, mutations)) ?? "null", "genesis.json");
        } catch (err) {
          assert.ok(err instanceof GhostmeshError, String(err));
          assert.match(err.message, /genesis\.json/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
