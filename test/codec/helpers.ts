import assert from "node:assert/strict";
import { GhostmeshError } from "../../src/util/index.ts";

export function hex(text: string): Uint8Array {
  assert.match(text, /^(?:[0-9a-f]{2})*$/, "test hex must be lowercase and even-length");
  return new Uint8Array(Buffer.from(text, "hex"));
}

export function toHexString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Runs `run`, asserts it throws a GhostmeshError with `code`, and returns the error. */
export function expectCodecError(run: () => unknown, code: string, messagePart?: string | RegExp): GhostmeshError {
  let thrown: unknown;
  try {
    run();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof GhostmeshError, `expected a GhostmeshError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code, `wrong code for: ${thrown.message}`);
  if (typeof messagePart === "string") assert.ok(thrown.message.includes(messagePart), `message was: ${thrown.message}`);
  else if (messagePart !== undefined) assert.match(thrown.message, messagePart);
  return thrown;
}
