import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { multiaddrConnectionPair } from "@libp2p/utils";
import { addressFromPublicKey, generateSigningKey, SignatureAlgorithm } from "../../src/crypto/index.ts";
import {
  AddressAllowlist,
  InitiatorHandshake,
  isQstpError,
  performHandshakeInitiator,
  performHandshakeResponder,
  ResponderHandshake,
  type HandshakeParams,
  type QstpErrorCode,
} from "../../src/p2p/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { createLocalIdentity, handshakeParams, rejection } from "./helpers.ts";

type Identity = Awaited<ReturnType<typeof createLocalIdentity>>;
let alice: Identity;
let bob: Identity;

before(async () => {
  alice = await createLocalIdentity();
  bob = await createLocalIdentity();
});

/** Runs the three messages through the state machines; `tamper` may rewrite message i (1..3) in flight. */
async function runMessages(
  initiatorParams: HandshakeParams,
  responderParams: HandshakeParams,
  tamper: (index: number, message: Uint8Array) => Uint8Array = (_, m) => m,
): Promise<{ messages: Uint8Array[] }> {
  const initiator = new InitiatorHandshake(initiatorParams);
  const responder = new ResponderHandshake(responderParams);
  const m1 = initiator.helloMessage;
  const m2 = await responder.readInitiatorHello(tamper(1, m1));
  const { finishMessage: m3 } = await initiator.readResponderHello(tamper(2, m2));
  await responder.readInitiatorFinish(tamper(3, m3));
  return { messages: [m1, m2, m3] };
}

async function handshakeErrorCode(promise: Promise<unknown>): Promise<QstpErrorCode> {
  const err = await rejection(promise);
  assert.ok(isQstpError(err), `expected a QstpError, got ${String(err)}`);
  return err.code;
}

function flipped(message: Uint8Array, position: number): Uint8Array {
  const copy = message.slice();
  copy[position] = (copy[position] as number) ^ 0x01;
  return copy;
}

describe("qstp handshake over an in-memory duplex", () => {
  it("completes both ways with mirrored keys, one transcript hash and each side's proven identities", async () => {
    const [outbound, inbound] = multiaddrConnectionPair();
    const [initiator, responder] = await Promise.all([
      performHandshakeInitiator(outbound, handshakeParams(alice, { expectedPeerId: bob.peerId }), { timeoutMs: 5_000 }),
      performHandshakeResponder(inbound, handshakeParams(bob), { timeoutMs: 5_000 }),
    ]);
    assert.ok(bytesEqual(initiator.transcriptHash, responder.transcriptHash));
    assert.ok(bytesEqual(initiator.sendKey, responder.receiveKey));
    assert.ok(bytesEqual(initiator.receiveKey, responder.sendKey));
    assert.ok(!bytesEqual(initiator.sendKey, initiator.receiveKey), "the two directions use different keys");
    assert.ok(initiator.remote.peerId.equals(bob.peerId));
    assert.ok(responder.remote.peerId.equals(alice.peerId));
    assert.ok(bytesEqual(initiator.remote.publicKey, bob.signingKey.publicKey));
    assert.ok(bytesEqual(responder.remote.address, addressFromPublicKey(alice.signingKey.alg, alice.signingKey.publicKey)));
    await Promise.all([outbound.close(), inbound.close()]);
  });

  it("two sessions between the same peers derive different keys", async () => {
    const first = await runAndCollectKeys();
    const second = await runAndCollectKeys();
    assert.ok(!bytesEqual(first, second));
  });

  it("refuses a responder whose PeerId is not the one dialed, and aborts the connection", async () => {
    const [outbound, inbound] = multiaddrConnectionPair();
    const results = await Promise.allSettled([
      performHandshakeInitiator(outbound, handshakeParams(alice, { expectedPeerId: alice.peerId }), { timeoutMs: 5_000 }),
      performHandshakeResponder(inbound, handshakeParams(bob), { timeoutMs: 5_000 }),
    ]);
    const initiatorResult = results[0];
    assert.equal(initiatorResult.status, "rejected");
    assert.ok(isQstpError(initiatorResult.reason) && initiatorResult.reason.code === "P2P_HANDSHAKE_UNEXPECTED_PEER");
    assert.equal(outbound.status, "aborted");
    assert.equal(results[1].status, "rejected", "the responder sees the connection go away");
  });

  it("times out with P2P_HANDSHAKE_TIMEOUT when the responder never answers", async () => {
    const [outbound, inbound] = multiaddrConnectionPair();
    const code = await handshakeErrorCode(performHandshakeInitiator(outbound, handshakeParams(alice), { timeoutMs: 100 }));
    assert.equal(code, "P2P_HANDSHAKE_TIMEOUT");
    await inbound.close();
  });
});

describe("qstp handshake: identity and allowlist", () => {
  it("a responder in permissioned mode refuses an initiator whose address is not on its allowlist", async () => {
    const allowlist = new AddressAllowlist([addressFromPublicKey(bob.signingKey.alg, bob.signingKey.publicKey)]);
    const code = await handshakeErrorCode(runMessages(handshakeParams(alice), handshakeParams(bob, { allowlist })));
    assert.equal(code, "P2P_PEER_NOT_ALLOWED");
  });

  it("an initiator in permissioned mode refuses a responder that is not on its allowlist", async () => {
    const allowlist = new AddressAllowlist([addressFromPublicKey(alice.signingKey.alg, alice.signingKey.publicKey)]);
    const code = await handshakeErrorCode(runMessages(handshakeParams(alice, { allowlist }), handshakeParams(bob)));
    assert.equal(code, "P2P_PEER_NOT_ALLOWED");
  });

  it("an identity on the allowlist is accepted", async () => {
    const allowlist = new AddressAllowlist([addressFromPublicKey(alice.signingKey.alg, alice.signingKey.publicKey)]);
    const { messages } = await runMessages(handshakeParams(alice), handshakeParams(bob, { allowlist }));
    assert.equal(messages.length, 3);
  });

  it("refuses an ML-DSA-44 identity by default (below the accepted levels)", async () => {
    const weak = { ...alice, signingKey: generateSigningKey(SignatureAlgorithm.mlDsa44) };
    const code = await handshakeErrorCode(runMessages(handshakeParams(weak), handshakeParams(bob)));
    assert.equal(code, "P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM");
  });

  it("an initiator presenting someone else's PeerId (without its libp2p key) is refused", async () => {
    // Mallory holds her own keys but claims Alice's libp2p public key in her hello.
    const mallory = await createLocalIdentity();
    const impostor = { signingKey: mallory.signingKey, peerPrivateKey: { ...mallory.peerPrivateKey, publicKey: alice.peerPrivateKey.publicKey, sign: mallory.peerPrivateKey.sign.bind(mallory.peerPrivateKey) } };
    const err = await rejection(runMessages(handshakeParams(impostor as typeof alice), handshakeParams(bob)));
    assert.ok(isQstpError(err) && err.code === "P2P_HANDSHAKE_BAD_SIGNATURE");
    assert.equal(err.meta.signatureValid, true, "her ML-DSA signature is fine");
    assert.equal(err.meta.peerSignatureValid, false, "but she cannot sign for Alice's PeerId");
  });
});

describe("qstp handshake: tampering and replay", () => {
  // One position per field of each message (layouts in src/p2p/qstp/wire.ts).
  const positions: Record<number, readonly number[]> = {
    1: [0, 1, 2, 40, 1_000, 1_249, 1_252, 1_285],
    2: [0, 1, 5, 40, 700, 1_153, 1_154, 2_000, 5_000, -1],
    3: [0, 1, 2, 1_000, 3_000, -1],
  };
  for (const [index, list] of Object.entries(positions)) {
    it(`a flipped byte in each field of message ${index} stops the handshake with a P2P_HANDSHAKE_ error`, async () => {
      for (const position of list) {
        const code = await handshakeErrorCode(
          runMessages(handshakeParams(alice), handshakeParams(bob), (i, message) =>
            i === Number(index) ? flipped(message, position < 0 ? message.byteLength + position : position) : message,
          ),
        );
        assert.match(code, /^P2P_HANDSHAKE_/, `message ${index} byte ${position}: ${code}`);
      }
    });
  }

  it("a responder hello replayed from an earlier session fails key confirmation", async () => {
    const { messages } = await runMessages(handshakeParams(alice), handshakeParams(bob));
    const initiator = new InitiatorHandshake(handshakeParams(alice));
    const code = await handshakeErrorCode(initiator.readResponderHello(messages[1] as Uint8Array));
    assert.equal(code, "P2P_HANDSHAKE_KEY_CONFIRMATION_FAILED");
  });

  it("an initiator hello and finish replayed from an earlier session are refused", async () => {
    const { messages } = await runMessages(handshakeParams(alice), handshakeParams(bob));
    const responder = new ResponderHandshake(handshakeParams(bob));
    await responder.readInitiatorHello(messages[0] as Uint8Array);
    const code = await handshakeErrorCode(responder.readInitiatorFinish(messages[2] as Uint8Array));
    assert.equal(code, "P2P_HANDSHAKE_KEY_CONFIRMATION_FAILED");
  });

  it("refuses a handshake message length above the limit before reading its body", async () => {
    const [outbound, inbound] = multiaddrConnectionPair();
    const responder = performHandshakeResponder(inbound, handshakeParams(bob), { timeoutMs: 5_000 });
    outbound.send(new Uint8Array([0xff, 0xff]));
    assert.equal(await handshakeErrorCode(responder), "P2P_HANDSHAKE_MESSAGE_TOO_LARGE");
    assert.equal(inbound.status, "aborted");
    await outbound.close();
  });
});

async function runAndCollectKeys(): Promise<Uint8Array> {
  const [outbound, inbound] = multiaddrConnectionPair();
  const [initiator] = await Promise.all([
    performHandshakeInitiator(outbound, handshakeParams(alice), { timeoutMs: 5_000 }),
    performHandshakeResponder(inbound, handshakeParams(bob), { timeoutMs: 5_000 }),
  ]);
  await Promise.all([outbound.close(), inbound.close()]);
  return initiator.sendKey;
}
