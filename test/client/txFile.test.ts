import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, generateSigningKey, verify, type SigningKey } from "../../src/crypto/index.ts";
import { readRoles } from "../../src/app/index.ts";
import { bodyFromJson, buildUnsignedTx, parseTxFile, signTxFile, signedTxOfFile, txFileOf } from "../../src/client/index.ts";
import { hashTx } from "../../src/ledger/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";
import { AppHarness, chainId } from "../app/harness.ts";
import { jsonMutations, mutateJson } from "../helpers/jsonMutation.ts";

const [keyA, keyB, keyC] = [generateSigningKey(), generateSigningKey(), generateSigningKey()] as [SigningKey, SigningKey, SigningKey];

/** A is an admin; granting admin needs 2 of {A, B, C}. */
function setup() {
  const probe = new AppHarness();
  const [a, b, c] = [probe.register(keyA), probe.register(keyB), probe.register(keyC)];
  const app = new AppHarness({ roles: [{ address: a, roles: ["admin"] }], policies: [{ operation: "roles.grant.admin", threshold: 2, signers: [a, b, c] }] });
  for (const key of [keyA, keyB, keyC]) app.register(key);
  return { app, a, b, c };
}

/** Writes and re-reads the file as JSON at every step, as the CLI does between commands. */
const roundTrip = (tx: Parameters<typeof txFileOf>[0], sig: Uint8Array | null) => parseTxFile(JSON.parse(JSON.stringify(txFileOf(tx, sig))), "tx.json");

describe("client: offline transaction files (tx build / sign / broadcast)", () => {
  it("builds from people's JSON, takes a cosignature then the sender's signature, and the result executes under a 2-of-3 policy", () => {
    const { app, a, c } = setup();
    const built = buildUnsignedTx({ chainId, from: a, nonce: 1, type: "roles.grant", body: bodyFromJson({ address: formatAddress(c), role: "admin" }) });
    let file = roundTrip(built, null);
    const cosigned = signTxFile(file.tx, file.sig, keyB);
    assert.equal(cosigned.role, "cosigner");
    file = roundTrip(cosigned.tx, cosigned.sig);
    assert.throws(() => signedTxOfFile(file.tx, file.sig), { code: "CLIENT_TX_FILE_INVALID" }, "not broadcastable before the sender signs");
    const signed = signTxFile(file.tx, file.sig, keyA);
    assert.equal(signed.role, "sender");
    file = roundTrip(signed.tx, signed.sig);
    const signedTx = signedTxOfFile(file.tx, file.sig);
    assert.ok(verify(keyA.alg, keyA.publicKey, hashTx(signedTx.tx), signedTx.sig), "the sender's signature covers the cosigned body");
    assert.deepEqual(app.run([signedTx]).rejected, []);
    assert.deepEqual(readRoles(app.get, c), ["admin"]);
  });

  it("drops the sender's signature when a cosignature is added after it, and refuses a second cosignature by one key", () => {
    const { a, c } = setup();
    const tx = buildUnsignedTx({ chainId, from: a, nonce: 1, type: "roles.grant", body: { address: c, role: "admin" } });
    const senderFirst = signTxFile(tx, null, keyA);
    const late = signTxFile(senderFirst.tx, senderFirst.sig, keyB);
    assert.equal(late.droppedSenderSig, true);
    assert.equal(late.sig, null);
    assert.throws(() => signTxFile(late.tx, null, keyB), { code: "CLIENT_TX_FILE_INVALID" });
  });

  it("refuses a cosignature on a type that takes none, a body that does not fit the type, and a tampered or foreign file", () => {
    const { a, b } = setup();
    const transfer = buildUnsignedTx({ chainId, from: a, nonce: 1, type: "token.transfer", body: bodyFromJson({ to: formatAddress(b), amount: "5" }) });
    assert.throws(() => signTxFile(transfer, null, keyB), /cosignatures/);
    assert.throws(() => buildUnsignedTx({ chainId, from: a, nonce: 1, type: "token.transfer", body: { to: b } }), /amount/);
    assert.throws(() => bodyFromJson({ amount: "1.5" }), { code: "APP_AMOUNT_INVALID" });
    const json = txFileOf(transfer, null);
    assert.throws(() => parseTxFile({ ...json, tx: `${json.tx}00` }, "x.json"), /x\.json/);
    assert.throws(() => parseTxFile({ ...json, format: "other" }, "x.json"), { code: "CLIENT_TX_FILE_INVALID" });
    assert.throws(() => parseTxFile(null, "x.json"), { code: "CLIENT_TX_FILE_INVALID" });
  });

  it("reads a damaged file as a transaction or refuses it with a typed error, never a TypeError (property)", () => {
    const { a, b } = setup();
    const transfer = buildUnsignedTx({ chainId, from: a, nonce: 1, type: "token.transfer", body: bodyFromJson({ to: formatAddress(b), amount: "5" }) });
    const file = txFileOf(transfer, signTxFile(transfer, null, keyA).sig);
    fc.assert(
      fc.property(jsonMutations, (mutations) => {
        try {
          parseTxFile(mutateJson(file, mutations), "tx.json");
        } catch (err) {
          assert.ok(err instanceof GhostmeshError, String(err));
          assert.match(err.message, /tx\.json/, "the refusal names the file");
        }
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => parseTxFile({ ...file, sig: 5 }, "tx.json"), { code: "CLIENT_TX_FILE_INVALID", message: 'tx.json: "sig" must be hex or null' });
  });
});
