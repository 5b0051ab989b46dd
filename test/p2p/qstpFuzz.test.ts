import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES } from "../../src/crypto/index.ts";
import { InitiatorHandshake, RecordOpener, ResponderHandshake, resolveQstpOptions } from "../../src/p2p/index.ts";
import { isGhostmeshError } from "../../src/util/index.ts";
import { createLocalIdentity, handshakeParams } from "./helpers.ts";

type Identity = Awaited<ReturnType<typeof createLocalIdentity>>;
let alice: Identity;
let bob: Identity;
/** One honest session's messages, as seeds for mutation. */
let honest: Uint8Array[] = [];

before(async () => {
  alice = await createLocalIdentity();
  bob = await createLocalIdentity();
  const initiator = new InitiatorHandshake(handshakeParams(alice));
  const responder = new ResponderHandshake(handshakeParams(bob));
  const m2 = await responder.readInitiatorHello(initiator.helloMessage);
  const { finishMessage } = await initiator.readResponderHello(m2);
  await responder.readInitiatorFinish(finishMessage);
  honest = [initiator.helloMessage, m2, finishMessage];
});

/** Random bytes: unstructured, with a valid header and a plausible size, or an honest message mutated. */
function messageArbitrary(index: 0 | 1 | 2, type: number, bodySizeBytes: number): fc.Arbitrary<Uint8Array> {
  const withHeader = fc
    .uint8Array({ minLength: Math.max(0, bodySizeBytes - 8), maxLength: bodySizeBytes + 8 })
    .map((body) => new Uint8Array([1, type, ...body]));
  const mutated = fc
    .record({ flips: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), cut: fc.option(fc.nat()), xor: fc.integer({ min: 1, max: 255 }) })
    .map(({ flips, cut, xor }) => {
      const seed = honest[index] as Uint8Array;
      const copy = seed.slice(0, cut === null ? seed.byteLength : cut % (seed.byteLength + 1));
      for (const flip of flips) if (copy.byteLength > 0) copy[flip % copy.byteLength] = (copy[flip % copy.byteLength] as number) ^ xor;
      return copy;
    });
  return fc.oneof(fc.uint8Array({ maxLength: 4_096 }), withHeader, mutated);
}

/** Resolving is fine (a mutation may leave a message valid); rejecting must be with a GhostmeshError. */
async function onlyGhostmeshErrors(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    assert.ok(isGhostmeshError(err), `expected a GhostmeshError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.match(err.code, /^P2P_/);
    return true;
  }
}

describe("qstp handshake: property over hostile messages", () => {
  it("random bytes as the initiator hello never throw anything but a GhostmeshError", async () => {
    await fc.assert(
      fc.asyncProperty(messageArbitrary(0, 1, 32 + HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES + 38), (message) =>
        onlyGhostmeshErrors(() => new ResponderHandshake(handshakeParams(bob)).readInitiatorHello(message)),
      ),
      { numRuns: 120 },
    );
  });

  it("random bytes as the responder hello never throw anything but a GhostmeshError, and never complete", async () => {
    await fc.assert(
      fc.asyncProperty(messageArbitrary(1, 2, 32 + HYBRID_KEM_CIPHERTEXT_SIZE_BYTES + 5_400), async (message) => {
        let completed = false;
        await onlyGhostmeshErrors(async () => {
          await new InitiatorHandshake(handshakeParams(alice)).readResponderHello(message);
          completed = true;
        });
        return !completed;
      }),
      { numRuns: 120 },
    );
  });

  it("random bytes as the initiator finish never throw anything but a GhostmeshError, and never complete", async () => {
    const initiator = new InitiatorHandshake(handshakeParams(alice));
    await fc.assert(
      fc.asyncProperty(messageArbitrary(2, 3, 5_300), async (message) => {
        const responder = new ResponderHandshake(handshakeParams(bob));
        await responder.readInitiatorHello(initiator.helloMessage);
        let completed = false;
        await onlyGhostmeshErrors(async () => {
          await responder.readInitiatorFinish(message);
          completed = true;
        });
        return !completed;
      }),
      { numRuns: 80 },
    );
  });

  it("random bytes into the record layer never throw anything but a GhostmeshError", () => {
    const limits = resolveQstpOptions({ recordSizeBytesMax: 1024 });
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2_000 }), { maxLength: 4 }), (chunks) => {
        const opener = new RecordOpener(new Uint8Array(32), limits);
        try {
          for (const chunk of chunks) opener.open(chunk);
        } catch (err) {
          return isGhostmeshError(err) && err.code.startsWith("P2P_");
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
