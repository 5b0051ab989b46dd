/**
 * Assertions catch programmer errors (broken invariants), never bad input: bad input gets a
 * GhostmeshError. A failed assertion means the code is wrong, so it throws AssertionError
 * and the caller should not try to recover.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
