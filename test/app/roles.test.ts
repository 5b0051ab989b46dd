import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, sign, type SigningKey } from "../../src/crypto/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { readPolicy, readRoles } from "../../src/app/index.ts";
import { withCosignatures } from "../../src/client/index.ts";
import { cosignMessage, decodeSignedTx, type Role, type Tx } from "../../src/ledger/index.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned } from "./harness.ts";

const [keyA, keyB, keyC, keyD] = [generateSigningKey(), generateSigningKey(), generateSigningKey(), generateSigningKey()] as [SigningKey, SigningKey, SigningKey, SigningKey];

/** A and B are admins; admin grants and revocations need 2 of {A, B, C}; D is registered but holds nothing. */
function setup() {
  const probe = new AppHarness();
  const [a, b, c, d] = [probe.register(keyA), probe.register(keyB), probe.register(keyC), probe.register(keyD)];
  const policy = { threshold: 2, signers: [a, b, c] };
  const app = new AppHarness({
    roles: [{ address: a, roles: ["admin"] }, { address: b, roles: ["admin", "validate_blocks"] }],
    policies: [{ operation: "roles.grant.admin", ...policy }, { operation: "roles.revoke.admin", ...policy }],
  });
  for (const key of [keyA, keyB, keyC, keyD]) app.register(key);
  return { app, a, b, c, d };
}

function change(type: "roles.grant" | "roles.revoke", from: Uint8Array, nonce: number, address: Uint8Array, role: Role): Tx {
  return { chainId, from, nonce, type, body: { address, role } };
}

function codesOf(app: AppHarness, tx: Tx): string[] {
  return app.run([unsigned(tx)]).rejected.map((r) => r.code);
}

describe("app: roles.grant / roles.revoke", () => {
  it("lets an admin grant and revoke a role without a policy, in the state tree", () => {
    const { app, a, d } = setup();
    assert.deepEqual(codesOf(app, change("roles.grant", a, 1, d, "write_blue_state")), []);
    assert.deepEqual(readRoles(app.get, d), ["write_blue_state"]);
    assert.deepEqual(codesOf(app, change("roles.revoke", a, 2, d, "write_blue_state")), []);
    assert.deepEqual(readRoles(app.get, d), []);
  });

  it("refuses a non-admin (APP_NOT_ADMIN), a role already held and a revocation of a role not held, changing no state", () => {
    const { app, a, b, d } = setup();
    const before = app.store.root();
    assert.deepEqual(codesOf(app, change("roles.grant", d, 1, d, "admin")), ["APP_NOT_ADMIN"]);
    assert.deepEqual(codesOf(app, change("roles.grant", a, 1, b, "validate_blocks")), ["APP_ROLE_ALREADY_HELD"]);
    assert.deepEqual(codesOf(app, change("roles.revoke", a, 1, d, "promote_to_green")), ["APP_ROLE_NOT_HELD"]);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(app.nonce(a), 1);
  });

  it("refuses an unknown role when the transaction is decoded", () => {
    const { a, d } = setup();
    const tx = { chainId, from: a, nonce: 1, type: "roles.grant", body: { address: d, role: "superuser" } };
    assert.throws(() => decodeSignedTx(encodeCanonical({ tx, sig: new Uint8Array([1]) }), chainId), /superuser|role/);
  });
});

describe("app: multi-signature policies", () => {
  it("grants admin with 2 of 3 authority signatures: the sender's and one cosignature", () => {
    const { app, a, d } = setup();
    assert.deepEqual(codesOf(app, withCosignatures(change("roles.grant", a, 1, d, "admin"), [keyB])), []);
    assert.deepEqual(readRoles(app.get, d), ["admin"]);
  });

  it("refuses below-threshold, bad, duplicate, outside-the-policy and unregistered cosignatures, each by its own code", () => {
    const { app, a, b, c, d } = setup();
    const grant = change("roles.grant", a, 1, d, "admin");
    const forged = { address: b, sig: sign(keyC, cosignMessage(grant)) };
    const cases: [Tx, string][] = [
      [grant, "APP_POLICY_THRESHOLD_NOT_MET"],
      [{ ...grant, body: { ...grant.body, cosignatures: [forged] } } as Tx, "APP_BAD_COSIGNATURE"],
      [withCosignatures(grant, [keyB, keyB]), "APP_DUPLICATE_COSIGNER"],
      [withCosignatures(grant, [keyA]), "APP_DUPLICATE_COSIGNER"],
      [withCosignatures(grant, [keyD]), "APP_COSIGNER_NOT_IN_POLICY"],
      [withCosignatures(change("roles.grant", a, 1, d, "read_blockchain"), [keyB]), "APP_COSIGNATURES_UNEXPECTED"],
    ];
    const before = app.store.root();
    for (const [tx, code] of cases) assert.deepEqual(codesOf(app, tx), [code], code);
    assert.ok(bytesEqual(app.store.root(), before), "no refused transaction changed the state");
    assert.deepEqual(readRoles(app.get, d), []);
    // A signer that never registered has no key to verify against.
    app.accounts.delete(toHex(c));
    assert.deepEqual(codesOf(app, withCosignatures(grant, [keyC])), ["APP_UNKNOWN_COSIGNER"]);
  });

  it("binds cosignatures to the transaction: a cosignature of another grant does not verify", () => {
    const { app, a, c, d } = setup();
    const other = withCosignatures(change("roles.grant", a, 1, c, "admin"), [keyB]);
    const cosignatures = (other.body as { cosignatures: unknown }).cosignatures;
    const replayed = { ...change("roles.grant", a, 1, d, "admin"), body: { address: d, role: "admin", cosignatures } } as Tx;
    assert.deepEqual(codesOf(app, replayed), ["APP_BAD_COSIGNATURE"]);
  });

  it("lets an admin set a policy, after which that operation needs its threshold", () => {
    const { app, a, b, c, d } = setup();
    const setPolicy: Tx = { chainId, from: a, nonce: 1, type: "roles.setPolicy", body: { operation: "roles.grant", threshold: 2, signers: [b, c] } };
    assert.deepEqual(codesOf(app, setPolicy), []);
    assert.equal(readPolicy(app.get, "roles.grant")?.threshold, 2);
    assert.deepEqual(codesOf(app, change("roles.grant", a, 2, d, "read_blockchain")), ["APP_POLICY_THRESHOLD_NOT_MET"]);
    assert.deepEqual(codesOf(app, withCosignatures(change("roles.grant", a, 2, d, "read_blockchain"), [keyB, keyC])), []);
    const tooHigh: Tx = { chainId, from: a, nonce: 3, type: "roles.setPolicy", body: { operation: "roles.revoke", threshold: 3, signers: [b, c] } };
    assert.deepEqual(codesOf(app, tooHigh), ["APP_POLICY_THRESHOLD_TOO_HIGH"]);
    const dup: Tx = { chainId, from: a, nonce: 3, type: "roles.setPolicy", body: { operation: "roles.revoke", threshold: 1, signers: [b, b] } };
    assert.deepEqual(codesOf(app, dup), ["APP_POLICY_DUPLICATE_SIGNER"]);
  });
});
